"""Identity operations in the identity-bank space, and JSON recipes that rebuild any identity exactly.

A recipe names training identities and how they are combined, so an identity made by interpolation,
mixing or novel sampling is reproducible from the recipe plus the model it refers to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from gaitcraft.errors import ConfigError

RECIPE_KINDS = ("train", "mix", "interpolate", "vector")


def interpolate(a: torch.Tensor, b: torch.Tensor, t: float, mode: str = "slerp") -> torch.Tensor:
    """Interpolate identity vectors `[..., d]`: t=0 gives `a`, t=1 gives `b` exactly.

    'lerp' is linear; 'slerp' follows the great arc between the two vectors (magnitudes blend along it),
    falling back to lerp when they are nearly parallel.
    """
    if mode not in ("lerp", "slerp"):
        raise ConfigError(f"unknown interpolation mode {mode!r}; valid: lerp, slerp")
    a64, b64 = a.double(), b.double()
    if mode == "lerp":
        out = (1.0 - t) * a64 + t * b64
    else:
        cos = (a64 * b64).sum(-1, keepdim=True) / (a64.norm(dim=-1, keepdim=True) * b64.norm(dim=-1, keepdim=True))
        omega = torch.arccos(cos.clamp(-1.0, 1.0))
        sin = torch.sin(omega)
        near = sin.abs() < 1e-6
        safe = torch.where(near, torch.ones_like(sin), sin)
        wa = torch.where(near, torch.full_like(sin, 1.0 - t), torch.sin((1.0 - t) * omega) / safe)
        wb = torch.where(near, torch.full_like(sin, t), torch.sin(t * omega) / safe)
        out = wa * a64 + wb * b64
    return out.to(a.dtype)


def mix(vectors: torch.Tensor, weights: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Convex mixture of identity vectors `[k, d]` with non-negative `weights` `[k]` (normalised to sum 1) -> `[d]`."""
    w = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
    if w.numel() != vectors.shape[0]:
        raise ConfigError(f"mix got {vectors.shape[0]} identities but {w.numel()} weights")
    if bool((w < 0).any()) or float(w.sum()) <= 0:
        raise ConfigError(f"mix weights must be non-negative with a positive sum, got {w.tolist()}")
    w = w / w.sum()
    return (w[:, None] * vectors.double()).sum(0).to(vectors.dtype)


@dataclass(frozen=True)
class IdentityRecipe:
    """How to build one identity vector from a model's identity bank.

    kind:    'train' (ids[0] as it is), 'mix' (ids with weights), 'interpolate' (ids[0] -> ids[1] at t, mode),
             'vector' (the raw vector, e.g. a draw from a fitted Gaussian).
    ids:     training identity names the recipe refers to.
    weights: mixture weights ('mix').
    t, mode: interpolation position and 'lerp'/'slerp' ('interpolate').
    vector:  raw identity vector ('vector').
    meta:    provenance, e.g. {'method': 'dirichlet', 'seed': 7, 'index': 3}; not used to rebuild.
    """

    kind: str
    ids: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    t: float = 0.0
    mode: str = "slerp"
    vector: tuple[float, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        need = {"train": 1, "interpolate": 2}
        if self.kind not in RECIPE_KINDS:
            raise ConfigError(f"unknown identity recipe kind {self.kind!r}; valid: {', '.join(RECIPE_KINDS)}")
        if self.kind in need and len(self.ids) != need[self.kind]:
            raise ConfigError(f"a {self.kind!r} recipe needs {need[self.kind]} identities, got {list(self.ids)}")
        if self.kind == "mix" and (not self.ids or len(self.ids) != len(self.weights)):
            raise ConfigError(f"a 'mix' recipe needs one weight per identity, got {list(self.ids)} / {list(self.weights)}")
        if self.kind == "vector" and not self.vector:
            raise ConfigError("a 'vector' recipe needs its vector")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for tuples); floats round-trip exactly through JSON."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> IdentityRecipe:
        """Inverse of `to_json`; unknown keys are an error."""
        names = set(cls.__dataclass_fields__)
        if extra := set(d) - names:
            raise ConfigError(f"unknown identity recipe keys {sorted(extra)}; valid: {sorted(names)}")
        conv = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**conv)

    def resolve(self, lookup) -> torch.Tensor:
        """The identity vector `[d]`; `lookup(names) -> [k, d]` gives training identity vectors (raising on unknown)."""
        if self.kind == "vector":
            return torch.tensor(self.vector, dtype=torch.float32)
        vecs = lookup(list(self.ids))  # [k, d]
        if self.kind == "train":
            return vecs[0]
        if self.kind == "mix":
            return mix(vecs, self.weights)
        return interpolate(vecs[0], vecs[1], self.t, self.mode)
