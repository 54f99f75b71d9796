"""Recognizer, fused-recognizer and attribute-classifier configs (`kind: recognizer | fused_recognizer |
classifiers`; one YAML per experiment under `configs/recognizer/`), read with `gaitcraft.training.load_config`.

Every section and key must be known: a typo is a `ConfigError` listing the valid keys, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.models.gaitbase_config import GaitBaseArchitecture
from eval.training.silhouette_augment import AugmentSection
from gaitcraft.errors import ConfigError
from gaitcraft.factors import classifier_heads
from gaitcraft.precision import MIXED_PRECISIONS
from gaitcraft.training import TrainingConfig

#: train keys that may change between a run and its resume (they do not change what is computed)
RESUMABLE_KEYS = tuple(f"train.{k}" for k in ("total_steps", "save_every", "log_every", "keep_checkpoints", "num_workers"))


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
class RecognizerConfig(TrainingConfig):
    """A whole recognizer experiment; `kind: fused_recognizer` trains the same recipe with the 3D branch."""

    KINDS = ("recognizer", "fused_recognizer")
    RESUMABLE = RESUMABLE_KEYS

    kind: str = "recognizer"
    name: str = "gaitbase"
    model: GaitBaseArchitecture = field(default_factory=GaitBaseArchitecture)  # the class count comes from the data
    loss: LossSection = field(default_factory=LossSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EvalSection = field(default_factory=EvalSection)
    augment: AugmentSection = field(default_factory=AugmentSection)  # off unless a config asks for it

    def check(self) -> None:
        """Value checks beyond types."""
        if self.kind == "fused_recognizer" and self.augment.active:
            raise ConfigError("augment: the fused recognizer trains on silhouettes paired with their 3D bodies, "
                              "which a changed silhouette no longer matches; leave augment out of its config")
        if self.augment.heads:
            raise ConfigError("augment.heads names classifier heads; a recognizer has one loss, so leave it out")
        validate(self)


@dataclass(frozen=True)
class ClassifierConfig(TrainingConfig):
    """Attribute classifiers (view, clothing, carry: `gaitcraft.factors.classifier_heads`) on the GaitBase
    backbone family.

    Batches are drawn P x K like the recognizer's; the loss is the sum of one cross-entropy per attribute.
    """

    KINDS = ("classifiers",)
    RESUMABLE = RESUMABLE_KEYS

    kind: str = "classifiers"
    name: str = "attributes"
    attributes: tuple[str, ...] = field(default_factory=classifier_heads)
    label_smoothing: float = 0.0
    model: GaitBaseArchitecture = field(default_factory=GaitBaseArchitecture)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EmbedSection = field(default_factory=EmbedSection)
    augment: AugmentSection = field(default_factory=AugmentSection)  # off unless a config asks for it

    def check(self) -> None:
        """Value checks beyond types."""
        bad = sorted(set(self.attributes) - set(classifier_heads()))
        if bad or not self.attributes:
            raise ConfigError(f"attributes {list(self.attributes)}; valid: {', '.join(classifier_heads())}")
        stray = sorted(set(self.augment.heads) - set(self.attributes))
        if stray:
            raise ConfigError(f"augment.heads {stray} are not among attributes {list(self.attributes)}")
        validate(self)


def validate(cfg: RecognizerConfig | ClassifierConfig) -> None:
    """Value checks beyond types (enumerations, positive sizes)."""
    t = cfg.train
    if t.mixed_precision not in MIXED_PRECISIONS:
        raise ConfigError(f"train.mixed_precision {t.mixed_precision!r}; valid: {', '.join(MIXED_PRECISIONS)}")
    if getattr(cfg.eval, "metric", "euc") not in ("euc", "cos"):
        raise ConfigError(f"eval.metric {cfg.eval.metric!r}; valid: euc, cos")
    if min(t.p, t.k, t.frames, t.total_steps, t.save_every) < 1 or t.k < 2 or t.p < 2:
        raise ConfigError("train.p and train.k need >= 2; frames, total_steps, save_every >= 1")
    if t.source_p is not None and (not isinstance(t.source_p, dict) or not t.source_p or any(
            not isinstance(n, str) or isinstance(v, bool) or not isinstance(v, int) or v < 1
            for n, v in t.source_p.items())):
        raise ConfigError(f"train.source_p must map source names to identities per batch (>= 1), got {t.source_p!r}")
    if t.sampling not in ("fixed_unordered", "fixed_ordered"):
        raise ConfigError(f"train.sampling {t.sampling!r}; training needs fixed_unordered or fixed_ordered")
