"""benchmarks/view_drift.py: the view a classifier reads in each part of a walk, on a tiny static-camera tree."""

from __future__ import annotations

import json

import pytest

from benchmarks.view_drift import main
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift") / "v3"
    spec = ProceduralSpec(subjects=1, types=("nm-01", "nm-02"), views=(54.0, 126.0), frames_min=30, frames_max=30,
                          walker="v3", noise="clean")
    build_procedural(root, spec, workers=1, progress=False)
    return root


def test_reads_each_part_and_the_whole_per_view(tree, tmp_path, capsys):
    out = tmp_path / "drift.md"
    assert main(["--data", str(tree), "--classifiers", "assets/models/classifiers", "--out", str(out)]) == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert set(result["views"]) == {"54", "126"}
    for r in result["views"].values():
        assert r["n"] == 2 and len(r["mean"]) == 4 and len(r["as_label"]) == 4
        assert all(0 <= m <= 180 for m in r["mean"])
    assert "| 54 | 2 |" in out.read_text()
    # a part shorter than the minimum skips the sequence rather than reading a few frames
    assert main(["--data", str(tree), "--classifiers", "assets/models/classifiers", "--parts", "4",
                 "--out", str(tmp_path / "four.md")]) == 0
    assert json.loads((tmp_path / "four.json").read_text())["views"] == {}
    capsys.readouterr()
    assert main(["--data", str(tree), "--classifiers", "assets/models/classifiers", "--parts", "0",
                 "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "--parts must be at least 1" in err and err.strip().count("\n") == 0


def test_parts_are_read_at_the_width_the_classifier_was_trained_on():
    import numpy as np
    import torch

    from benchmarks.view_drift import read_parts

    seen = []

    def model(x):
        seen.append(tuple(x.shape))
        return {"view": torch.tensor([[0.0, 1.0]])}

    frames = np.zeros((24, 64, 64), np.uint8)
    assert read_parts(model, [0.0, 90.0], frames, 3) == [90.0] * 4
    assert seen == [(1, 8, 64, 44)] * 3 + [(1, 24, 64, 44)]
