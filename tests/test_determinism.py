"""Same seed, same bytes: the procedural dataset does not depend on whether the motion cache existed (cold or
warm) nor on the thread count (torch threads in-process; OpenMP/BLAS threads and worker processes in a
separate `gaitcraft procedural` process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gaitcraft.paths import REPO_ROOT, anny_cache_dir
from mesh.gait_cycles import forget_loaded_libraries
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec

# small, with a bag and a coat (accessories, cloth), two views and two units, so the worker pool has work
SPEC = ProceduralSpec(subjects=1, types=("bg-01", "cl-01"), views=(0.0, 90.0), frames_min=10, frames_max=12, seed=3,
                      noise="real")  # the command line's default, so the noise model's determinism is covered too
CLI_ARGS = ["--subjects", "1", "--types", "bg:1,cl:1", "--views", "0,90", "--frames-per-seq", "10:12", "--seed", "3"]


@pytest.fixture
def motion_cache(tmp_path, monkeypatch):
    """A private GaitCraft cache (so the motion cache can be cold) that keeps the shared anny build."""
    monkeypatch.setenv("ANNY_CACHE_DIR", str(anny_cache_dir()))  # the ~800 MB body model is not what is tested
    cache = tmp_path / "cache"
    monkeypatch.setenv("GAITCRAFT_CACHE", str(cache))
    forget_loaded_libraries()
    yield cache
    forget_loaded_libraries()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _render(root: Path, threads: int, cold: bool, cache: Path) -> dict[str, bytes]:
    forget_loaded_libraries()  # the in-process memo would hide the cache state
    if cold:
        shutil.rmtree(cache / "motion", ignore_errors=True)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        build_procedural(root, SPEC, workers=1, progress=False)
    finally:
        torch.set_num_threads(before)
    assert list((cache / "motion").glob("cycles-*.npz")), "the run should leave a warm motion cache"
    return _files(root)


def test_same_seed_same_bytes_from_a_cold_or_warm_cache_at_one_or_two_threads(tmp_path, motion_cache):
    first = _render(tmp_path / "cold-1", 1, True, motion_cache)
    assert any(name.endswith(".pkl") for name in first) and any(name.endswith(".npz") for name in first)
    for name, threads, cold in (("warm-2", 2, False), ("cold-2", 2, True), ("warm-1", 1, False)):
        again = _render(tmp_path / name, threads, cold, motion_cache)
        assert again.keys() == first.keys(), name
        differ = [k for k in first if first[k] != again[k]]
        assert not differ, f"{name}: {differ[:5]}"
    # another process with two OpenMP/BLAS threads and two render workers, on the warm cache
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "2", "GAITCRAFT_CACHE": str(motion_cache),
           "ANNY_CACHE_DIR": str(anny_cache_dir())}
    out = tmp_path / "process-2"
    done = subprocess.run([sys.executable, "-m", "gaitcraft.cli", "procedural", *CLI_ARGS, "--workers", "2",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    again = _files(out)
    assert again.keys() == first.keys() and [k for k in first if first[k] != again[k]] == []
