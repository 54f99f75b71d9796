"""`Conditions`: a batch of encoded-ready condition values plus per-factor null masks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import torch

from conditioning.vocab import FACTORS


@dataclass(frozen=True)
class Conditions:
    """Condition values for a batch of b sequences.

    identity: `[b, identity_dim]` identity vectors (bank rows, mixtures, interpolations ...).
    clothing: `[b]` clothing indices; carry: `[b]` carry indices; view: `[b]` degrees.
    null:     `{factor: [b] bool}`; True replaces that factor by its learned null embedding.
    """

    identity: torch.Tensor
    clothing: torch.Tensor
    carry: torch.Tensor
    view: torch.Tensor
    null: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return int(self.identity.shape[0])

    def with_null(self, factors: Iterable[str]) -> Conditions:
        """A copy where `factors` are null for every item (used by classifier-free guidance)."""
        factors = set(factors)
        null = {f: torch.ones_like(m) if f in factors else m for f, m in self.null.items()}
        return replace(self, null=null)

    def to(self, device: torch.device | str) -> Conditions:
        """Move every tensor to `device`."""
        return Conditions(self.identity.to(device), self.clothing.to(device), self.carry.to(device),
                          self.view.to(device), {f: m.to(device) for f, m in self.null.items()})

    @staticmethod
    def cat(parts: list[Conditions]) -> Conditions:
        """Concatenate batches along b."""
        return Conditions(
            torch.cat([p.identity for p in parts]), torch.cat([p.clothing for p in parts]),
            torch.cat([p.carry for p in parts]), torch.cat([p.view for p in parts]),
            {f: torch.cat([p.null[f] for p in parts]) for f in FACTORS},
        )
