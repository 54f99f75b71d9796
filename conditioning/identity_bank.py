"""Identity-bank operations of the condition encoder: look-ups, recipes, interpolation, mixing, novel sampling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from conditioning.identity import IdentityRecipe, interpolate
from conditioning.novel import sample_novel
from gaitcraft.errors import ConfigError


def _recipe(x: Any) -> IdentityRecipe:
    """A training id, recipe dict or `IdentityRecipe` as an `IdentityRecipe`."""
    if isinstance(x, str):
        return IdentityRecipe("train", (x,))
    return IdentityRecipe.from_json(x) if isinstance(x, dict) else x


class IdentityBankMixin:
    """Methods over `self.identity_bank` (an `nn.Embedding`, one row per training identity) and `self.vocab`."""

    @property
    def identity_table(self) -> torch.Tensor:
        """The training identity vectors `[n_identities, identity_dim]` (detached)."""
        return self.identity_bank.weight.detach()

    def identity_vectors(self, names: Sequence[str]) -> torch.Tensor:
        """Bank rows `[k, identity_dim]` for training identity `names`; unknown names raise, listing the valid ones."""
        return self.identity_bank(self.vocab.index("identity", names).to(self.identity_bank.weight.device))

    def resolve_identity(self, item: Any) -> torch.Tensor | None:
        """A training id (str), an `IdentityRecipe` or its JSON dict, or a `[identity_dim]` tensor -> vector; None -> None."""
        if item is None:
            return None
        if isinstance(item, str):
            return self.identity_vectors([item])[0]
        if isinstance(item, dict):
            item = IdentityRecipe.from_json(item)
        if isinstance(item, IdentityRecipe):
            return item.resolve(self.identity_vectors).to(self.identity_bank.weight.device)
        if isinstance(item, torch.Tensor) and item.shape == (self.config.identity_dim,):
            return item.to(self.identity_bank.weight)
        raise ConfigError(f"cannot use {type(item).__name__} as an identity: give a training id, a recipe or a vector")

    def interpolate(self, a: Any, b: Any, t: float, mode: str = "slerp") -> IdentityRecipe:
        """Recipe of the identity at `t` between `a` and `b` (training ids or recipes); t=0 is `a`, t=1 is `b`."""
        if isinstance(a, str) and isinstance(b, str):
            return IdentityRecipe("interpolate", (a, b), t=float(t), mode=mode)
        vec = interpolate(self.resolve_identity(a), self.resolve_identity(b), float(t), mode)
        parents = [_recipe(x).to_json() for x in (a, b)]
        return IdentityRecipe("vector", vector=tuple(vec.tolist()),
                              meta={"op": "interpolate", "a": parents[0], "b": parents[1], "t": t, "mode": mode})

    def mix(self, ids: Sequence[str], weights: Sequence[float]) -> IdentityRecipe:
        """Recipe of the convex mixture of training identities `ids` with `weights` (checked now)."""
        recipe = IdentityRecipe("mix", tuple(ids), tuple(float(w) for w in weights))
        recipe.resolve(self.identity_vectors)  # unknown ids / bad weights raise here, not at generation
        return recipe

    def sample_novel(self, n: int, seed: int, **kw: Any) -> list[IdentityRecipe]:
        """`n` novel identity recipes away from every training identity; see `conditioning.sample_novel`."""
        return sample_novel(self.identity_table.cpu(), self.vocab.identities, n, seed, **kw)
