"""Reconstructor configs (`kind: reconstructor`, `configs/reconstruction/*.yaml`), read with
`gaitcraft.training.load_config`: an unknown section or key is a `ConfigError` naming the valid ones, never
silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from gaitcraft.errors import ConfigError
from gaitcraft.precision import MIXED_PRECISIONS
from gaitcraft.training import TrainingConfig


@dataclass(frozen=True)
class ModelSection:
    """Network size (see `mesh.reconstruction.heatmap_net`)."""

    widths: tuple[int, ...] = (32, 64, 96, 128)  # stem (stride 2) and three residual stages (strides 2, 1, 1)
    temporal_blocks: int = 2  # residual temporal convs (kernel 3, dilations 1, 2, 4, ...)
    attention_layers: int = 1  # transformer layers over the per-frame tokens
    heads: int = 4  # attention heads
    depth_bins: int = 16  # heatmap bins toward the camera (the image axes give 16 x 11 at 64 x 44 input)
    cell_m: float = 0.11  # heatmap cell size in metres for a body of nominal size (scaled per sequence)
    hidden: int = 256  # width of the body-model parameter MLP
    n_markers: int = 64  # virtual markers (anny vertices by farthest-point sampling)
    mesh_vertices: int = 512  # vertices the mesh loss compares (farthest-point subset of the skin)


@dataclass(frozen=True)
class LossSection:
    """Weights of the loss terms (`mesh.reconstruction.losses`); distances in metres, L1."""

    joints: float = 1.0  # soft-argmax joints
    markers: float = 1.0  # soft-argmax virtual markers
    mesh: float = 1.0  # vertices of the regressed body model
    body_joints: float = 0.5  # joints of the regressed body model
    pose: float = 0.2  # regressed bone rotations (Frobenius)
    phenotypes: float = 0.2  # regressed phenotypes
    view: float = 0.1  # view (azimuth) as (cos, sin)
    spread: float = 0.001  # heatmap variance (cells²): keeps heatmaps peaked


@dataclass(frozen=True)
class OptimSection:
    """AdamW with linear warm-up and cosine decay."""

    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    grad_clip: float = 1.0


@dataclass(frozen=True)
class TrainSection:
    """Sampling and loop settings."""

    total_steps: int = 2000
    batch_size: int = 8  # clips per step
    frames: int = 16  # frames per clip (a contiguous window)
    decode_frames: int = 6  # frames per clip whose heatmaps and losses are computed (all give context)
    mixed_precision: str = "bf16"  # 'no', 'bf16' (CPU and GPU) or 'fp16' (GPU only)
    save_every: int = 250
    log_every: int = 10
    keep_checkpoints: int = 2
    seed: int = 0


@dataclass(frozen=True)
class ReconstructionConfig(TrainingConfig):
    """A whole reconstructor experiment."""

    KINDS = ("reconstructor",)
    #: how often, never how long: the learning rate decays to `total_steps`
    RESUMABLE = ("train.save_every", "train.log_every", "train.keep_checkpoints")

    kind: str = "reconstructor"
    name: str = "recon_small"
    body_model: str = "anny"  # 'anny' (the procedural walker's body); SMPL needs SMPL ground truth
    model: ModelSection = field(default_factory=ModelSection)
    loss: LossSection = field(default_factory=LossSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)

    def check(self) -> None:
        """Value checks beyond types."""
        m, t = self.model, self.train
        if self.body_model != "anny":
            raise ConfigError(f"body_model {self.body_model!r} cannot be trained here: the procedural ground truth is "
                              "anny's; valid: anny")
        if len(m.widths) != 4 or min(m.widths) < 1:
            raise ConfigError("model.widths needs 4 positive channel counts (stem + 3 stages)")
        if m.widths[-1] % m.heads:
            raise ConfigError(f"model.widths[-1]={m.widths[-1]} must be divisible by model.heads={m.heads}")
        if min(m.depth_bins, m.hidden, m.n_markers, m.mesh_vertices) < 1 or m.cell_m <= 0:
            raise ConfigError("model sizes must be positive")
        if t.mixed_precision not in MIXED_PRECISIONS:
            raise ConfigError(f"train.mixed_precision {t.mixed_precision!r}; valid: {', '.join(MIXED_PRECISIONS)}")
        if min(t.total_steps, t.batch_size, t.save_every, t.log_every, t.keep_checkpoints) < 1 or t.frames < 4:
            raise ConfigError("train sizes must be >= 1 and train.frames >= 4")
        if not 1 <= t.decode_frames <= t.frames:
            raise ConfigError(f"train.decode_frames must be in [1, train.frames={t.frames}]")
