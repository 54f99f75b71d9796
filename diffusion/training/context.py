"""What the generator's two phases share: the batch type and stream, the step limits, the context (models, trainer
RNG, the kit's `TrainingRun`), model building and the checkpoint helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from conditioning.encoder import ConditionEncoder
from conditioning.vocab import ConditionVocab
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.config import ExperimentConfig
from diffusion.data import to_model_frames
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.factors import factors
from gaitcraft.training import Checkpoint, Progress, TrainingRun


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
    run: TrainingRun
    autoencoder: SilhouetteAutoencoder
    unet: SpatioTemporalUNet
    encoder: ConditionEncoder
    generator: torch.Generator  # the trainer's RNG: frames, noise, timesteps, condition dropout
    batches: BatchStream
    resume: Checkpoint | None  # the checkpoint the current phase continues from (None once consumed)
    limits: StepLimits = field(default_factory=StepLimits)
    model_files: dict[str, str] = field(default_factory=dict)  # {name: text} exported with the model (its data)

    @property
    def accelerator(self):
        """The run's `accelerate.Accelerator`."""
        return self.run.accelerator

    @property
    def autoencoder_steps(self) -> int:
        """The steps phase 1 takes in this run: none when the autoencoder comes trained (`pretrained`, `init_from`)."""
        c = self.cfg
        return 0 if c.train.init_from or c.autoencoder_training.pretrained else c.autoencoder_training.steps

    def steps_before(self, phase: str) -> int:
        """The run's steps before `phase`'s first: the log's and the checkpoints' step is the run's."""
        return self.autoencoder_steps if phase == "diffusion" else 0

    def progress(self, phase: str, step: int, stop: int, samples_per_step: int) -> Progress:
        """The bar and log of `phase` from its `step` to `stop`."""
        return self.run.progress(stop, step, desc=phase, log_every=self.cfg.train.log_every, phase=phase,
                                 offset=self.steps_before(phase), show=("loss",),
                                 samples_per_step=self.accelerator.num_processes * samples_per_step)

    def checkpoint(self, phase: str, step: int, tensors: dict[str, dict[str, torch.Tensor]] | None = None,
                   extra: dict[str, Any] | None = None) -> None:
        """Checkpoint `phase` at its `step` (on every process): what accelerate prepared, `tensors` (groups of named
        tensors, e.g. a frozen autoencoder's weights), the trainer RNG and the batches drawn so far."""
        flat = {f"{group}.{k}": v for group, sd in (tensors or {}).items() for k, v in sd.items()}
        state = {"phase": phase, "phase_step": step, "batches": self.batches.drawn,
                 "ae_scaling_factor": self.autoencoder.config.scaling_factor, **(extra or {})}
        self.run.save(self.steps_before(phase) + step, state, {**flat, "rng.trainer": self.generator.get_state()})

    def restore(self) -> tuple[dict[str, Any], dict[str, dict[str, torch.Tensor]]]:
        """Load `resume` into what accelerate prepared and into the RNGs; returns its JSON state and its tensor
        groups. The trainer RNG is exact on one process; other ranks reseed from (seed, rank, step)."""
        self.run.restore()
        state, groups = self.resume.state, {}
        for key, value in self.resume.tensors().items():
            group, name = key.split(".", 1)
            groups.setdefault(group, {})[name] = value
        if "rng" not in groups:
            raise CheckpointError("checkpoint has no trainer RNG state", self.resume.folder)
        self.generator.set_state(groups["rng"]["trainer"])
        rank = self.accelerator.process_index
        if rank:
            self.generator.manual_seed(self.cfg.train.seed + 1000 * rank + 7919 * state["phase_step"])
        return state, groups


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
