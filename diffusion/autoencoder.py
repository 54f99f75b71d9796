"""A small per-frame silhouette autoencoder: 64x44 binary masks <-> 16x11xC latents (latent diffusion).

It works frame by frame; temporal consistency comes from the diffusion model, which denoises the latents of
all frames together. The latent is tanh-bounded, and training adds noise to it so the decoder tolerates the
small errors of sampled latents. `scaling_factor` (set after training) scales latents to unit variance.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

from diffusion.layers import channels_last_, group_norm


class _Res(nn.Module):
    """Plain pre-activation residual block."""

    def __init__(self, ch: int, group_size: int):
        super().__init__()
        self.body = nn.Sequential(group_norm(ch, group_size), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1),
                                  group_norm(ch, group_size), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[n, c, h, w]` -> same."""
        return x + self.body(x)


class _Up(nn.Module):
    """Nearest x2 upsampling then a 3x3 conv."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[n, c, h, w]` -> `[n, c_out, 2h, 2w]`."""
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class SilhouetteAutoencoder(ModelMixin, ConfigMixin):
    """Per-frame autoencoder of binary silhouettes `[n, 1, 64, 44]` with a `[n, latent_channels, 16, 11]` latent.

    Args:
        latent_channels: channels of the latent (4 gives 704 numbers per 64x44 frame).
        channels: widths at full and at half/quarter resolution.
        norm_group_size: channels per GroupNorm group.
        scaling_factor: multiplies latents so the diffusion model sees unit variance (set after training).
    """

    @register_to_config
    def __init__(self, latent_channels: int = 4, channels: tuple[int, int] = (32, 64), norm_group_size: int = 16,
                 scaling_factor: float = 1.0):
        super().__init__()
        c0, c1 = channels
        g = norm_group_size
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c0, 3, padding=1), _Res(c0, g),
            nn.Conv2d(c0, c1, 3, stride=2, padding=1), _Res(c1, g),  # 32x22
            nn.Conv2d(c1, c1, 3, stride=2, padding=1), _Res(c1, g),  # 16x11
            group_norm(c1, g), nn.SiLU(), nn.Conv2d(c1, latent_channels, 3, padding=1),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, c1, 3, padding=1), _Res(c1, g),
            _Up(c1, c1), _Res(c1, g),  # 32x22
            _Up(c1, c0), _Res(c0, g),  # 64x44
            group_norm(c0, g), nn.SiLU(), nn.Conv2d(c0, 1, 3, padding=1),
        )
        channels_last_(self)

    @property
    def latent_size(self) -> tuple[int, int]:
        """(h, w) of the latent of a 64x44 frame: (16, 11)."""
        return (16, 11)

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """Silhouettes `[n, 1, 64, 44]` in [0, 1] -> unscaled latents `[n, C, 16, 11]` in (-1, 1)."""
        x = (2.0 * frames - 1.0).contiguous(memory_format=torch.channels_last)
        return torch.tanh(self.encoder(x).float())

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Unscaled latents `[n, C, 16, 11]` -> logits `[n, 1, 64, 44]`."""
        return self.decoder(latents.contiguous(memory_format=torch.channels_last)).float()

    def forward(self, frames: torch.Tensor, latent_noise: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction logits `[n, 1, 64, 44]` of `frames`; `latent_noise` `[n, C, 16, 11]` is added to the latent."""
        z = self.encode(frames)
        return self.decode(z if latent_noise is None else z + latent_noise)

    def encode_video(self, sil: torch.Tensor) -> torch.Tensor:
        """Silhouette clips `[b, t, 64, 44]` in [0, 1] -> scaled latents `[b, t, C, 16, 11]`."""
        b, t, h, w = sil.shape
        z = self.encode(sil.reshape(b * t, 1, h, w))
        return (z * self.config.scaling_factor).reshape(b, t, *z.shape[1:])

    def decode_video(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents `[b, t, C, 16, 11]` -> foreground probabilities `[b, t, 64, 44]`."""
        b, t = latents.shape[:2]
        logits = self.decode(latents.reshape(b * t, *latents.shape[2:]) / self.config.scaling_factor)
        return torch.sigmoid(logits).reshape(b, t, *logits.shape[2:])
