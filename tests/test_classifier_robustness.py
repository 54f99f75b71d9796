"""benchmarks/classifier_robustness.py: a view classifier read under edge and width changes, on a small tree the
test makes itself (a stand-in for real CASIA-B)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.classifier_robustness import change_frames, main, parse_changes, pick
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.types import Sequence, SequenceLabels
from tests.test_recognizer_train import blob_sequence


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("robust")
    seqs = [Sequence(blob_sequence(s, 12, s * 7 + int(v)), SequenceLabels(f"{s:03d}", "nm-01", v, "normal", "none"))
            for s in range(3) for v in (0.0, 90.0)]
    write_opengait_tree(root, seqs)
    return root


def test_changes_parse_and_bad_ones_are_refused():
    assert parse_changes("none, edge:0.3,stretch:1.1") == [("none", 0.0), ("edge", 0.3), ("stretch", 1.1)]
    for bad in ("edge:1.5", "stretch:3", "blur:2", "edge:x", ""):
        with pytest.raises(ConfigError):
            parse_changes(bad)


def test_each_change_does_what_it_says():
    frames = np.zeros((2, 64, 44), np.uint8)
    frames[:, 20:40, 17:27] = 255
    area = int((frames > 0).sum())
    assert change_frames(frames, "none", 0) is frames
    assert (change_frames(frames, "edge", 0.3) > 0).sum() > area > (change_frames(frames, "edge", 0.7) > 0).sum()
    wide = change_frames(frames, "stretch", 1.3)
    assert wide.dtype == np.uint8 and set(np.unique(wide)) <= {0, 255} and (wide > 0).sum() > area


def test_pick_draws_per_view_and_is_seeded(tree):
    index = DatasetIndex.open(tree)
    a, b = pick(index, 2, 0), pick(index, 2, 0)
    assert [r.path for r in a] == [r.path for r in b] and len(a) == 4
    assert sorted(float(r.labels.view) for r in a) == [0.0, 0.0, 90.0, 90.0]


def test_report_reads_every_run_under_every_change(tree, tmp_path, capsys):
    out = tmp_path / "r.md"
    assert main(["--data", str(tree), "--run", "shipped=assets/models/classifiers", "--run",
                 "again=assets/models/classifiers", "--changes", "none,edge:0.7", "--per-view", "2",
                 "--out", str(out)]) == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["sequences"] == 4 and list(result["runs"]) == ["shipped", "again"]
    assert result["runs"]["shipped"] == result["runs"]["again"]
    assert list(result["runs"]["shipped"]) == ["none", "edge 0.7"]
    assert set(result["runs"]["shipped"]["none"]["per_view"]) == {"0", "90"}
    assert out.with_suffix(".png").is_file() and "| shipped (`assets/models/classifiers`) |" in out.read_text()
    capsys.readouterr()
    assert main(["--data", str(tree), "--run", "nolabel", "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "expected LABEL=RUN" in err and err.strip().count("\n") == 0
