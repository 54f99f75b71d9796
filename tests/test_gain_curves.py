"""Gain curves of the augmentation experiment: one report per point, one seed and one real tree per curve."""

from __future__ import annotations

import json

import pytest

from benchmarks.augment_curves import main
from eval.evaluation.gain_curves import curve, parse_point
from gaitcraft.errors import DataError
from tests.test_seed_summary import fake_report


def test_points_keep_their_order_and_each_gain_is_against_its_own_real_arm(tmp_path):
    a = fake_report(tmp_path / "one", 0, (60, 50, 30), (61, 50, 33))
    b = fake_report(tmp_path / "three", 0, (60, 50, 30), (58, 49, 30))
    c = curve("synthetic ids a batch", [("3", b), ("1", a)])
    assert [p["x"] for p in c["points"]] == ["3", "1"]
    assert c["points"][1]["gain"] == {"NM": 1, "BG": 0, "CL": 3, "mean": pytest.approx(4 / 3)}
    assert c["points"][0]["gain"]["mean"] == pytest.approx(-1.0)
    assert c["sets"] == ["NM", "BG", "CL"]


def test_a_curve_refuses_points_of_another_seed_or_real_tree(tmp_path):
    a = fake_report(tmp_path / "a", 0, (60, 50, 30), (61, 50, 33))
    b = fake_report(tmp_path / "b", 1, (60, 50, 30), (61, 50, 33))
    with pytest.raises(DataError, match="training seed 1, not 0"):
        curve("guidance", [("2", a), ("4", b)])
    c = fake_report(tmp_path / "c", 0, (60, 50, 30), (61, 50, 33), real_tree="OTHER")
    with pytest.raises(DataError, match="real is 'OTHER'"):
        curve("guidance", [("2", a), ("4", c)])
    with pytest.raises(DataError, match="X=FOLDER"):
        parse_point("just/a/folder")


def test_cli_writes_tables_and_figure_and_one_line_on_a_bad_point(tmp_path, capsys):
    a = fake_report(tmp_path / "a", 0, (60, 50, 30), (61, 50, 33))
    b = fake_report(tmp_path / "b", 0, (60, 50, 30), (58, 49, 30))
    spread = tmp_path / "seeds.json"
    spread.write_text(json.dumps({"gain": {"mean": {"n": 3, "mean": -1.0, "sd": 1.5, "low": -4.0, "high": 2.0}}}))
    out = tmp_path / "res" / "curves.md"
    assert main(["--curve", "share", f"1={a}", f"3={b}", "--curve", "ids", f"100={b}",
                 "--spread", str(spread), "--out", str(out)]) == 0
    text = out.read_text()
    assert "## share" in text and "## ids" in text and "sd 1.5 over 3 seeds" in text
    assert "| 1 | 46.7 | 48.0 | +1.0 / +0.0 / +3.0 | **+1.3** |" in text
    assert (tmp_path / "res" / "curves.png").stat().st_size > 1000
    assert len(json.loads((tmp_path / "res" / "curves.json").read_text())["curves"]) == 2
    capsys.readouterr()
    assert main(["--curve", "share", f"1={tmp_path / 'missing'}", "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "missing/report.json" in err and err.strip().count("\n") == 0
