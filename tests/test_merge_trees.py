"""benchmarks/merge_trees.py: several small procedural trees linked into one training tree."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.merge_trees import main
from gaitcraft.dataset import DatasetIndex
from synth_datasets.grid import parse_types
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Two 3-subject trees of two walker versions (001-002 train, 003 test), nm:1 at views 0 and 90."""
    folder = tmp_path_factory.mktemp("merge")
    out = []
    for walker in ("v2", "v3"):
        spec = ProceduralSpec(subjects=3, train_subjects=2, types=tuple(parse_types("nm:1")), views=(0.0, 90.0),
                              frames_min=8, frames_max=8, seed=0, walker=walker, noise="clean")
        build_procedural(folder / walker, spec, workers=1, progress=False)
        out.append(folder / walker)
    return out


def test_merged_tree_holds_each_tree_s_training_subjects_and_the_last_one_s_test(trees, tmp_path, capsys):
    v2, v3 = trees
    out = tmp_path / "mix"
    assert main(["--out", str(out), f"a={v2}", f"b={v3}"]) == 0
    split = json.loads((out / "partition.json").read_text())
    assert split == {"TRAIN_SET": ["a001", "a002", "b001", "b002"], "TEST_SET": ["b003"]}
    merged = {(r.labels.subject, r.labels.view): r for r in DatasetIndex.open(out).records}
    assert len(merged) == 10 and not DatasetIndex.open(out).problems
    source = {(r.labels.subject, r.labels.view): r for r in DatasetIndex.open(v3).records}
    rec = merged[("b002", 90.0)]
    assert rec.labels.seq_type == "nm-01" and rec.labels.clothing == source[("002", 90.0)].labels.clothing
    assert np.array_equal(rec.load(), source[("002", 90.0)].load())  # the very sequence, linked
    # a rerun keeps the links and writes the same manifest
    manifest = (out / "manifest.jsonl").read_bytes()
    assert main(["--out", str(out), f"a={v2}", f"b={v3}"]) == 0
    assert (out / "manifest.jsonl").read_bytes() == manifest
    capsys.readouterr()


@pytest.mark.parametrize("sources", [["a=X", "a=Y"], ["a-b=X"], ["noequals"]])
def test_bad_sources_are_one_line_errors(trees, tmp_path, capsys, sources):
    v2, _ = trees
    args = [s.replace("X", str(v2)).replace("Y", str(v2)) for s in sources]
    assert main(["--out", str(tmp_path / "m"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.strip().count("\n") == 0


def test_a_clash_with_an_existing_file_is_refused(trees, tmp_path, capsys):
    v2, _ = trees
    (tmp_path / "m" / "a001" / "nm-01").mkdir(parents=True)
    (tmp_path / "m" / "a001" / "nm-01" / "000").write_text("not a sequence")
    assert main(["--out", str(tmp_path / "m"), f"a={v2}"]) == 2
    assert "not a link to the same sequence" in capsys.readouterr().err
