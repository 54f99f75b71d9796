"""benchmarks/recognizer_seeds.py on a tiny procedural tree standing in for real data."""

from __future__ import annotations

import json

import pytest

from benchmarks.recognizer_seeds import main, paired_gain
from gaitcraft.paths import REPO_ROOT
from tests.test_classifier_seeds import standin_tree

RECOGNIZER = str(REPO_ROOT / "assets" / "models" / "recognizer")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """4 subjects, split 001 (train) / 002-004 (test)."""
    return standin_tree(tmp_path_factory.mktemp("recseeds"), 4)


def test_report_ratio_spread_and_paired_gain(tree, tmp_path, capsys):
    root, partition = tree
    out = tmp_path / "rec.md"
    rc = main(["--real", str(root), "--partition", str(partition), "--reference", f"real={RECOGNIZER}",
               "--arm", f"a={RECOGNIZER}", "--arm", f"b={RECOGNIZER},{RECOGNIZER}",
               "--cache", str(tmp_path / "cache"), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["test_sequences"] == 60
    ref = result["reference"]["runs"][0]
    assert ref["headline"] == pytest.approx((ref["NM"] + ref["BG"] + ref["CL"]) / 3)
    a, b = result["arms"]["a"], result["arms"]["b"]
    # the same weights as the reference: ratio 1, no spread, no gain
    assert a["runs"][0]["ratio"] == pytest.approx(1.0)
    assert b["spread"]["ratio"]["sd"] == 0.0 and b["spread"]["headline"]["mean"] == pytest.approx(ref["headline"])
    assert b["gain"]["mean"] == 0.0 and b["gain"]["seeds"] == [a["runs"][0]["seed"]]
    assert "gain" not in a and result["views"] == ["000", "090"] and out.with_suffix(".png").is_file()
    text = out.read_text()
    assert "| b | **mean over 2 seeds** |" in text and "paired by training seed" in text
    assert f"| b | {a['runs'][0]['seed']} | +0.0 | – | – (one seed) |" in text  # one shared seed: no interval


def test_paired_gain_uses_shared_seeds_only():
    arm = {"runs": [{"seed": 0, "headline": 30.0}, {"seed": 1, "headline": 34.0}, {"seed": 2, "headline": 20.0}]}
    base = {"runs": [{"seed": 0, "headline": 28.0}, {"seed": 1, "headline": 30.0}]}
    g = paired_gain(arm, base)
    assert g["seeds"] == [0, 1] and g["mean"] == pytest.approx(3.0) and g["low"] < 3.0 < g["high"]
    assert paired_gain(arm, {"runs": [{"seed": 5, "headline": 1.0}]}) is None


def test_shared_label_is_one_line_error(tree, tmp_path, capsys):
    root, partition = tree
    assert main(["--real", str(root), "--partition", str(partition), "--reference", f"x={RECOGNIZER}",
                 "--arm", f"x={RECOGNIZER}", "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "share the label 'x'" in err and err.strip().count("\n") == 0
