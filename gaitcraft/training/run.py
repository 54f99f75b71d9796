"""`TrainingRun`: one session of a training run, the piece every trainer builds its loop on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from gaitcraft.precision import make_accelerator
from gaitcraft.training.checkpoints import Checkpoint, latest_checkpoint, load_checkpoint, save_checkpoint
from gaitcraft.training.config import TrainingConfig
from gaitcraft.training.model_folder import save_model
from gaitcraft.training.progress import JsonlLog, Progress
from gaitcraft.training.run_folder import RunFolder


class TrainingRun:
    """A session in run folder `out_dir` for `config` on the data `data` identifies (a JSON-able dict).

    Creating it applies the resume rule: the folder is claimed (`RunFolder.claim`: another config, other data or
    a former layout is refused in one line) and its latest complete checkpoint, if any, is found. The trainer then
    builds its objects, passes them through `accelerator.prepare`, calls `restore()` to continue where the
    checkpoint left off, reports each step to a `progress()` bar/log and calls `save()` (on every process) to
    checkpoint. Rerunning the same command on the same folder therefore continues the run.
    """

    def __init__(self, out_dir: str | Path, config: TrainingConfig, data: dict[str, Any], *, mixed_precision: str,
                 keep_checkpoints: int = 2, progress: bool = True):
        self.folder, self.data = RunFolder(out_dir), data
        self.accelerator = make_accelerator(mixed_precision)
        self.keep_checkpoints = keep_checkpoints
        self.is_main = self.accelerator.is_main_process
        self.show_progress = progress and self.is_main
        if self.is_main:
            self.folder.claim(config.to_dict(), data, config.RESUMABLE)
        self.accelerator.wait_for_everyone()
        self.checkpoint: Checkpoint | None = latest_checkpoint(self.folder.checkpoints)
        self.log = JsonlLog(self.folder.log, self.start_step) if self.is_main else None
        self.seconds_before = float(self.state.get("train_seconds", 0.0))
        self._t0 = time.perf_counter()

    @property
    def state(self) -> dict[str, Any]:
        """The JSON state of the checkpoint this session resumes from ({} for a new run)."""
        return self.checkpoint.state if self.checkpoint else {}

    @property
    def start_step(self) -> int:
        """The run's step this session starts from."""
        return self.checkpoint.step if self.checkpoint else 0

    @property
    def train_seconds(self) -> float:
        """Seconds of training over all the run's sessions so far."""
        return self.seconds_before + time.perf_counter() - self._t0

    def restore(self) -> dict[str, Any]:
        """Load the checkpoint into what `accelerator.prepare` registered (weights, optimizer, scheduler) and into
        the global RNGs; returns its JSON state ({} and nothing loaded for a new run)."""
        if self.checkpoint is not None:
            load_checkpoint(self.accelerator, self.checkpoint)
        return self.state

    def save(self, step: int, state: dict[str, Any] | None = None,
             tensors: dict[str, torch.Tensor] | None = None) -> None:
        """Checkpoint at the run's `step` with the trainer's JSON `state` and `tensors` (call on every process)."""
        state = {**(state or {}), "train_seconds": self.train_seconds}
        save_checkpoint(self.accelerator, self.folder.checkpoints, step, state, tensors, self.keep_checkpoints)

    def progress(self, total: int, initial: int, **kw: Any) -> Progress:
        """A progress bar and log writer for steps `initial`..`total` (see `Progress` for the options)."""
        return Progress(self.log, total, initial, seconds_before=self.seconds_before, enabled=self.show_progress, **kw)

    def save_model(self, model: torch.nn.Module, meta: dict[str, Any]) -> Path:
        """Write the trained weights and `meta` as the run's `model/` folder (main process only)."""
        if self.is_main:
            save_model(self.folder.model, self.accelerator.unwrap_model(model), meta)
        self.accelerator.wait_for_everyone()
        return self.folder.model
