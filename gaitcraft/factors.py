"""The conditioning factors, declared once.

The generator is conditioned on a few factors of a walk (who walks, in what clothing, carrying what, seen from
where). Each is one `Factor` in `FACTORS`: its name, what it reads from a sequence's labels, its values, how the
condition encoder embeds it, and which attribute-classifier head reads it back. The condition encoder,
classifier-free guidance and dropout, the pipeline's arguments, generation jobs and manifests, the attribute
classifiers and the `gaitcraft generate` flags all iterate over `factors()` instead of naming factors, so a new
factor is one more `Factor` here, plus the data source that writes its label (a `SequenceLabels` field).

Read the registry through `factors()` / `factor()` at call time, never by copying `FACTORS` at import, so an
extended registry (`FACTORS + (Factor(...),)`) is seen everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gaitcraft.errors import ConfigError

#: What a factor's values are: training identities (ids, recipes or vectors), strings from a vocabulary, or numbers.
KINDS = ("identity", "categorical", "continuous")
#: How the condition encoder embeds a factor: a bank of identity vectors then a projection ('bank'), one learned
#: vector per value ('table'), or sin/cos features of an angle in degrees then an MLP ('fourier').
EMBEDDINGS = {"identity": ("bank",), "categorical": ("table",), "continuous": ("fourier",)}


@dataclass(frozen=True)
class Factor:
    """One conditioning factor.

    name:        the factor's one word everywhere: pipeline argument, guidance and dropout key, null embedding,
                 `gaitcraft generate --<name>` flag (categorical factors) and classifier head.
    kind:        'identity', 'categorical' or 'continuous' (see `KINDS`).
    label:       the `SequenceLabels` field it reads ('subject' for the identity; default: `name`).
    default:     the value used when a caller gives none (the pipeline, the CLI, a label a data source leaves out);
                 None means null, the factor's learned unconditional embedding.
    values:      categorical: every value GaitCraft knows (a model knows the ones of its training data).
    value_range: continuous: the valid [low, high); `unit` and `meaning` phrase an out-of-range error.
    periodic:    continuous: the range wraps around (360 degrees = 0); classifiers pick the nearest class circularly.
    embedding:   how the condition encoder embeds it (see `EMBEDDINGS`); its modules are named
                 `<name>_bank`/`<name>_proj`, `<name>_emb` or `<name>_enc`, and its null vector `null.<name>`.
    size:        size hint of the embedding: the identity-vector size ('bank', encoder config key `<name>_dim`)
                 or the number of frequencies ('fourier', key `<name>_frequencies`).
    vocab_key:   key of its vocabulary in saved encoders and run configs ('identities'); default: `name`.
    classifier:  the attribute-classifier head that reads it back from silhouettes, or None.
    help:        help of its command-line flag.
    dropout:     default probability of nulling it in training (classifier-free guidance dropout).
    """

    name: str
    kind: str
    label: str = ""
    default: Any = None
    values: tuple[str, ...] = ()
    value_range: tuple[float, float] | None = None
    unit: str = ""
    meaning: str = ""
    periodic: bool = False
    embedding: str = "table"
    size: int | None = None
    vocab_key: str = ""
    classifier: str | None = None
    help: str = ""
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"factor {self.name!r}: kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if self.embedding not in EMBEDDINGS[self.kind]:
            raise ConfigError(f"factor {self.name!r}: a {self.kind} factor is embedded by "
                              f"{' or '.join(EMBEDDINGS[self.kind])}, not {self.embedding!r}")
        if self.kind == "continuous" and self.value_range is None:
            raise ConfigError(f"factor {self.name!r}: a continuous factor needs a value_range")
        if self.embedding == "fourier" and not (self.periodic and tuple(self.value_range) == (0.0, 360.0)):
            raise ConfigError(f"factor {self.name!r}: a 'fourier' embedding takes an angle in degrees, "
                              "value_range (0, 360) and periodic")
        for key in ("label", "vocab_key"):
            if not getattr(self, key):
                object.__setattr__(self, key, self.name)

    @property
    def has_vocabulary(self) -> bool:
        """True for factors whose values a model learns as a list (identities, categorical values)."""
        return self.kind != "continuous"

    @property
    def size_key(self) -> str | None:
        """The condition encoder's config key of this factor's embedding size, or None (a table's size is its
        vocabulary's)."""
        return {"bank": f"{self.name}_dim", "fourier": f"{self.name}_frequencies"}.get(self.embedding)

    def check_value(self, value: str) -> str:
        """`value` if this categorical factor knows it, else a `ConfigError` listing the valid ones."""
        if value not in self.values:
            raise ConfigError(f"unknown {self.name} {value!r}; valid values: {', '.join(self.values)}")
        return value

    def check_number(self, value: float) -> float:
        """`value` as a float if it lies in this continuous factor's range, else a `ConfigError`."""
        v = float(value)
        low, high = self.value_range
        if not (math.isfinite(v) and low <= v < high):
            meaning = f" ({self.meaning})" if self.meaning else ""
            raise ConfigError(f"{self.name} {v!r} is outside [{low:g}, {high:g}) {self.unit}{meaning}".rstrip())
        return v


#: The factors in the order the condition encoder concatenates their embeddings (a trained encoder's layout).
FACTORS: tuple[Factor, ...] = (
    Factor("identity", "identity", label="subject", embedding="bank", size=64, vocab_key="identities"),
    # 'coat' is CASIA-B's `cl` (a long coat)
    Factor("clothing", "categorical", default="normal", values=("normal", "coat"),
           classifier="clothing", help="clothing value the model knows"),
    # 'bag' is an unspecified bag (CASIA-B `bg`); the walker names the exact object
    Factor("carry", "categorical", default="none",
           values=("none", "shoulder_bag", "backpack", "handbag", "bag"), classifier="carry",
           help="carried object the model knows"),
    Factor("view", "continuous", default=90.0, value_range=(0.0, 360.0), unit="degrees",
           meaning="0 = toward the camera, 90 = side, 180 = away", periodic=True, embedding="fourier", size=6,
           classifier="view", help="views in degrees, [0, 360)"),
)


def factors(kind: str | None = None) -> tuple[Factor, ...]:
    """The declared factors (of one `kind`, if given), in the encoder's order."""
    return tuple(f for f in FACTORS if kind is None or f.kind == kind)


def factor_names() -> tuple[str, ...]:
    """The names of the declared factors, in the encoder's order."""
    return tuple(f.name for f in FACTORS)


def factor(name: str) -> Factor:
    """The declared factor `name`; an unknown name is a `ConfigError` listing the valid ones."""
    for f in FACTORS:
        if f.name == name:
            return f
    raise ConfigError(f"unknown factor {name!r}; valid: {', '.join(factor_names())}")


def vocabulary_factors() -> tuple[Factor, ...]:
    """The factors a model learns a vocabulary of (the identity and the categorical factors)."""
    return tuple(f for f in FACTORS if f.has_vocabulary)


def classified_factors() -> tuple[Factor, ...]:
    """The factors an attribute classifier reads back, in the order of its heads: continuous factors first, then
    categorical ones, each in declaration order (the order the shipped classifiers were trained in)."""
    heads = [f for f in FACTORS if f.classifier]
    return tuple(sorted(heads, key=lambda f: f.kind != "continuous"))


def classifier_heads() -> tuple[str, ...]:
    """The attribute-classifier heads, in the order of `classified_factors`."""
    return tuple(f.classifier for f in classified_factors())


def classified_factor(head: str) -> Factor:
    """The factor the classifier head `head` reads; an unknown head is a `ConfigError` listing the valid ones."""
    for f in classified_factors():
        if f.classifier == head:
            return f
    raise ConfigError(f"unknown classifier head {head!r}; valid: {', '.join(classifier_heads())}")
