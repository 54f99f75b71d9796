"""The generator's experiment config (`kind: generator`, `configs/diffusion/*.yaml`), read with
`gaitcraft.training.load_config`; unknown keys, and model arguments the trainer derives, are errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conditioning.encoder import ConditionEncoder
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.loading import config_keys
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import ConfigError
from gaitcraft.factors import factors, vocabulary_factors
from gaitcraft.training import TrainingConfig
from gaitcraft.training import load_config as load_any_config


def _derived(section: str) -> set[str]:
    """Model arguments the trainer derives from other sections (so they cannot disagree); the condition
    encoder's vocabularies come from the training data."""
    if section == "conditioning":
        return {f.vocab_key for f in vocabulary_factors()}
    return {"unet": {"in_channels", "out_channels", "cond_dim", "num_frames", "prediction_type"},
            "autoencoder": {"scaling_factor"}}[section]


_MODEL_CLASSES = {"unet": SpatioTemporalUNet, "autoencoder": SilhouetteAutoencoder, "conditioning": ConditionEncoder}


@dataclass
class ScheduleConfig:
    """Noise process and default sampling settings."""

    num_train_timesteps: int = 1000  # diffusion steps of the training (DDPM) process
    beta_schedule: str = "squaredcos_cap_v2"  # diffusers beta schedule name
    snr_shift: float = 1.0  # divide the schedule's SNR by snr_shift**2: more training where conditions matter
    prediction_type: str = "v_prediction"  # 'epsilon' or 'v_prediction'
    sampler: str = "dpm++"  # sampler saved with the pipeline: 'dpm++' or 'ddim'
    sample_steps: int = 15  # sampling steps for the training contact sheets
    guidance_scale: float = 2.0  # joint CFG scale for the training contact sheets


@dataclass
class AutoencoderTrainConfig:
    """Phase 1: the per-frame silhouette autoencoder."""

    steps: int = 2000  # optimisation steps
    batch_frames: int = 64  # frames per step, drawn from the clips of each data batch
    lr: float = 1e-3  # AdamW learning rate
    latent_noise: float = 0.1  # std of Gaussian noise added to the latent before decoding
    dice_weight: float = 1.0  # weight of the soft-Dice term beside BCE
    pretrained: str | None = None  # a model folder (or its autoencoder/) to reuse instead of training one


@dataclass
class TrainConfig:
    """Phase 2: the diffusion UNet and the condition encoder."""

    seed: int = 0  # seeds model init, noise, timesteps and dropout
    num_frames: int = 30  # frames per training clip (the model's default length)
    batch_size: int = 8  # clips per step per process
    steps: int = 10000  # optimisation steps
    lr: float = 3e-4  # AdamW peak learning rate
    lr_warmup_steps: int = 500  # linear warm-up steps
    lr_schedule: str = "constant_with_warmup"  # after warm-up: 'constant_with_warmup', 'cosine' or 'linear' (to 0)
    weight_decay: float = 0.0  # AdamW weight decay
    ema_decay: float = 0.999  # EMA decay ceiling (warm-up ramps to it)
    grad_clip: float = 1.0  # max gradient norm
    mixed_precision: str = "auto"  # 'auto' (bf16 autocast where bf16 is fast, else fp32), 'bf16' or 'no'
    cond_dropout: dict[str, float] = field(
        default_factory=lambda: {f.name: f.dropout for f in factors()}
    )  # per-factor probability of the null embedding (default: each factor's declared one, 0.1)
    drop_all: float = 0.1  # probability of nulling all factors together
    snr_gamma: float | None = 5.0  # min-SNR loss weighting gamma (None = plain MSE)
    checkpoint_every: int = 500  # steps between resumable checkpoints
    sample_every: int = 1000  # steps between sample contact sheets (0 = never)
    log_every: int = 10  # steps between CSV log rows
    keep_checkpoints: int = 2  # how many checkpoints to keep
    latent_cache_mb: int = 4096  # phase 2 encodes each training frame once and keeps its latent, up to this size
    num_threads: int | None = None  # torch CPU threads (None = torch's default); 1 is faster on a busy machine
    export_dtype: str = "float16"  # storage dtype of the exported model/ weights ('float32', 'float16', 'bfloat16')
    init_from: str | None = None  # a model folder of this architecture: phase 2 starts from its weights (phase 1
    #                               is skipped) instead of from scratch; another condition vocabulary is mapped by
    #                               name (`diffusion.training.warm_start`)


#: diffusers `get_scheduler` names the trainer accepts for `train.lr_schedule`
LR_SCHEDULES = ("constant_with_warmup", "cosine", "linear")


@dataclass
class ExperimentConfig(TrainingConfig):
    """A whole training experiment; `unet`, `autoencoder`, `conditioning` hold model constructor arguments."""

    KINDS = ("generator",)
    #: settings that may change when a run is resumed (how long and how often, not what is trained)
    RESUMABLE = tuple(f"train.{k}" for k in ("steps", "checkpoint_every", "sample_every", "log_every",
                                             "keep_checkpoints", "export_dtype", "num_threads", "latent_cache_mb"))

    kind: str = "generator"
    name: str = "diffusion"
    unet: dict[str, Any] = field(default_factory=dict)
    autoencoder: dict[str, Any] = field(default_factory=dict)
    conditioning: dict[str, Any] = field(default_factory=dict)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    autoencoder_training: AutoencoderTrainConfig = field(default_factory=AutoencoderTrainConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def check(self) -> None:
        """Model arguments must be constructor arguments the trainer does not derive; known LR schedules only."""
        for section in _MODEL_CLASSES:
            _check_model_args(section, getattr(self, section))
        if self.train.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"train.lr_schedule {self.train.lr_schedule!r} is not one of {list(LR_SCHEDULES)}")


def _check_model_args(section: str, args: dict[str, Any]) -> None:
    """Reject keys that are not constructor arguments of the section's model, or that the trainer derives."""
    derived_keys = _derived(section)
    allowed = config_keys(_MODEL_CLASSES[section]) - derived_keys
    if bad := sorted(set(args) - allowed):
        derived = sorted(set(bad) & derived_keys)
        hint = f" ({derived} are set by the trainer from other sections)" if derived else ""
        raise ConfigError(f"unknown keys {bad} in section '{section}'{hint}; valid: {sorted(allowed)}")


def load_config(path: str | Path) -> ExperimentConfig:
    """Read a generator config: a YAML file, or a name from `configs/diffusion/` ('default')."""
    return load_any_config(path, ExperimentConfig, command="train")
