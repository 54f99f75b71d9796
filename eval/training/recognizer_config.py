"""Declarative recognizer configs (one YAML per experiment under `configs/recognizer/`), read strictly.

Every section and key must be known: a typo is a `ConfigError` listing the valid keys, never silently dropped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.models.gaitbase_config import GaitBaseArchitecture
from gaitcraft.config_build import build_dataclass, config_file, plain, read_config_file
from gaitcraft.errors import ConfigError
from gaitcraft.factors import classifier_heads
from gaitcraft.precision import MIXED_PRECISIONS


@dataclass(frozen=True)
class LossSection:
    """Triplet + CE (OpenGait `loss_cfg`)."""

    triplet_margin: float = 0.2
    triplet_weight: float = 1.0
    ce_scale: float = 16.0
    ce_weight: float = 1.0
    label_smoothing: float = 0.1
    per_source_mining: bool = False  # triplets only within one data source (mixed real + synthetic)


@dataclass(frozen=True)
class OptimSection:
    """SGD with MultiStepLR (OpenGait `optimizer_cfg` + `scheduler_cfg`)."""

    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    milestones: tuple[int, ...] = (20000, 40000, 50000)
    gamma: float = 0.1


@dataclass(frozen=True)
class TrainSection:
    """Sampling and loop settings (OpenGait `trainer_cfg`)."""

    total_steps: int = 60000
    p: int = 8  # identities per batch
    k: int = 16  # sequences per identity
    frames: int = 30
    sampling: str = "fixed_unordered"
    mixed_precision: str = "bf16"  # 'no', 'bf16' or 'fp16' (fp16 only on GPUs)
    save_every: int = 1000
    log_every: int = 10
    keep_checkpoints: int = 2
    num_workers: int = 0
    seed: int = 0
    source_balance: bool = False  # each batch takes an equal share of its P identities from every data source
    # {source: identities per batch}, e.g. {real: 6, synthetic: 3}: the batch's P is their sum (p is then unused)
    source_p: dict | None = None


@dataclass(frozen=True)
class EmbedSection:
    """Whole-sequence inference (OpenGait `evaluator_cfg`, sample_type all_ordered)."""

    frames_limit: int = 720  # at most this many frames of a sequence are used, spread evenly
    batch_frames: int = 720  # frames per forward pass


@dataclass(frozen=True)
class EvalSection(EmbedSection):
    """Embedding extraction and matching."""

    metric: str = "euc"  # 'euc' (OpenGait: mean over strips of per-strip L2) or 'cos'


@dataclass(frozen=True)
class RecognizerConfig:
    """A whole recognizer experiment."""

    name: str = "gaitbase"
    model: GaitBaseArchitecture = field(default_factory=GaitBaseArchitecture)  # the class count comes from the data
    loss: LossSection = field(default_factory=LossSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EvalSection = field(default_factory=EvalSection)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists), suitable for JSON and for `from_dict`."""
        return plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "config") -> RecognizerConfig:
        """Build from nested dicts; unknown sections or keys raise `ConfigError`."""
        return build_dataclass(cls, raw, where)


@dataclass(frozen=True)
class ClassifierConfig:
    """Attribute classifiers (view, clothing, carry: `gaitcraft.factors.classifier_heads`) on the GaitBase
    backbone family.

    Batches are drawn P x K like the recognizer's; the loss is the sum of one cross-entropy per attribute.
    """

    name: str = "attributes"
    attributes: tuple[str, ...] = field(default_factory=classifier_heads)
    label_smoothing: float = 0.0
    model: GaitBaseArchitecture = field(default_factory=GaitBaseArchitecture)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EmbedSection = field(default_factory=EmbedSection)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists), suitable for JSON and for `from_dict`."""
        return plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "config") -> ClassifierConfig:
        """Build from nested dicts; unknown sections or keys raise `ConfigError`."""
        cfg = build_dataclass(cls, raw, where)
        bad = sorted(set(cfg.attributes) - set(classifier_heads()))
        if bad or not cfg.attributes:
            raise ConfigError(f"{where}: attributes {list(cfg.attributes)}; valid: {', '.join(classifier_heads())}")
        return cfg



def load_config(path_or_name: str | Path, kind: type = RecognizerConfig):
    """Read a YAML config by path, or by name from `configs/recognizer/` ('gaitbase_casiab').

    `kind` is `RecognizerConfig` or `ClassifierConfig`.
    """
    path = config_file("recognizer", path_or_name)
    raw = read_config_file(path) or {}
    cfg = kind.from_dict(raw, where=path.name)
    validate(cfg, str(path))
    return cfg


def validate(cfg: RecognizerConfig | ClassifierConfig, where: str = "config") -> None:
    """Value checks beyond types (enumerations, positive sizes)."""
    t = cfg.train
    if t.mixed_precision not in MIXED_PRECISIONS:
        raise ConfigError(f"train.mixed_precision {t.mixed_precision!r}; valid: {', '.join(MIXED_PRECISIONS)}", where)
    if getattr(cfg.eval, "metric", "euc") not in ("euc", "cos"):
        raise ConfigError(f"eval.metric {cfg.eval.metric!r}; valid: euc, cos", where)
    if min(t.p, t.k, t.frames, t.total_steps, t.save_every) < 1 or t.k < 2 or t.p < 2:
        raise ConfigError("train.p and train.k need >= 2; frames, total_steps, save_every >= 1", where)
    if t.source_p is not None and (not isinstance(t.source_p, dict) or not t.source_p or any(
            not isinstance(n, str) or isinstance(v, bool) or not isinstance(v, int) or v < 1
            for n, v in t.source_p.items())):
        raise ConfigError(f"train.source_p must map source names to identities per batch (>= 1), got {t.source_p!r}",
                          where)
    if t.sampling not in ("fixed_unordered", "fixed_ordered"):
        raise ConfigError(f"train.sampling {t.sampling!r}; training needs fixed_unordered or fixed_ordered", where)
