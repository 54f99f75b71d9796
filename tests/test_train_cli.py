"""`gaitcraft train`: a tree in, a resumable run with an exported pipeline out; wrong configs refused in one line."""

from __future__ import annotations

import json

import pytest

from gaitcraft.cli import main
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.paths import REPO_ROOT
from gaitcraft.pretreat import pretreat_frames
from gaitcraft.training import read_log
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
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY, "--max-unet-steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "2 identities" in out  # TRAIN_SET only
    assert (run / "model" / "model_index.json").is_file()
    rows = read_log(run)
    assert max(r["phase_step"] for r in rows if r["phase"] == "diffusion") == 3
    # rerunning without --max-unet-steps continues from step 3 to the config's 6 steps, no step repeated
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY]) == 0
    steps = [r["phase_step"] for r in read_log(run) if r["phase"] == "diffusion"]
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


def _tiny_with(tmp_path, name: str, extra: str) -> str:
    """The tiny config with lines added to its train section (the last section of the file)."""
    path = tmp_path / name
    path.write_text(open(TINY).read().rstrip("\n") + "\n" + extra)
    return str(path)


def test_init_from_starts_phase_two_from_a_model_and_resumes(tree, tmp_path, capsys):
    from safetensors.torch import load_file

    base = tmp_path / "base"
    assert main(["train", "--data", str(tree), "--out", str(base), "--config", TINY]) == 0
    model = base / "model"
    cfg = _tiny_with(tmp_path, "extend.yaml", f"  init_from: {model}\n  lr_schedule: cosine\n  lr: 1.0e-12\n")
    run = tmp_path / "extend"
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", cfg, "--max-steps", "3"]) == 0
    rows = read_log(run)
    assert {r["phase"] for r in rows} == {"diffusion"}  # phase 1 skipped
    # at a vanishing learning rate the exported UNet is the starting model (EMA of unchanged weights)
    name = "diffusion_pytorch_model.safetensors"
    for part in ("unet", "condition_encoder", "autoencoder"):
        a, b = load_file(model / part / name), load_file(run / "model" / part / name)
        assert all(float((a[k].float() - b[k].float()).abs().max()) < 2e-3 for k in a), part
    lrs = [float(r["lr"]) for r in rows]
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", cfg]) == 0
    rows = read_log(run)
    steps = [r["step"] for r in rows]
    assert steps == sorted(set(steps)) and steps[-1] == 6
    assert lrs[-1] > float(rows[-1]["lr"])  # the cosine schedule decays after warm-up


def test_init_from_a_model_of_another_architecture_is_refused(tree, tmp_path, capsys):
    other = _tiny_with(tmp_path, "other.yaml", "  steps: 2\n")
    text = open(other).read().replace("emb_dim: 32", "emb_dim: 16")
    open(other, "w").write(text)
    base = tmp_path / "base"
    assert main(["train", "--data", str(tree), "--out", str(base), "--config", other]) == 0
    cfg = _tiny_with(tmp_path, "extend.yaml", f"  init_from: {base / 'model'}\n")
    capsys.readouterr()
    assert main(["train", "--data", str(tree), "--out", str(tmp_path / "x"), "--config", cfg]) == 2
    err = capsys.readouterr().err
    assert "'unet'" in err and "another config" in err and "emb_dim" in err and err.strip().count("\n") == 0


def test_unknown_lr_schedule_is_refused(tree, tmp_path, capsys):
    cfg = _tiny_with(tmp_path, "bad.yaml", "  lr_schedule: polynomial_wiggle\n")
    assert main(["train", "--data", str(tree), "--out", str(tmp_path / "x"), "--config", cfg]) == 2
    err = capsys.readouterr().err
    assert "polynomial_wiggle" in err and "cosine" in err


def test_run_folder_of_the_former_layout_is_refused_in_one_line_and_its_model_still_loads(tree, tmp_path, capsys):
    """A run folder written before the training kit (run_config.json, log.csv, checkpoints/latest.json) cannot be
    resumed: one line says what it is and what to do; its exported model/ still generates."""
    import shutil

    run = tmp_path / "run"
    assert main(["train", "--data", str(tree), "--out", str(run), "--config", TINY, "--max-unet-steps", "2"]) == 0
    old = tmp_path / "old"
    shutil.copytree(run / "model", old / "model")  # the former layout's model/ was this same pipeline folder
    (old / "checkpoints" / "diffusion-0000002").mkdir(parents=True)
    (old / "checkpoints" / "latest.json").write_text('{"checkpoint": "diffusion-0000002"}')
    (old / "log.csv").write_text("phase,step,loss\n")
    capsys.readouterr()
    assert main(["train", "--data", str(tree), "--out", str(old), "--config", TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{old}: a generator run of the former layout" in err and "new --out" in err
    assert main(["generate", "--model", str(old / "model"), "--out", str(tmp_path / "gen"), "--identity", "000",
                 "--steps", "2"]) == 0


def _phase_steps(run) -> list[tuple[str, int]]:
    return [(r["phase"], r["phase_step"]) for r in read_log(run)]


def test_step_limits_bound_every_phase(tree, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--data", str(tree), "--out", str(run), "--config", TINY]
    # the tiny config's autoencoder takes 4 steps: --max-steps 2 stops inside phase 1, checkpointed, no model
    assert main([*args, "--max-steps", "2"]) == 0
    assert _phase_steps(run) == [("autoencoder", 1), ("autoencoder", 2)]
    assert not (run / "model").exists() and "no model yet" in capsys.readouterr().out
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-0000002"]
    assert json.loads((run / "checkpoints" / "step-0000002" / "run_state.json").read_text())["phase"] == "autoencoder"
    assert main([*args, "--max-ae-steps", "3"]) == 0  # a per-phase limit stops phase 1 too
    assert _phase_steps(run)[-1] == ("autoencoder", 3) and not (run / "model").exists()
    # the whole run's step 6 is the autoencoder's 4 steps plus 2 of the UNet's: exported there
    assert main([*args, "--max-steps", "6"]) == 0
    assert _phase_steps(run)[-1] == ("diffusion", 2) and (run / "model" / "model_index.json").is_file()
    assert main([*args, "--max-unet-steps", "4"]) == 0
    assert _phase_steps(run)[-1] == ("diffusion", 4)
    assert main([*args, "--max-steps", "0"]) == 2
    assert "--max-steps must be at least 1" in capsys.readouterr().err


SUBPROCESS = """
import sys, torch
torch.set_num_threads(1)
from gaitcraft.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_resumed_in_new_processes_ends_with_the_same_model(tree, tmp_path):
    """Stopped inside phase 1 in one process and inside phase 2 in another, then finished: the same bytes as an
    uninterrupted run (same batches, noise, RNG states)."""
    import os
    import subprocess
    import sys

    from gaitcraft.paths import REPO_ROOT

    straight, pieces = tmp_path / "straight", tmp_path / "pieces"
    args = ["train", "--data", str(tree), "--config", TINY, "--out"]
    assert main([*args, str(straight)]) == 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    for limit in ("3", "7"):  # autoencoder step 3, then the UNet's step 3 (4 + 3)
        done = subprocess.run([sys.executable, "-c", SUBPROCESS, *args, str(pieces), "--max-steps", limit],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert main([*args, str(pieces)]) == 0
    files = sorted(p.relative_to(straight) for p in (straight / "model").rglob("*") if p.is_file())
    assert files and all((straight / f).read_bytes() == (pieces / f).read_bytes() for f in files)
    assert _phase_steps(pieces) == _phase_steps(straight)  # each step logged once
