"""Building blocks of the spatio-temporal UNet: norm, FiLM res-block per frame, temporal conv across frames.

Layout convention: video features are kept as `[b * t, c, h, w]` tensors in channels-last memory
(frames folded into the batch), which is what oneDNN's bf16 convolutions want on CPU. Temporal ops
view the same memory as `[b, c, t, h, w]` in channels-last-3d format, so no copy is made.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def group_norm(channels: int, group_size: int) -> nn.GroupNorm:
    """GroupNorm with `group_size` channels per group.

    Few wide groups are used on purpose: PyTorch's channels-last bf16 GroupNorm is ~10-30x slower
    when a group holds fewer than ~16 channels (measured on this CPU), so 32 channels per group is the default.
    """
    return nn.GroupNorm(max(1, channels // group_size), channels, eps=1e-5)


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (possibly fractional) diffusion timesteps: `[b]` -> `[b, dim]`."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=timesteps.device) / half)
    args = timesteps.float()[:, None] * freqs[None]  # [b, half]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def frames_to_video(x: torch.Tensor, batch: int) -> torch.Tensor:
    """`[b * t, c, h, w]` (channels-last) -> `[b, c, t, h, w]` view (channels-last-3d), no copy."""
    n, c, h, w = x.shape
    return x.view(batch, n // batch, c, h, w).permute(0, 2, 1, 3, 4)


def video_to_frames(x: torch.Tensor) -> torch.Tensor:
    """Inverse of `frames_to_video`: `[b, c, t, h, w]` -> `[b * t, c, h, w]`."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)


def channels_last_(module: nn.Module) -> nn.Module:
    """Put every conv weight in channels-last (2D) / channels-last-3d (3D) memory, in place; returns `module`."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            fmt = torch.channels_last if isinstance(m, nn.Conv2d) else torch.channels_last_3d
            m.weight.data = m.weight.data.contiguous(memory_format=fmt)
    return module


def zero_init(module: nn.Module) -> nn.Module:
    """Zero a layer's weights and bias so a residual branch starts as the identity."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class TemporalConv(nn.Module):
    """Temporal convolution across frames (kernel k over t, 1x1 in space), initialised to the identity.

    Runs as a `(k, 1, 1)` Conv3d over the channels-last-3d view of the folded frames, so the frame-major
    memory of the 2D convs is used as it is. Placed right after a spatial conv it makes a (2+1)D conv
    with no extra norm/activation passes (those cost as much as a conv on this CPU).
    """

    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv3d(channels, channels, (kernel_size, 1, 1), padding=(kernel_size // 2, 0, 0))
        nn.init.normal_(self.conv.weight, std=1e-3 / channels**0.5)
        nn.init.zeros_(self.conv.bias)
        with torch.no_grad():
            self.conv.weight[:, :, kernel_size // 2, 0, 0] += torch.eye(channels)

    def forward(self, x: torch.Tensor, batch: int) -> torch.Tensor:
        """x `[b*t, c, h, w]` -> same shape; mixes each pixel's features across the t frames."""
        return video_to_frames(self.conv(frames_to_video(x, batch)))


class ResBlock(nn.Module):
    """(2+1)D residual block: spatial 3x3 conv per frame, temporal conv across frames, FiLM (AdaGN), 3x3 conv."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, group_size: int, temporal_kernel: int):
        super().__init__()
        self.norm1 = group_norm(in_ch, group_size)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.temporal = TemporalConv(out_ch, temporal_kernel)
        self.film = nn.Linear(emb_dim, 2 * out_ch)  # scale, shift
        self.norm2 = group_norm(out_ch, group_size)
        self.conv2 = zero_init(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor, batch: int) -> torch.Tensor:
        """x `[b*t, c_in, h, w]`, emb `[b*t, emb_dim]` (repeated per frame) -> `[b*t, c_out, h, w]`."""
        h = self.temporal(self.conv1(F.silu(self.norm1(x))), batch)
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)  # [b*t, c, 1, 1] each
        h = self.conv2(F.silu(torch.addcmul(shift, self.norm2(h), 1 + scale)))
        return self.skip(x) + h


class Downsample(nn.Module):
    """Stride-2 3x3 convolution per frame."""

    def __init__(self, channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[n, c, h, w]` -> `[n, c_out, ceil(h/2), ceil(w/2)]`."""
        return self.conv(x)


class Upsample(nn.Module):
    """Nearest x2 then 3x3 convolution per frame; the output is cropped to `size` (odd sizes round-trip)."""

    def __init__(self, channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """`[n, c, h, w]` -> `[n, c_out, *size]`."""
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")[:, :, : size[0], : size[1]]
        return self.conv(x.contiguous(memory_format=torch.channels_last))
