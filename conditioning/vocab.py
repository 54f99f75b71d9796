"""Condition vocabularies taken from the training data, and checks of condition values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gaitcraft.errors import ConfigError
from gaitcraft.vocab import check_value

#: The conditioning factors, in the order the encoder concatenates them.
FACTORS: tuple[str, ...] = ("identity", "clothing", "carry", "view")


def _listing(values: Sequence[str], limit: int = 20) -> str:
    """'a, b, c' or 'a, b, ... (120 in all)' for long vocabularies."""
    shown = ", ".join(values[:limit])
    return shown if len(values) <= limit else f"{shown}, ... ({len(values)} in all)"


@dataclass(frozen=True)
class ConditionVocab:
    """The values each categorical factor can take: training identities, clothing and carry values."""

    identities: tuple[str, ...]
    clothing: tuple[str, ...]
    carry: tuple[str, ...]

    @classmethod
    def from_labels(cls, subjects: Iterable[str], clothing: Iterable[str], carry: Iterable[str]) -> ConditionVocab:
        """Build the vocabulary from the training set's labels (sorted unique values; clothing/carry are checked)."""
        clothing = sorted({check_value("clothing", c) for c in clothing})
        carry = sorted({check_value("carry", c) for c in carry})
        ids = sorted({str(s) for s in subjects})
        if not ids or not clothing or not carry:
            raise ConfigError("cannot build a condition vocabulary from empty labels")
        return cls(tuple(ids), tuple(clothing), tuple(carry))

    def values(self, factor: str) -> tuple[str, ...]:
        """The vocabulary of a categorical factor ('identity', 'clothing' or 'carry')."""
        table = {"identity": self.identities, "clothing": self.clothing, "carry": self.carry}
        if factor not in table:
            raise ConfigError(f"unknown categorical factor {factor!r}; valid: {', '.join(table)}")
        return table[factor]

    def index(self, factor: str, values: Sequence[str]) -> torch.Tensor:
        """Indices `[b]` of `values` in the `factor` vocabulary; an unknown value raises, listing the valid ones."""
        vocab = self.values(factor)
        lookup = {v: i for i, v in enumerate(vocab)}
        out = []
        for v in values:
            if v not in lookup:
                raise ConfigError(f"unknown {factor} {v!r}; this model knows: {_listing(vocab)}")
            out.append(lookup[v])
        return torch.tensor(out, dtype=torch.long)

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form (saved with the model)."""
        return {"identities": list(self.identities), "clothing": list(self.clothing), "carry": list(self.carry)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConditionVocab:
        """Inverse of `to_dict`; unknown or missing keys are an error."""
        keys = {"identities", "clothing", "carry"}
        if set(d) != keys:
            raise ConfigError(f"vocabulary keys {sorted(d)} do not match the expected {sorted(keys)}")
        return cls(tuple(d["identities"]), tuple(d["clothing"]), tuple(d["carry"]))


def check_views(views: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Views in degrees as a float tensor `[b]`; any value outside [0, 360) (or not finite) raises."""
    vals = [float(v) for v in (views.tolist() if isinstance(views, torch.Tensor) else views)]
    for v in vals:
        if not (math.isfinite(v) and 0.0 <= v < 360.0):
            raise ConfigError(f"view {v!r} is outside [0, 360) degrees (0 = toward the camera, 90 = side, 180 = away)")
    return torch.tensor(vals, dtype=torch.float32)
