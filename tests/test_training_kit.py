"""The training kit (`gaitcraft.training`) on a toy trainer: config kinds and strict keys, checkpoints that a kill
cannot leave half written, the resume rule (same bytes as an uninterrupted run; another config or data refused in
one line), the log, and run folders of the former layouts refused with a line that says what they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.training import (
    JsonlLog,
    RunFolder,
    TrainingConfig,
    TrainingRun,
    latest_checkpoint,
    load_config,
    read_log,
    read_model,
    save_model,
)


@dataclass(frozen=True)
class ToyTrain:
    steps: int = 4
    lr: float = 0.1
    save_every: int = 2
    seed: int | None = 0


@dataclass(frozen=True)
class ToyConfig(TrainingConfig):
    KINDS = ("reconstructor",)
    RESUMABLE = ("train.steps", "train.save_every")

    kind: str = "reconstructor"
    name: str = "toy"
    train: ToyTrain = field(default_factory=ToyTrain)

    def check(self) -> None:
        if self.train.lr <= 0:
            raise ConfigError("train.lr must be positive")


def toy_train(out, cfg: ToyConfig = ToyConfig(), stop: int | None = None, data: str = "d1", kill_at: int | None = None):
    """A linear regression on the kit: SGD with momentum and a step LR schedule (accelerate's state), torch's
    global RNG for inputs (accelerate's RNG file) and a NumPy RNG for targets (the run's JSON state). With
    `kill_at`, the process is SIGKILLed inside that step's checkpoint, after accelerate wrote its files."""
    run = TrainingRun(out, cfg, {"data": data}, mixed_precision="no", keep_checkpoints=2, progress=False)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.train.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, 0.5)
    model, opt, sched = run.accelerator.prepare(model, opt, sched)
    rng = np.random.default_rng(1)
    if state := run.restore():
        rng.bit_generator.state = state["rng"]
    if kill_at is not None:
        save_state = run.accelerator.save_state

        def killed(path, **kw):
            save_state(path, **kw)
            if path.endswith(f"step-{kill_at:07d}.tmp"):
                os.kill(os.getpid(), 9)

        run.accelerator.save_state = killed
    step, stop = run.start_step, stop or cfg.train.steps
    bar = run.progress(stop, step, log_every=1)
    while step < stop:
        x = torch.randn(8, 3)  # [8, 3]
        y = torch.from_numpy(rng.normal(size=(8, 1))).float()  # [8, 1]
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        run.accelerator.backward(loss)
        opt.step()
        sched.step()
        step += 1
        bar.update(step, {"loss": loss.item(), "lr": opt.param_groups[0]["lr"]})
        if step % cfg.train.save_every == 0 or step == stop:
            run.save(step, {"rng": rng.bit_generator.state})
    bar.close()
    run.save_model(model, {"kind": "toy", "config": cfg.to_dict(), "step": step})
    return run


def _weights(run_dir) -> bytes:
    return (run_dir / "model" / "model.safetensors").read_bytes()


