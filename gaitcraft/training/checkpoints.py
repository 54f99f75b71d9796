"""Resumable checkpoints: `Accelerator.save_state` / `load_state` plus the run's own state, written atomically.

A checkpoint `checkpoints/step-NNNNNNN/` holds what accelerate saves for the objects passed through
`accelerator.prepare` (`model*.safetensors` with `safe_serialization=True`; `optimizer*.bin`, `scheduler*.bin`
and `random_states_<rank>.pkl`, which accelerate reads back with `torch.load(weights_only=True)`), the run's own
tensors (`run_tensors.safetensors`: a generator's RNG, EMA weights, a frozen component) and its JSON state
(`run_state.json`: step, phase, batches drawn, data-sampler RNG states, ...). No custom object is registered with
accelerate: those would be unpickled without `weights_only`.

All of it is written into a hidden temp folder that is renamed into place only when complete, so a killed run
leaves the previous checkpoints and, at worst, a hidden temp folder that the next save clears; `run_state.json` is
written last, so a folder without it is never taken for a checkpoint.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gaitcraft.errors import CheckpointError

STATE = "run_state.json"
TENSORS = "run_tensors.safetensors"


def checkpoint_name(step: int) -> str:
    """`step-0000100`: names sort in step order."""
    return f"step-{step:07d}"


def _fsync_tree(path: Path) -> None:
    """fsync every file and folder under `path`, and `path` itself."""
    for f in path.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    for d in [*(p for p in path.rglob("*") if p.is_dir()), path]:
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_folder(tmp: Path, target: Path) -> Path:
    """Move the complete folder `tmp` to `target`, replacing a folder there (never leaving neither)."""
    _fsync_tree(tmp)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


@dataclass
class Checkpoint:
    """A complete checkpoint folder and its JSON state."""

    folder: Path
    state: dict[str, Any]

    @property
    def step(self) -> int:
        """The run's step at which it was written."""
        return int(self.state["step"])

    def tensors(self) -> dict[str, torch.Tensor]:
        """The run's own tensors saved with it (empty when there were none)."""
        path = self.folder / TENSORS
        if not path.is_file():
            return {}
        try:
            return load_file(path)
        except (OSError, SafetensorError) as e:
            raise CheckpointError(f"cannot read {TENSORS}: {e}", self.folder) from None


def save_checkpoint(accelerator, root: Path, step: int, state: dict[str, Any],
                    tensors: dict[str, torch.Tensor] | None = None, keep: int = 2) -> Path:
    """Write checkpoint `root/step-NNNNNNN` of everything `accelerator` prepared, the run's `tensors` and its JSON
    `state` (with `step` added), then keep only the newest `keep`. Call it on every process."""
    final = root / checkpoint_name(step)
    tmp = root / f".{final.name}.tmp"
    if accelerator.is_main_process:
        root.mkdir(parents=True, exist_ok=True)
        for stale in [*root.glob(".step-*.tmp"), *root.glob(".step-*.old")]:  # left by a killed save
            shutil.rmtree(stale, ignore_errors=True)
        tmp.mkdir()
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp), safe_serialization=True)  # each process writes its RNG states
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if tensors:
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp / TENSORS))
        (tmp / STATE).write_text(json.dumps({**state, "step": step}))
        replace_folder(tmp, final)
        done = sorted(p for p in root.glob("step-*") if (p / STATE).is_file())
        for old in done[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def latest_checkpoint(root: Path) -> Checkpoint | None:
    """The newest complete checkpoint under `root`, or None."""
    done = sorted(p for p in root.glob("step-*") if (p / STATE).is_file()) if root.is_dir() else []
    if not done:
        return None
    try:
        return Checkpoint(done[-1], json.loads((done[-1] / STATE).read_text()))
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"cannot read {STATE}: {e}", done[-1]) from None


def load_checkpoint(accelerator, ckpt: Checkpoint) -> None:
    """Restore everything `accelerator` prepared (models, optimizers, schedulers) and the RNG states from `ckpt`;
    a checkpoint that does not fit them is a `CheckpointError`."""
    try:
        accelerator.load_state(str(ckpt.folder))
    except (OSError, RuntimeError, ValueError, KeyError, SafetensorError, pickle.UnpicklingError) as e:
        reason = " ".join(str(e).split())
        raise CheckpointError(f"cannot resume from this checkpoint: {type(e).__name__}: {reason[:300]}",
                              ckpt.folder) from None
