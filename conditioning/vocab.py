"""Condition vocabularies taken from the training data, and checks of condition values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gaitcraft.errors import ConfigError
from gaitcraft.factors import Factor, factor, vocabulary_factors


def _listing(values: Sequence[str], limit: int = 20) -> str:
    """'a, b, c' or 'a, b, ... (120 in all)' for long vocabularies."""
    shown = ", ".join(values[:limit])
    return shown if len(values) <= limit else f"{shown}, ... ({len(values)} in all)"


@dataclass(frozen=True)
class ConditionVocab:
    """The values each factor with a vocabulary can take (`gaitcraft.factors.vocabulary_factors`): the training
    identities, and the clothing, carry, ... values of the training data.

    tables: {factor name: values}, in declaration order.
    """

    tables: dict[str, tuple[str, ...]]

    @classmethod
    def from_labels(cls, **labels: Iterable[str]) -> ConditionVocab:
        """Build the vocabulary from the training set's labels, one keyword per factor (`identity=subjects,
        clothing=..., carry=...`): sorted unique values; categorical values are checked against the factor's."""
        wanted = vocabulary_factors()
        if set(labels) != {f.name for f in wanted}:
            raise ConfigError(f"vocabulary labels given for {sorted(labels)}; expected {[f.name for f in wanted]}")
        tables = {f.name: tuple(sorted({str(v) for v in labels[f.name]} if f.kind == "identity"
                                       else {f.check_value(v) for v in labels[f.name]})) for f in wanted}
        if not all(tables.values()):
            raise ConfigError("cannot build a condition vocabulary from empty labels")
        return cls(tables)

    @property
    def identities(self) -> tuple[str, ...]:
        """The training identities (the identity bank's rows, in order)."""
        return self.tables["identity"]

    def values(self, name: str) -> tuple[str, ...]:
        """The vocabulary of a factor ('identity', 'clothing', 'carry', ...)."""
        if name not in self.tables:
            raise ConfigError(f"unknown categorical factor {name!r}; valid: {', '.join(self.tables)}")
        return self.tables[name]

    def index(self, name: str, values: Sequence[str]) -> torch.Tensor:
        """Indices `[b]` of `values` in the `name` vocabulary; an unknown value raises, listing the valid ones."""
        vocab = self.values(name)
        lookup = {v: i for i, v in enumerate(vocab)}
        out = []
        for v in values:
            if v not in lookup:
                raise ConfigError(f"unknown {name} {v!r}; this model knows: {_listing(vocab)}")
            out.append(lookup[v])
        return torch.tensor(out, dtype=torch.long)

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form, keyed by each factor's `vocab_key` ('identities', 'clothing', 'carry'); saved with the
        model and in run configs, and the condition encoder's vocabulary arguments."""
        return {factor(name).vocab_key: list(values) for name, values in self.tables.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ConditionVocab:
        """Inverse of `to_dict`; unknown or missing keys are an error."""
        wanted = vocabulary_factors()
        keys = {f.vocab_key for f in wanted}
        if set(d) != keys:
            raise ConfigError(f"vocabulary keys {sorted(d)} do not match the expected {sorted(keys)}")
        return cls({f.name: tuple(d[f.vocab_key]) for f in wanted})


def check_numbers(f: Factor, values: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Values of the continuous factor `f` as a float tensor `[b]`; any value outside its range raises."""
    vals = values.tolist() if isinstance(values, torch.Tensor) else values
    return torch.tensor([f.check_number(v) for v in vals], dtype=torch.float32)


def check_views(views: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Views in degrees as a float tensor `[b]`; any value outside [0, 360) (or not finite) raises."""
    return check_numbers(factor("view"), views)