def test_config_kind_and_keys_are_checked_in_one_line(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text("kind: reconstructor\ntrain:\n  steps: 7\n  seed: null\n")
    cfg = load_config(path, ToyConfig)
    assert cfg.train.steps == 7 and cfg.train.seed is None and cfg.to_dict()["kind"] == "reconstructor"
    assert ToyConfig.from_dict(cfg.to_dict()) == cfg  # what a run folder's config.yaml holds reads back
    for text, message in [
        ("train:\n  steps: 7\n", "missing key 'kind'"),
        ("kind: toy\n", "kind 'toy' is not one of generator, recognizer"),
        ("kind: generator\n", "a generator config; `toy train` takes a reconstructor config"),
        ("kind: reconstructor\ntrain:\n  stepz: 7\n", "unknown key 'train.stepz'; valid keys in section 'train'"),
        ("kind: reconstructor\nlr: 1\n", "unknown key 'lr'; valid keys in the config"),
        ("kind: reconstructor\ntrain:\n  steps: 7.5\n", "train.steps must be an integer, got 7.5"),
        ("kind: reconstructor\ntrain:\n  lr: -1\n", "train.lr must be positive"),
        ("kind: [reconstructor\n", "line 2, column 1: invalid YAML config"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_config(path, ToyConfig, command="toy train")
        assert str(err.value).startswith(f"{path}: {message}") and "\n" not in str(err.value), str(err.value)


def test_resumed_run_ends_with_the_same_bytes_and_logs_each_step_once(tmp_path):
    toy_train(tmp_path / "straight")
    first = toy_train(tmp_path / "pieces", stop=3)  # stopped between checkpoints: 3 is checkpointed as the stop
    assert first.start_step == 0 and latest_checkpoint(tmp_path / "pieces" / "checkpoints").step == 3
    again = toy_train(tmp_path / "pieces")
    assert again.start_step == 3
    assert _weights(tmp_path / "straight") == _weights(tmp_path / "pieces")
    log = read_log(tmp_path / "pieces")
    assert [r["step"] for r in log] == [1, 2, 3, 4] and log[-1]["lr"] == pytest.approx(0.1 * 0.5**4)
    assert [r["loss"] for r in log] == [r["loss"] for r in read_log(tmp_path / "straight")]
    names = sorted(p.name for p in (tmp_path / "pieces" / "checkpoints").iterdir())
    assert names == ["step-0000003", "step-0000004"]  # keep_checkpoints=2; no temp folder left behind
    files = sorted(p.name for p in (tmp_path / "pieces" / "checkpoints" / "step-0000004").iterdir())
    # accelerate's files (weights as safetensors, no custom pickled objects) and the run's own JSON state
    assert files == ["model.safetensors", "optimizer.bin", "random_states_0.pkl", "run_state.json", "scheduler.bin"]
    # a finished run reruns as a no-op that rewrites the same model
    toy_train(tmp_path / "pieces")
    assert _weights(tmp_path / "straight") == _weights(tmp_path / "pieces")


def test_a_run_of_another_config_or_data_is_refused_but_resumable_keys_may_change(tmp_path):
    run = tmp_path / "run"
    RunFolder(run).claim({"kind": "reconstructor", "name": "failed before its first checkpoint"}, {})
    toy_train(run, stop=2)  # nothing to resume there: the folder is this run's now
    with pytest.raises(CheckpointError) as err:
        toy_train(run, ToyConfig(train=ToyTrain(lr=0.2)))
    assert str(err.value) == (f"{run}: the run folder was made with another config (train.lr: 0.1 -> 0.2); "
                              "use a new --out folder or the run's own config.yaml")
    with pytest.raises(CheckpointError, match="another config or data \\(data: 'd1' -> 'd2'\\)"):
        toy_train(run, data="d2")
    longer = toy_train(run, ToyConfig(train=ToyTrain(steps=6, save_every=3)))  # how long and how often may change
    assert longer.start_step == 2 and [r["step"] for r in read_log(run)] == [1, 2, 3, 4, 5, 6]
    assert load_config(run / "config.yaml", ToyConfig).train.steps == 6  # the run's config is a valid --config


KILL = """
import sys
from tests.test_training_kit import toy_train
toy_train(sys.argv[1], kill_at=4)
"""


def test_a_run_killed_inside_a_checkpoint_resumes_from_the_last_complete_one(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", KILL, str(run)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    half = run / "checkpoints" / ".step-0000004.tmp"
    assert (half / "model.safetensors").is_file() and not (half / "run_state.json").exists()
    assert latest_checkpoint(run / "checkpoints").step == 2  # the half-written one is not taken
    assert [r["step"] for r in read_log(run)] == [1, 2, 3, 4]  # logged before the kill ...
    toy_train(run)
    assert [r["step"] for r in read_log(run)] == [1, 2, 3, 4]  # ... and each step once after the resume
    assert not half.exists() and latest_checkpoint(run / "checkpoints").step == 4
    toy_train(tmp_path / "straight")
    assert _weights(run) == _weights(tmp_path / "straight")


def test_run_folders_of_the_former_layouts_are_refused_in_one_line(tmp_path):
    gen = tmp_path / "generator"
    (gen / "checkpoints").mkdir(parents=True)
    (gen / "checkpoints" / "latest.json").write_text('{"checkpoint": "diffusion-0000500"}')
    (gen / "run_config.json").write_text("{}")
    rec = tmp_path / "recognizer"
    (rec / "checkpoints" / "step-0000200").mkdir(parents=True)
    save_file({"torch": torch.zeros(3, dtype=torch.uint8)}, rec / "checkpoints" / "step-0000200" / "rng.safetensors")
    (rec / "train_log.jsonl").write_text('{"step": 200, "loss": 1.0}\n')
    save_model(tmp_path / "model", torch.nn.Linear(2, 1), {"kind": "gaitbase", "config": {}})
    for folder, what in ((gen, "a generator run of the former layout"), (rec, "a run of the former layout")):
        with pytest.raises(CheckpointError) as err:
            toy_train(folder)
        msg = str(err.value)
        assert msg.startswith(f"{folder}: {what}") and "new --out folder" in msg and "\n" not in msg
    # a finished run of the former layout was a model folder at the run's top: it still loads
    (rec / "model.safetensors").write_bytes((tmp_path / "model" / "model.safetensors").read_bytes())
    (rec / "meta.json").write_text(json.dumps({"kind": "gaitbase", "config": {}}))
    weights, meta = read_model(rec)
    assert meta == {"kind": "gaitbase", "config": {}} and set(weights) == {"weight", "bias"}


def test_model_folders_load_from_the_run_and_say_when_there_is_none(tmp_path):
    toy_train(tmp_path / "run", stop=2)
    weights, meta = read_model(tmp_path / "run")  # the run folder resolves to its model/
    assert meta == {"kind": "toy", "config": ToyConfig().to_dict(), "step": 2}
    assert weights["weight"].dtype == torch.float32
    (tmp_path / "run" / "model" / "meta.json").unlink()
    with pytest.raises(CheckpointError, match=r"run/model: no trained model here: missing meta.json \(training has not"):
        read_model(tmp_path / "run")


def test_the_log_drops_records_past_the_resumed_step_and_a_torn_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (1, 2, 3)) + '{"step": 4, "lo')
    log = JsonlLog(path, resume_step=2)
    log.write({"step": 3, "loss": 0.5})
    assert [r["step"] for r in read_log(path)] == [1, 2, 3] and read_log(path)[-1]["loss"] == 0.5
