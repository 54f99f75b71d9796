"""Self-attention over space (per frame) and over time (per pixel), used only at low resolution.

The kernel is PyTorch SDPA; xformers' memory-efficient attention is used only when CUDA and xformers
are both present and the tensors are on a CUDA device (xformers ships CUDA builds only).
"""

from __future__ import annotations

import importlib.util

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from diffusion.layers import zero_init

_XFORMERS = torch.cuda.is_available() and importlib.util.find_spec("xformers") is not None


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention (PyTorch SDPA) on `[n, heads, L, d]` tensors -> `[n, heads, L, d]`."""
    if _XFORMERS and q.is_cuda:
        import xformers.ops as xops

        out = xops.memory_efficient_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return out.transpose(1, 2)
    if q.device.type == "cpu" and torch.is_grad_enabled():
        # On CPU the flash kernel's backward is slow for these short sequences: the math kernel trains the
        # UNet ~25% faster (measured); inference keeps the default (flash) kernel.
        with sdpa_kernel(SDPBackend.MATH):
            return F.scaled_dot_product_attention(q, k, v)
    return F.scaled_dot_product_attention(q, k, v)


def rotary(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding on the last dim of `[n, heads, L, d]` for integer `positions` `[L]`.

    Relative by construction, so temporal attention is not tied to the training clip length.
    """
    half = x.shape[-1] // 2
    freqs = base ** (-torch.arange(half, device=x.device, dtype=torch.float32) / half)
    ang = positions.float()[:, None] * freqs[None]  # [L, half]
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class _TokenAttention(nn.Module):
    """Pre-norm multi-head self-attention over token sequences `[n, L, c]` with a zero-init output."""

    def __init__(self, channels: int, head_dim: int, use_rope: bool):
        super().__init__()
        self.heads = max(1, channels // head_dim)
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = zero_init(nn.Linear(channels, channels))
        self.use_rope = use_rope

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """`[n, L, c]` -> attention update `[n, L, c]` (to be added to the input)."""
        n, L, c = tokens.shape
        qkv = self.qkv(self.norm(tokens)).view(n, L, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # [n, heads, L, d] each
        if self.use_rope:
            pos = torch.arange(L, device=tokens.device)
            q, k = rotary(q, pos), rotary(k, pos)
        out = attention(q, k, v).transpose(1, 2).reshape(n, L, c)
        return self.out(out)


class SpatialAttention(_TokenAttention):
    """Attention among the h*w positions of each frame."""

    def __init__(self, channels: int, head_dim: int):
        super().__init__(channels, head_dim, use_rope=False)

    def forward(self, x: torch.Tensor, batch: int) -> torch.Tensor:
        """x `[b*t, c, h, w]` (channels-last) -> same shape."""
        n, c, h, w = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(n, h * w, c)  # [b*t, h*w, c], a view in channels-last
        upd = super().forward(tokens)
        return x + upd.view(n, h, w, c).permute(0, 3, 1, 2)


class TemporalAttention(_TokenAttention):
    """Attention among the t frames at each spatial position, with rotary (relative) frame positions."""

    def __init__(self, channels: int, head_dim: int):
        super().__init__(channels, head_dim, use_rope=True)

    def forward(self, x: torch.Tensor, batch: int) -> torch.Tensor:
        """x `[b*t, c, h, w]` (channels-last) -> same shape."""
        n, c, h, w = x.shape
        t = n // batch
        tokens = x.permute(0, 2, 3, 1).reshape(batch, t, h * w, c).transpose(1, 2).reshape(batch * h * w, t, c)
        upd = super().forward(tokens)  # [b*h*w, t, c]
        upd = upd.view(batch, h, w, t, c).permute(0, 3, 1, 2, 4).reshape(n, h, w, c)  # frame-major again
        return x + upd.permute(0, 3, 1, 2)
