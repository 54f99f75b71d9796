"""The procedural dataset: deterministic per seed, resumable, readable by the foundation with no problems."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError
from gaitcraft.info import inspect_dataset
from synth_datasets.grid import parse_types, parse_views
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec

SPEC = ProceduralSpec(subjects=2, types=tuple(parse_types("nm:1,bg:1,cl:1")), views=(0.0, 90.0),
                      frames_min=12, frames_max=14, seed=3)


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix in (".pkl", ".jsonl", ".json")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("proc") / "a"
    build_procedural(root, SPEC, workers=1, progress=False)
    return root


def test_readers_load_it_without_problems(built):
    index = DatasetIndex.open(built)
    assert index.kind == "gaitcraft" and len(index) == 2 * 3 * 2
    info = inspect_dataset(built, progress=False)
    assert info["problems"] == []
    carries = {r.labels.carry for r in index.filter(seq_types=["bg-"])}
    assert carries <= {"shoulder_bag", "backpack", "handbag"}
    assert {r.labels.clothing for r in index.filter(seq_types=["cl-"])} == {"coat"}
    for rec in index:
        arr = rec.load_raw()
        assert arr.shape[1:] == (64, 64) and set(np.unique(arr)) <= {0, 255} and len(arr) >= 10
    gt = np.load(built / "groundtruth" / "001" / "nm-01.npz")
    assert gt["joints"].shape[1:] == (104, 3) and gt["cam_R"].shape[:1] == (2,)
    assert (built / "README.md").read_text().count("mocap.cs.cmu.edu") == 1


def test_deterministic_per_seed_and_resumable(built, tmp_path):
    again = tmp_path / "b"
    build_procedural(again, SPEC, workers=1, progress=False)
    assert _files(again) == _files(built)
    # simulate a killed run: one walk's sidecar (written last) and one of its views are gone
    (again / "groundtruth" / "002" / "bg-01.npz").unlink()
    (again / "002" / "bg-01" / "090" / "090.pkl").unlink()
    out = build_procedural(again, SPEC, workers=1, progress=False)
    assert out["rendered_units"] == 1 and out["resumed_units"] == 5
    assert _files(again) == _files(built)


def test_other_seed_differs_and_other_spec_is_refused(built, tmp_path):
    other = ProceduralSpec(**{**SPEC.__dict__, "seed": 4, "subjects": 1, "types": ("nm-01",)})
    build_procedural(tmp_path / "c", other, workers=1, progress=False)
    a = DatasetIndex.open(built).filter(subjects=["001"], seq_types=["nm-01"], views=[90])[0].load()
    b = DatasetIndex.open(tmp_path / "c").filter(views=[90])[0].load()
    assert a.shape != b.shape or not np.array_equal(a, b)
    with pytest.raises(ConfigError, match="different dataset"):
        build_procedural(built, other, workers=1, progress=False)


def test_spec_errors():
    with pytest.raises(ConfigError, match="at least 1"):
        ProceduralSpec(subjects=0)
    with pytest.raises(ConfigError, match="unknown condition"):
        parse_types("nm:2,xx:1")
    with pytest.raises(ConfigError, match=r"\[0, 360\)"):
        parse_views("0,400")


def test_real_noise_changes_pixels_not_the_walk_and_is_recorded(built, tmp_path):
    noisy = ProceduralSpec(**{**SPEC.__dict__, "subjects": 1, "types": ("nm-01",), "noise": "real"})
    build_procedural(tmp_path / "n", noisy, workers=1, progress=False)
    for view in (0, 90):
        clean = DatasetIndex.open(built).filter(subjects=["001"], seq_types=["nm-01"], views=[view])[0]
        rec = DatasetIndex.open(tmp_path / "n").filter(views=[view])[0]
        a, b = clean.load_raw(), rec.load_raw()
        assert len(a) == len(b) and not np.array_equal(a, b)  # the same walk, other pixels
        assert rec.labels.provenance["noise"] == "real" and clean.labels.provenance["noise"] == "clean"
    gt = np.load(tmp_path / "n" / "groundtruth" / "001" / "nm-01.npz")
    assert "segmentation_noise" in gt and "segmentation_noise" not in np.load(built / "groundtruth/001/nm-01.npz")
    with pytest.raises(ConfigError, match="--noise"):
        ProceduralSpec(noise="dirty")


def test_a_dataset_written_before_noise_existed_resumes_as_clean(built, tmp_path):
    import json
    import shutil

    old = tmp_path / "old"
    shutil.copytree(built, old)
    spec = json.loads((old / "dataset_spec.json").read_text())
    del spec["noise"]
    (old / "dataset_spec.json").write_text(json.dumps(spec))
    assert build_procedural(old, SPEC, workers=1, progress=False)["rendered_units"] == 0
    with pytest.raises(ConfigError, match="noise"):
        build_procedural(old, ProceduralSpec(**{**SPEC.__dict__, "noise": "real"}), workers=1, progress=False)
