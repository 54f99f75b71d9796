"""`gaitcraft train`: a tree in, a resumable run with an exported pipeline out; wrong configs refused in one line."""

from __future__ import annotations

import csv

import pytest

from gaitcraft.cli import main
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.paths import REPO_ROOT
from gaitcraft.pretreat import pretreat_frames
from gaitcraft.types import Sequence, SequenceLabels
from tests.conftest import walker_blob

TINY = str(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml")


@pytest.fixture
def tree(tmp_path):
    seqs = []
    for s in range(3):
        for typ, clothing, carry in (("nm-01", "normal", "none"), ("bg-01", "normal", "bag"), ("cl-01", "coat", "none")):
            frames = pretreat_frames(walker_blob(t=12, seed=s * 10 + len(seqs)))
            seqs.append(Sequence(frames, SequenceLabels(f"{s:03d}", typ, 90.0, clothing, carry, "test")))
    return write_opengait_tree(tmp_path / "data", seqs, train=["000", "001"], test=["002"])


def test_train_exports_pipeline_and_resumes(tree, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY, "--max-steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "2 identities" in out  # TRAIN_SET only
    assert (run / "model" / "model_index.json").is_file()
    rows = list(csv.DictReader(open(run / "log.csv")))
    assert max(int(r["step"]) for r in rows if r["phase"] == "diffusion") == 3
    # rerunning without --max-steps continues from step 3 to the config's 6 steps, no step repeated
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY]) == 0
    steps = [int(r["step"]) for r in csv.DictReader(open(run / "log.csv")) if r["phase"] == "diffusion"]
    assert steps == sorted(set(steps)) and steps[-1] == 6


def test_run_of_another_config_is_refused(tree, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY, "--max-steps", "1"]) == 0
    other = tmp_path / "other.yaml"
    other.write_text(open(TINY).read().replace("lr_warmup_steps: 2", "lr_warmup_steps: 3"))
    capsys.readouterr()
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", str(other)]) == 2
    err = capsys.readouterr().err
    assert "another config" in err and "lr_warmup_steps: 2 -> 3" in err and err.strip().count("\n") == 0


def test_bad_config_name_is_one_line_error(tree, tmp_path, capsys):
    assert main(["train", "--data", str(tree), "--out", str(tmp_path / "r"), "--config", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "nosuch.yaml" in err and err.strip().count("\n") == 0
