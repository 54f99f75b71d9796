"""Shared training state: the batch type, the context both phases use, model building and progress/checkpoint helpers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from tqdm.auto import tqdm

from conditioning.encoder import ConditionEncoder
from conditioning.vocab import ConditionVocab
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.checkpoint import load_weights, rng_restore, rng_snapshot, save_checkpoint
from diffusion.config import ExperimentConfig
from diffusion.data import to_model_frames
from diffusion.runlog import CsvLog
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import DataError
from gaitcraft.factors import factors


@dataclass
class Batch:
    """A training batch on the device: clips `[b, t, 64, 44]` in {0, 1} and their labels, `{factor: b values}`
    for every declared factor (a list of str, or a float tensor `[b]` for a continuous factor such as the view)."""

    sil: torch.Tensor
    labels: dict[str, list[str] | torch.Tensor]
    index: torch.Tensor | None = None  # [b] training-sequence indices (when the data gives them)
    frames: torch.Tensor | None = None  # [b, t] frame indices within those sequences


@dataclass(frozen=True)
class StepLimits:
    """Where a training session stops early (None = no limit), checkpointed so that a rerun continues.

    `total` counts the run's steps over both phases (the autoencoder's, then the UNet's); `autoencoder` and
    `unet` are the last step of that phase. Phase 1 stopped early ends the session: phase 2 needs the whole
    autoencoder."""

    total: int | None = None
    autoencoder: int | None = None
    unet: int | None = None

    def stop(self, phase: str, phase_steps: int, steps_before: int = 0) -> int:
        """The step at which `phase` (of `phase_steps` steps, after `steps_before` steps of earlier phases) stops."""
        own = self.autoencoder if phase == "autoencoder" else self.unet
        stop = phase_steps if own is None else min(phase_steps, own)
        return stop if self.total is None else max(0, min(stop, self.total - steps_before))


@dataclass
class TrainContext:
    """Everything the phases share."""

    cfg: ExperimentConfig
    accelerator: Accelerator
    out_dir: Path
    autoencoder: SilhouetteAutoencoder
    unet: SpatioTemporalUNet
    encoder: ConditionEncoder
    generator: torch.Generator
    batches: BatchStream
    log: CsvLog | None  # None on non-main processes
    resume: tuple[Path, dict[str, Any]] | None
    limits: StepLimits = field(default_factory=StepLimits)

    @property
    def ckpt_dir(self) -> Path:
        """Where checkpoints go."""
        return self.out_dir / "checkpoints"

    @property
    def autoencoder_steps(self) -> int:
        """The steps phase 1 takes in this run: none when the autoencoder comes trained (`pretrained`, `init_from`)."""
        c = self.cfg
        return 0 if c.train.init_from or c.autoencoder_training.pretrained else c.autoencoder_training.steps


def build_models(cfg: ExperimentConfig, vocab: ConditionVocab) -> tuple[SilhouetteAutoencoder, SpatioTemporalUNet,
                                                                         ConditionEncoder]:
    """The three trainable components, wired from the config sections and the vocabulary."""
    ae = SilhouetteAutoencoder(**cfg.autoencoder)
    enc = ConditionEncoder(**vocab.to_dict(), **cfg.conditioning)
    unet = SpatioTemporalUNet(in_channels=ae.config.latent_channels, out_channels=ae.config.latent_channels,
                              cond_dim=enc.config.cond_dim, num_frames=cfg.train.num_frames,
                              prediction_type=cfg.schedule.prediction_type, **cfg.unet)
    return ae, unet, enc


def batch_labels(raw: dict) -> dict[str, list[str] | torch.Tensor]:
    """`{factor: b values}` from a raw batch keyed by label field (`subject`, `clothing`, `carry`, `view`)."""
    return {f.name: torch.as_tensor(raw[f.label], dtype=torch.float32).reshape(-1) if f.kind == "continuous"
            else list(raw[f.label]) for f in factors()}


def _endless(data: Iterable[dict]) -> Iterator[dict]:
    """The raw batches of `data`, re-iterated for ever (one pass = one epoch)."""
    while True:
        empty = True
        for raw in data:
            empty = False
            yield raw
        if empty:
            raise DataError("the training data yielded no batches")


class BatchStream:
    """Endless stream of `Batch`es that counts the batches it has drawn (`drawn`), so a resumed run can draw the
    same batches an uninterrupted one would: checkpoints store the count, and `skip` draws and drops that many
    first. A re-iterated seeded DataLoader (shuffle generator, clip-sampling RNG) then continues exactly where the
    stopped run was."""

    def __init__(self, data: Iterable[dict], num_frames: int, device: torch.device, skip: int = 0,
                 progress: bool = True):
        self.num_frames, self.device = num_frames, device
        self.drawn = 0
        self._raw = _endless(data)
        for _ in tqdm(range(skip), desc="resume: data to its place", disable=not progress or skip < 100,
                      dynamic_ncols=True):
            next(self._raw)
            self.drawn += 1

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> Batch:
        raw = next(self._raw)
        self.drawn += 1
        sil = to_model_frames(raw["sil"])  # [b, t, 64, 44]
        if sil.shape[1] != self.num_frames:
            raise DataError(f"training clips have {sil.shape[1]} frames; the config's train.num_frames is "
                            f"{self.num_frames}")
        keys = ({"index": torch.as_tensor(raw["index"]).reshape(-1), "frames": torch.as_tensor(raw["frames"])}
                if "index" in raw and "frames" in raw else {})
        return Batch(sil.to(self.device), batch_labels(raw), **keys)


def batch_stream(data: Iterable[dict], num_frames: int, device: torch.device, skip: int = 0) -> BatchStream:
    """A `BatchStream` over `data`, its first `skip` batches drawn and dropped (where a resumed run continues)."""
    return BatchStream(data, num_frames, device, skip)


@dataclass
class Progress:
    """Progress bar (loss, steps/s), CSV rows every `log_every` steps, on the main process only."""

    ctx: TrainContext
    phase: str
    step: int
    total: int
    samples_per_step: int
    _bar: Any = field(init=False, default=None)
    _t0: float = field(init=False, default_factory=time.perf_counter)
    _t_last: float = field(init=False, default_factory=time.perf_counter)
    _s_last: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._s_last = self.step
        self._bar = tqdm(total=self.total, initial=self.step, desc=self.phase, dynamic_ncols=True,
                         disable=not self.ctx.accelerator.is_main_process)

    def update(self, step: int, loss: float, metric: float | None, lr: float, grad_norm: float) -> None:
        """Record that `step` finished with these numbers."""
        self.step = step
        self._bar.update(1)
        if step % self.ctx.cfg.train.log_every and step != self.total:
            return
        now = time.perf_counter()
        rate = (step - self._s_last) / max(now - self._t_last, 1e-9)
        self._t_last, self._s_last = now, step
        self._bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        if self.ctx.log is not None:
            n = self.ctx.accelerator.num_processes * self.samples_per_step
            self.ctx.log.write(phase=self.phase, step=step, loss=loss, metric="" if metric is None else metric,
                               lr=lr, grad_norm=grad_norm, steps_per_s=rate, samples_per_s=rate * n,
                               elapsed_s=now - self._t0)

    def close(self) -> None:
        """Close the bar."""
        self._bar.close()


def write_checkpoint(ctx: TrainContext, phase: str, step: int, weights: dict[str, dict[str, torch.Tensor]],
                     optimizer: dict[str, Any], extra: dict[str, Any]) -> None:
    """Save a resumable checkpoint (main process only) with the RNG states and `extra` JSON state."""
    ctx.accelerator.wait_for_everyone()
    if ctx.accelerator.is_main_process:
        rng_t, rng_js = rng_snapshot(ctx.generator)
        state = {"phase": phase, "step": step, "rng": rng_js, "batches": ctx.batches.drawn,
                 "ae_scaling_factor": ctx.autoencoder.config.scaling_factor, **extra}
        save_checkpoint(ctx.ckpt_dir, f"{phase}-{step:07d}", {**weights, "rng": rng_t}, optimizer, state,
                        ctx.cfg.train.keep_checkpoints)


def restore_rng(ctx: TrainContext, folder: Path, state: dict[str, Any]) -> None:
    """Restore the RNG states of a checkpoint. Exact on one process; other ranks reseed from (seed, rank, step)."""
    tensors = load_weights(folder, "rng")
    rank = ctx.accelerator.process_index
    rng_restore(ctx.generator, tensors, state["rng"])
    if rank:
        ctx.generator.manual_seed(ctx.cfg.train.seed + 1000 * rank + 7919 * state["step"])
