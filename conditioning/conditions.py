"""`Conditions`: a batch of encoded-ready condition values plus per-factor null masks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import torch


@dataclass(frozen=True)
class Conditions:
    """Condition values for a batch of b sequences, one entry per factor (`gaitcraft.factors`).

    values: `{factor: tensor}`: the identity as `[b, identity_dim]` vectors (bank rows, mixtures,
            interpolations ...), a categorical factor as `[b]` vocabulary indices, a continuous one as `[b]` numbers
            (the view in degrees).
    null:   `{factor: [b] bool}`; True replaces that factor by its learned null embedding.
    """

    values: dict[str, torch.Tensor]
    null: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return int(next(iter(self.values.values())).shape[0])

    def __getitem__(self, name: str) -> torch.Tensor:
        """The values of factor `name`."""
        return self.values[name]

    def with_null(self, factors: Iterable[str]) -> Conditions:
        """A copy where `factors` are null for every item (used by classifier-free guidance)."""
        factors = set(factors)
        null = {f: torch.ones_like(m) if f in factors else m for f, m in self.null.items()}
        return replace(self, null=null)

    def to(self, device: torch.device | str) -> Conditions:
        """Move every tensor to `device`."""
        return Conditions({f: v.to(device) for f, v in self.values.items()},
                          {f: m.to(device) for f, m in self.null.items()})

    @staticmethod
    def cat(parts: list[Conditions]) -> Conditions:
        """Concatenate batches along b."""
        first = parts[0]
        return Conditions({f: torch.cat([p.values[f] for p in parts]) for f in first.values},
                          {f: torch.cat([p.null[f] for p in parts]) for f in first.null})
