"""Soft-argmax (integral regression) over volumetric heatmaps, and the heatmap spread used as a regulariser.

A heatmap volume [..., D, H, W] holds logits over a grid in the view frame: W runs along the image right, H
down the image rows (so 'up' decreases with the row index) and D toward the camera. `grid_axes` gives each
axis' coordinates in cells, centred on the volume; multiply by the cell size for metres.
"""

from __future__ import annotations

import torch


def grid_axes(d: int, h: int, w: int, device=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centred cell coordinates of the (right, up, toward) axes: ([w], [h], [d]) float32."""
    right = torch.arange(w, dtype=torch.float32, device=device) - (w - 1) / 2
    up = (h - 1) / 2 - torch.arange(h, dtype=torch.float32, device=device)
    toward = torch.arange(d, dtype=torch.float32, device=device) - (d - 1) / 2
    return right, up, toward


def volume_softmax(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over the last three axes of `logits` [..., D, H, W] (computed in float32)."""
    shape = logits.shape
    p = torch.softmax(logits.float().flatten(-3), dim=-1)
    return p.reshape(shape)


def soft_argmax_3d(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Expected position under softmax(logits): [..., D, H, W] -> (coords [..., 3] in cells as (right, up,
    toward), probabilities [..., D, H, W])."""
    p = volume_softmax(logits)
    d, h, w = p.shape[-3:]
    right, up, toward = grid_axes(d, h, w, p.device)
    # marginals are cheap sums; the expectation of a separable coordinate only needs its marginal
    x = (p.sum((-3, -2)) * right).sum(-1)  # [...]
    y = (p.sum((-3, -1)) * up).sum(-1)
    z = (p.sum((-2, -1)) * toward).sum(-1)
    return torch.stack([x, y, z], dim=-1), p


def spread(p: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Total variance (cells²) of each distribution p [..., D, H, W] about its mean `coords` [..., 3]: [...]."""
    d, h, w = p.shape[-3:]
    right, up, toward = grid_axes(d, h, w, p.device)
    ex2 = ((p.sum((-3, -2)) * right ** 2).sum(-1) + (p.sum((-3, -1)) * up ** 2).sum(-1)
           + (p.sum((-2, -1)) * toward ** 2).sum(-1))
    return (ex2 - (coords ** 2).sum(-1)).clamp_min(0.0)
