"""The augmentation experiment pooled over training seeds: gains, their spread and the Student-t interval."""

from __future__ import annotations

import json

import pytest

from benchmarks.augment_seeds import main
from eval.evaluation.seed_summary import interval, read_reports, summarise
from gaitcraft.errors import DataError


def fake_report(folder, seed: int, real: tuple, aug: tuple, steps: int = 400, real_tree: str = "REAL"):
    """An augment-experiment report.json in `folder` with the given NM/BG/CL rank-1 of both arms."""
    sets = ("NM", "BG", "CL")
    rank1 = lambda v: dict(zip(sets, v))  # noqa: E731
    report = {"config": {"name": "recipe", "model": {"parts": 16}, "train": {"seed": seed}}, "steps": steps,
              "real": real_tree, "synthetic": "SYN", "per_source_mining": False, "balance_sources": True,
              "synthetic_per_batch": 3, "split": "split.json",
              "runs": {"real": {"rank1": rank1(real)}, "real+synthetic": {"rank1": rank1(aug)}},
              "gain": {s: a - r for s, r, a in zip(sets, real, aug)}}
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def test_interval_is_the_student_t_interval_of_the_mean():
    got = interval([1.0, 2.0, 3.0, 4.0])
    assert got["mean"] == 2.5 and got["sd"] == pytest.approx(1.2910, abs=1e-4)
    assert got["se"] == pytest.approx(0.6455, abs=1e-4)
    # t(0.975, 3) = 3.1824
    assert got["low"] == pytest.approx(2.5 - 3.1824 * 0.6455, abs=1e-3)
    assert got["high"] == pytest.approx(2.5 + 3.1824 * 0.6455, abs=1e-3)
    assert interval([5.0]) == {"n": 1, "mean": 5.0, "sd": 0.0, "se": 0.0, "low": 5.0, "high": 5.0}


def test_gains_are_per_seed_differences_of_the_arms(tmp_path):
    folders = [fake_report(tmp_path / "s0", 0, (60, 50, 30), (62, 50, 36)),
               fake_report(tmp_path / "s1", 1, (58, 52, 31), (58, 55, 34))]
    s = summarise(read_reports(folders))
    assert [x["seed"] for x in s["seeds"]] == [0, 1]
    assert s["seeds"][0]["gain"] == {"NM": 2, "BG": 0, "CL": 6, "mean": pytest.approx(8 / 3)}
    assert s["gain"]["CL"]["mean"] == pytest.approx(4.5)
    assert s["gain"]["mean"]["mean"] == pytest.approx((8 / 3 + 2) / 2)
    assert s["arms"]["real"]["mean"] == pytest.approx((140 / 3 + 47) / 2)


def test_seeds_of_another_recipe_or_twice_the_same_seed_are_refused(tmp_path):
    a = fake_report(tmp_path / "a", 0, (60, 50, 30), (62, 50, 36))
    b = fake_report(tmp_path / "b", 1, (60, 50, 30), (62, 50, 36), steps=800)
    with pytest.raises(DataError, match="steps is 800"):
        read_reports([a, b])
    c = fake_report(tmp_path / "c", 0, (61, 50, 30), (62, 50, 36))
    with pytest.raises(DataError, match="seed appears twice"):
        read_reports([a, c])


def test_cli_writes_report_and_says_one_line_on_a_missing_report(tmp_path, capsys):
    folders = [str(fake_report(tmp_path / f"s{i}", i, (60 + i, 50, 30), (62, 51 + i, 36))) for i in range(3)]
    assert main([*folders, "--out", str(tmp_path / "out" / "seeds.md")]) == 0
    text = (tmp_path / "out" / "seeds.md").read_text()
    assert "95 % interval" in text and (tmp_path / "out" / "seeds.png").stat().st_size > 1000
    assert json.loads((tmp_path / "out" / "seeds.json").read_text())["gain"]["mean"]["n"] == 3
    # one seed has no spread: the report says so instead of printing a zero-width interval
    assert main([folders[0], "--out", str(tmp_path / "one" / "seed.md")]) == 0
    one = (tmp_path / "one" / "seed.md").read_text()
    assert "– | – | – (one seed)" in one and " to " not in one.split("| gain over seeds")[1]
    capsys.readouterr()
    assert main([*folders, str(tmp_path / "nothing"), "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "nothing/report.json" in err and err.strip().count("\n") == 0
