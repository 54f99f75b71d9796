"""Per-factor encoders: Fourier features of an angle (the view), and per-factor classifier-free-guidance dropout."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from gaitcraft.errors import ConfigError
from gaitcraft.factors import factor_names


class FourierAngleEncoder(nn.Module):
    """An angle in degrees `[b]` (the view) -> `[b, out_dim]` through sin/cos of k*angle (k = 1..frequencies) and
    an MLP: the 'fourier' embedding of `gaitcraft.factors`.

    The features are periodic in 360 degrees and continuous, so unseen angles such as 45 or 99 are valid inputs.
    """

    def __init__(self, frequencies: int, out_dim: int):
        super().__init__()
        self.register_buffer("k", torch.arange(1, frequencies + 1, dtype=torch.float32), persistent=False)
        self.mlp = nn.Sequential(nn.Linear(2 * frequencies, out_dim), nn.SiLU(), nn.Linear(out_dim, out_dim))

    def forward(self, degrees: torch.Tensor) -> torch.Tensor:
        """`[b]` degrees -> `[b, out_dim]`."""
        ang = degrees.float()[:, None] * (math.pi / 180.0) * self.k[None]  # [b, f]
        return self.mlp(torch.cat([ang.sin(), ang.cos()], dim=-1))


def drop_masks(batch: int, probs: dict[str, float], p_all: float, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """Classifier-free-guidance dropout masks `{factor: [b] bool}` (True = use the factor's null embedding).

    Each factor is dropped independently with `probs[factor]`; with probability `p_all` all are dropped together,
    so the model learns both the per-factor and the fully unconditional predictions.
    """
    names = factor_names()
    if unknown := set(probs) - set(names):
        raise ConfigError(f"unknown factors {sorted(unknown)} in condition dropout; valid: {', '.join(names)}")
    all_drop = torch.rand(batch, generator=generator) < p_all
    masks = {f: all_drop | (torch.rand(batch, generator=generator) < probs.get(f, 0.0)) for f in names}
    return {f: m.to(device) for f, m in masks.items()}
