"""The real-data benchmark (benchmarks/real_casiab.py) end to end on a small procedural tree standing in for real
CASIA-B: the stand-in has CASIA-B's test ids, no manifest (so `bg` is an unnamed bag), grayscale values with
sub-threshold specks, one 2-frame sequence and one missing cell, as real trees do."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import real_casiab
from eval.evaluation.classifier_confusion import bag_or_none, score
from eval.evaluation.privacy import DEFAULT_RECOGNIZER
from eval.evaluation.silhouette_stats import (
    BANDS,
    band_widths,
    frame_widths,
    identity_spread,
    mean_identity_spread,
    sequence_stats,
)
from gaitcraft.dataset import DatasetIndex
from gaitcraft.io.opengait_tree import write_opengait_sequence
from gaitcraft.paths import REPO_ROOT
from gaitcraft.types import SequenceLabels
from synth_datasets.grid import parse_types
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec
from tests.conftest import walker_blob

CLASSIFIERS = REPO_ROOT / "assets" / "models" / "classifiers"
SHORT = ("077", "nm-06", 90.0)  # cut to 2 frames in the stand-in
MISSING = ("077", "cl-02", 0.0)  # left out of the stand-in


def real_stand_in(synthetic: DatasetIndex, root) -> None:
    """The synthetic walks rewritten as a real-looking tree: subjects 001-003 -> test ids 075-077, no manifest,
    foreground stored as 230 with scattered 90-valued specks (below the 127 threshold), one short sequence and
    one missing cell."""
    rng = np.random.default_rng(0)
    for rec in synthetic:
        lab = rec.labels
        subject = f"{int(lab.subject) + 74:03d}"
        if (subject, lab.seq_type, lab.view) == MISSING:
            continue
        frames = np.where(rec.load() > 127, 230, 0).astype(np.uint8)  # [t, 64, 64]
        frames[(frames == 0) & (rng.random(frames.shape) < 0.02)] = 90
        if (subject, lab.seq_type, lab.view) == SHORT:
            frames = frames[:2]
        write_opengait_sequence(root, SequenceLabels(subject, lab.seq_type, lab.view), frames)


def tiny_spec(subjects: int, **kw) -> ProceduralSpec:
    """A 2-view, 10-type procedural tree of 12-frame walks."""
    return ProceduralSpec(subjects=subjects, types=tuple(parse_types("nm:6,bg:2,cl:2")), views=(0.0, 90.0),
                          frames_min=12, frames_max=12, **kw)


def run_benchmark(real, synthetic, out, *extra: str) -> dict:
    """The benchmark on these trees, the shipped models standing in for the ones trained on real train ids."""
    rc = real_casiab.main(["--real", str(real), "--synthetic", str(synthetic),
                           "--real-recognizer", str(DEFAULT_RECOGNIZER), "--real-classifiers", str(CLASSIFIERS),
                           "--out", str(out), "--sheet-views", "0,90", *extra])
    assert rc == 0
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """A 3-subject procedural tree of the shipped models' walker (v2, clean renders) and the real-looking stand-in
    made from it."""
    tmp = tmp_path_factory.mktemp("realbench")
    build_procedural(tmp / "synthetic", tiny_spec(3, seed=0, walker="v2", noise="clean"), workers=1, progress=False)
    real_stand_in(DatasetIndex.open(tmp / "synthetic"), tmp / "real")
    return tmp


@pytest.fixture(scope="module")
def report(trees):
    """The one-arm benchmark's report.json and output folder (the default partition is CASIA-B's)."""
    out = trees / "out"
    return run_benchmark(trees / "real", trees / "synthetic", out), out


@pytest.fixture(scope="module")
def two_arms(trees, report):
    """The benchmark with the one-arm run's clean tree as the old arm and a 2-subject tree with segmentation noise
    as the new one, both with the shipped models, sharing the one-arm run's cache; and the cache files before it and
    those it added."""
    build_procedural(trees / "v2", tiny_spec(2, seed=1, walker="v2", noise="real"), workers=1, progress=False)
    cache = report[1] / "cache"
    cached = {p for p in cache.rglob("*") if p.is_file()}
    out = trees / "out_two_arms"
    r = run_benchmark(trees / "real", trees / "v2", out, "--cache", str(cache),
                      "--before-synthetic", str(trees / "synthetic"), "--before-recognizer", str(DEFAULT_RECOGNIZER),
                      "--before-classifiers", str(CLASSIFIERS))
    added = {p for p in cache.rglob("*") if p.is_file()} - cached
    return r, out, cached, added


def test_data_summary_counts_the_real_trees_gaps(report):
    r, _ = report
    d = r["data"]
    assert d["test_ids"][0] == "075" and len(d["test_ids"]) == 50  # the CASIA-B split by default
    assert (d["real_ids"], d["real_sequences"], d["missing_cells"], d["real_short"]) == (3, 59, 1, 1)
    assert d["synthetic_sequences"] == 60


def test_classifiers_score_bag_vs_no_bag_on_unnamed_bags(report):
    r, out = report
    shipped = r["classifiers"]["shipped"]
    carry = shipped["carry"]["confusion"]
    # the real tree says only 'bag'; the classifiers' three bags are collapsed onto it
    assert carry["rows"] == ["bag", "none"] and sorted(carry["cols"]) == ["bag", "none"]
    assert np.sum(carry["matrix"]) == 59
    detail = shipped["carry_detail"]["confusion"]
    assert detail["rows"] == ["bag", "none"] and {"backpack", "handbag", "shoulder_bag"} <= set(detail["cols"])
    # these are the classifiers' own kind of walker: they read them (an uncollapsed score would stay <= 83 %)
    assert shipped["carry"]["accuracy"] >= 90, shipped["carry"]
    assert shipped["view"]["accuracy"] >= 80 and shipped["clothing"]["recall"]["coat"] >= 80
    assert r["classifiers"]["real-trained"]["view"]["accuracy"] == shipped["view"]["accuracy"]  # same weights
    for name in ("view", "clothing", "carry", "carry_detail"):
        assert (out / f"confusion_shipped_{name}.png").stat().st_size > 1000


def test_recognizers_fgd_and_statistics_are_sane(report):
    r, out = report
    rec = r["recognizers"]
    for name in ("synthetic-only", "real-trained"):
        assert 0 <= rec[name]["headline"] <= 100
        assert set(rec[name]["probe_sets"]) == {"NM", "BG", "CL"}
    assert rec["ratio"] == pytest.approx(rec["synthetic-only"]["headline"] / rec["real-trained"]["headline"])
    f = r["fgd"]
    assert f["floor"] > 0 and f["fgd"] >= 0 and np.isfinite(f["ratio"]) and f["real_ids"] == 3
    stats = r["silhouette_stats"]
    assert stats["real"]["short"] == 1 and stats["synthetic"]["short"] == 0
    syn, real = stats["rows"]["synthetic"], stats["rows"]["real"]
    assert set(syn) == set(real) == {"000", "090"}
    # the stand-in holds the same walks at 0 deg (nm complete there): specks under 127 are not foreground
    assert real["000"]["fg_nm"] == pytest.approx(syn["000"]["fg_nm"])
    assert 5 < syn["090"]["fg_nm"] < 40 and 5 < syn["090"]["width_mean"] < 64
    assert r["contact_sheets"] == ["sheet_000.png", "sheet_090.png"]
    for png in ("recognizers_per_view.png", "silhouette_stats.png", *r["contact_sheets"]):
        assert (out / png).stat().st_size > 1000
    md = (out / "report.md").read_text()
    for heading in ("### 1.", "### 2.", "### 3.", "### 4.", "### 5.", "### Timings"):
        assert heading in md
    spread = stats["synthetic"]["identity_spread"]
    assert set(spread) == {"000", "090"} and spread["090"]["subjects"] >= 2
    assert "Between-person spread of row widths" in md and md.count("| head (2-9) |") == 1
    # one arm: no before/after table, the set is called 'synthetic'
    assert "before" not in r and "before_after" not in r and "Before / after" not in md
    assert r["labels"] == {"synthetic": "synthetic", "real": "real"} and set(stats["rows"]) == {"synthetic", "real"}


def test_before_after_table_holds_both_arms_beside_the_reference(report, two_arms):
    one, _ = report
    r, out, *_ = two_arms
    assert r["labels"] == {"before": "old walker", "synthetic": "new walker", "real": "real"}
    rows = {row["measure"]: row for row in r["before_after"]}
    assert len(rows) == 10
    view, ratio, fgd_row = rows["view accuracy (%)"], rows["FGD / real-vs-real floor"], rows[
        "FGD vs real (reference: real-vs-real floor)"]
    # both arms carry the shipped models here: their classifier and recognizer figures are the same real-data scores
    assert view["before"] == view["after"] == r["classifiers"]["shipped"]["view"]["accuracy"]
    assert view["reference"] == r["classifiers"]["real-trained"]["view"]["accuracy"] and view["bar"] == ">= 90"
    mean = rows["recognizer mean NM/BG/CL rank-1 (%)"]
    assert mean["before"] == mean["after"] == r["recognizers"]["synthetic-only"]["headline"]
    assert rows["mean rank-1 / real-trained recognizer's"]["after_meets"] == (r["recognizers"]["ratio"] >= 0.6)
    # the old arm is the one-arm run's synthetic set: its FGD is that run's, against the same real halves
    assert fgd_row["before"] == pytest.approx(one["fgd"]["fgd"]) and fgd_row["after"] == r["fgd"]["fgd"]
    assert r["before"]["fgd"]["floor"] == pytest.approx(r["fgd"]["floor"]) == fgd_row["reference"]
    assert ratio["before"] != ratio["after"] and ratio["after_meets"] == (ratio["after"] <= 2)
    assert r["before"]["data"] == {"synthetic": one["data"]["synthetic"], "sequences": 60, "ids": 3}
    assert r["data"]["synthetic_sequences"] == 40
    md = (out / "report.md").read_text()
    table = md[md.index("### Before / after: old walker against new walker"):md.index("### 1.")]
    assert "| old walker | new walker | real-trained reference | bar |" in table
    section1 = md[md.index("### 1."):md.index("Confusion matrices:")]  # the main arm's classifiers go by its label
    assert "| measure | new walker classifiers | real-trained |" in section1 and "shipped" not in section1
    assert f"| {view['before']:.1f} " in table and "| >= 0.60 |" in table and "| <= 2× |" in table
    for name in ("view", "clothing", "carry", "carry_detail"):
        assert (out / f"confusion_before_{name}.png").stat().st_size > 1000


def test_two_arm_statistics_and_sheets_show_both_sets_beside_real(report, two_arms):
    one, one_out = report
    r, out, *_ = two_arms
    stats = r["silhouette_stats"]
    assert set(stats["rows"]) == {"before", "synthetic", "real"}
    assert stats["rows"]["before"] == one["silhouette_stats"]["rows"]["synthetic"]  # the one-arm run's tree
    assert stats["rows"]["real"] == one["silhouette_stats"]["rows"]["real"]
    md = (out / "report.md").read_text()
    stats_md = md[md.index("### 4."):md.index("### 5.")]
    for label in ("old walker", "new walker", "real"):
        assert stats_md.count(f"° | {label} |") == 2  # one row per view
    from PIL import Image

    for sheet in r["contact_sheets"]:
        (w1, h1), (w2, h2) = Image.open(one_out / sheet).size, Image.open(out / sheet).size
        panel = (w1 - 6) // 2  # the one-arm sheet: synthetic | real
        assert (w2, h2) == (3 * panel + 12, h1)


def test_rerun_with_an_old_arm_added_only_embeds_the_new_set(two_arms):
    *_, cached, added = two_arms
    # classifier logits, the recognizer's embeddings of the real ids and of the clean set come from the one-arm run's
    # cache: only the noisy set is embedded, by the same recognizer (a new file beside the old ones)
    assert len(added) == 1, added
    new = next(iter(added))
    assert new.suffix == ".npz" and sum(p.parent == new.parent for p in cached) == 2


@pytest.mark.parametrize("given", [("--before-synthetic",), ("--before-recognizer", "--before-classifiers"),
                                   ("--before-label",)])
def test_before_flags_go_together(tmp_path, capsys, given):
    rc = real_casiab.main(["--real", str(tmp_path), "--synthetic", str(tmp_path),
                           "--real-recognizer", str(DEFAULT_RECOGNIZER), "--out", str(tmp_path / "out"),
                           *[x for flag in given for x in (flag, str(tmp_path))]])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "go together" in err
    missing = {"--before-synthetic", "--before-recognizer", "--before-classifiers"} - set(given)  # a label needs all
    assert all(flag in err.split("missing")[1] for flag in missing)
    assert not (tmp_path / "out").exists()


def test_missing_input_is_one_line_error(tmp_path, capsys):
    rc = real_casiab.main(["--real", str(tmp_path / "nope"), "--synthetic", str(tmp_path),
                           "--real-recognizer", str(DEFAULT_RECOGNIZER), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "--real" in err and str(tmp_path / "nope") in err


def test_score_collapses_named_bags_onto_an_unnamed_one():
    truth = ["bag", "bag", "none", "none"]
    answered = ["backpack", "none", "handbag", "none"]
    classes = ["backpack", "handbag", "none", "shoulder_bag"]
    headline = score(truth, answered, classes, collapse=bag_or_none)
    assert headline["accuracy"] == 50.0 and headline["recall"] == {"bag": 50.0, "none": 50.0}
    assert headline["confusion"] == {"rows": ["bag", "none"], "cols": ["bag", "none"], "matrix": [[1, 1], [1, 1]]}
    detail = score(truth, answered, classes)  # which bag: the classifier's own classes as columns
    assert detail["confusion"]["cols"] == classes and detail["confusion"]["matrix"] == [[1, 0, 1, 0], [0, 1, 1, 0]]


def test_silhouette_stats_read_width_and_its_period():
    seq = np.concatenate([walker_blob(t=20, h=64, w=64)] * 3)  # legs swing apart twice per 20-frame cycle
    width = frame_widths(seq)
    cols = [np.flatnonzero(f.any(0)) for f in seq > 127]
    assert np.array_equal(width, [c[-1] - c[0] + 1 for c in cols])
    stats = sequence_stats(seq)
    assert stats.period == 10 and stats.frames == 60 and 0 < stats.foreground < 0.5
    assert sequence_stats(seq[:9]) is None  # too short to read a period from


def test_band_widths_and_identity_spread_separate_people_from_walks():
    frames = np.zeros((12, 64, 44), np.uint8)
    frames[:, 2:10, 10:16] = 255  # a 6 px head
    frames[:, 12:60, 8:20] = 255  # a 12 px body below it
    bands = band_widths(frames)
    assert bands[list(BANDS).index("head")] == 6.0 and bands[list(BANDS).index("shanks")] == 12.0
    assert band_widths(np.zeros((12, 128, 88), np.uint8)) == ()  # bands are rows of 64-row frames
    assert sequence_stats(frames).bands == bands
    n = len(BANDS)
    people = {"a": [(6.0,) * n, (8.0,) * n], "b": [(10.0,) * n, (12.0,) * n]}  # means 7 and 11, each walk +-1
    spread = identity_spread(people)
    assert spread["subjects"] == 2
    assert spread["head"] == {"between": pytest.approx(2.0), "within": pytest.approx(1.0)}
    assert identity_spread({"a": people["a"]}) is None  # one person: nothing to tell apart
    mean = mean_identity_spread({"000": spread, "090": identity_spread({"a": [(6.0,) * n], "b": [(6.0,) * n]})})
    assert mean["trunk"]["between"] == pytest.approx(1.0)  # (2 + 0) / 2
    assert mean["trunk"]["within"] == pytest.approx(1.0)  # one walk each at 90: no within-person spread read there


def test_run_meta_reads_a_run_folder_and_its_model_folder_alike(tmp_path):
    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    (run / "model" / "meta.json").write_text((CLASSIFIERS / "meta.json").read_text())
    from_run, from_model = real_casiab.run_meta(str(run)), real_casiab.run_meta(str(CLASSIFIERS))
    assert from_run["config"] == from_model["config"] is not None
    assert from_run["steps"] == from_model["steps"] and from_run["sequences"] == from_model["sequences"]
    assert real_casiab.run_meta(str(tmp_path / "nothing")) == {}
