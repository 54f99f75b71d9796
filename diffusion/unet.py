"""The factorised spatio-temporal UNet: 2D res-blocks per frame, temporal conv across frames at every block,
attention (spatial and temporal) only at the low-resolution levels, FiLM conditioning on time + condition.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

from diffusion.attention import SpatialAttention, TemporalAttention
from diffusion.layers import (
    Downsample,
    ResBlock,
    Upsample,
    channels_last_,
    group_norm,
    timestep_embedding,
    zero_init,
)


class STBlock(nn.Module):
    """One stage unit: (2+1)D FiLM res-block, then optional spatial / temporal attention."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, cfg: dict, spatial_attn: bool, temporal_attn: bool):
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, emb_dim, cfg["norm_group_size"], cfg["temporal_kernel_size"])
        self.attn = nn.ModuleList()
        if spatial_attn:
            self.attn.append(SpatialAttention(out_ch, cfg["head_dim"]))
        if temporal_attn:
            self.attn.append(TemporalAttention(out_ch, cfg["head_dim"]))

    def forward(self, x: torch.Tensor, emb: torch.Tensor, batch: int) -> torch.Tensor:
        """x `[b*t, c_in, h, w]`, emb `[b*t, e]` -> `[b*t, c_out, h, w]`."""
        x = self.res(x, emb, batch)
        for layer in self.attn:
            x = layer(x, batch)
        return x


class SpatioTemporalUNet(ModelMixin, ConfigMixin):
    """Denoiser for silhouette-latent videos `[b, t, c, h, w]`, conditioned on a `[b, cond_dim]` embedding.

    Args:
        in_channels: channels of the (latent) input frames.
        out_channels: channels of the prediction (epsilon or v, same as the input).
        block_channels: feature width of each resolution level; each level after the first halves h and w.
        layers_per_block: `STBlock`s per level on the way down and on the way up.
        spatial_attention: per level, whether its blocks attend across the frame's positions.
        temporal_attention: per level, whether its blocks attend across frames.
        head_dim: channels per attention head.
        temporal_kernel_size: frames covered by each temporal convolution (odd).
        cond_dim: width of the condition embedding given by `ConditionEncoder`.
        emb_dim: width of the joint time + condition embedding that drives FiLM.
        norm_group_size: channels per GroupNorm group.
        num_frames: clip length the model is trained on (the pipeline's default).
        max_frames: longest clip the model accepts.
        prediction_type: what the model was trained to predict ('epsilon' or 'v_prediction'); samplers must match.
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 4,
        out_channels: int = 4,
        block_channels: tuple[int, ...] = (64, 128, 192),
        layers_per_block: int = 2,
        spatial_attention: tuple[bool, ...] = (False, False, True),
        temporal_attention: tuple[bool, ...] = (False, True, True),
        head_dim: int = 32,
        temporal_kernel_size: int = 3,
        cond_dim: int = 128,
        emb_dim: int = 256,
        norm_group_size: int = 32,
        num_frames: int = 30,
        max_frames: int = 60,
        prediction_type: str = "v_prediction",
    ):
        super().__init__()
        levels = len(block_channels)
        if not (len(spatial_attention) == len(temporal_attention) == levels):
            raise ValueError("spatial_attention and temporal_attention need one flag per entry of block_channels")
        if temporal_kernel_size % 2 != 1:
            raise ValueError(f"temporal_kernel_size must be odd, got {temporal_kernel_size}")
        if not 1 <= num_frames <= max_frames:
            raise ValueError(f"need 1 <= num_frames <= max_frames, got {num_frames} and {max_frames}")
        if prediction_type not in ("epsilon", "v_prediction"):
            raise ValueError(f"prediction_type must be 'epsilon' or 'v_prediction', got {prediction_type!r}")
        cfg = {"norm_group_size": norm_group_size, "temporal_kernel_size": temporal_kernel_size, "head_dim": head_dim}
        ch0 = block_channels[0]
        self.time_mlp = nn.Sequential(nn.Linear(ch0, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.cond_proj = nn.Linear(cond_dim, emb_dim)
        self.conv_in = nn.Conv2d(in_channels, ch0, 3, padding=1)

        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        prev = ch0
        for i, ch in enumerate(block_channels):
            sa, ta = spatial_attention[i], temporal_attention[i]
            blocks = [STBlock(prev if j == 0 else ch, ch, emb_dim, cfg, sa, ta) for j in range(layers_per_block)]
            self.down.append(nn.ModuleList(blocks))
            prev = ch
            if i < levels - 1:
                self.downsample.append(Downsample(ch, ch))
        top = block_channels[-1]
        self.mid = nn.ModuleList([STBlock(top, top, emb_dim, cfg, True, True), STBlock(top, top, emb_dim, cfg, False, False)])

        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(levels)):
            ch, sa, ta = block_channels[i], spatial_attention[i], temporal_attention[i]
            blocks = [STBlock(2 * ch if j == 0 else ch, ch, emb_dim, cfg, sa, ta) for j in range(layers_per_block)]
            self.up.append(nn.ModuleList(blocks))
            if i > 0:
                self.upsample.append(Upsample(ch, block_channels[i - 1]))
        self.norm_out = group_norm(ch0, norm_group_size)
        self.conv_out = zero_init(nn.Conv2d(ch0, out_channels, 3, padding=1))
        channels_last_(self)

    def check_frames(self, num_frames: int) -> None:
        """Raise `ValueError` naming the supported range when the model cannot take `num_frames`."""
        if not 1 <= num_frames <= self.config.max_frames:
            raise ValueError(
                f"num_frames={num_frames} is not supported by this model: it takes 1..{self.config.max_frames} "
                f"frames (trained on {self.config.num_frames})"
            )

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | float, cond: torch.Tensor) -> torch.Tensor:
        """Predict noise (or v) for `sample` `[b, t, c, h, w]` at `timestep` (`[b]` or scalar) under `cond` `[b, cond_dim]`."""
        b, t, c, h, w = sample.shape
        self.check_frames(t)
        timestep = torch.as_tensor(timestep, device=sample.device).reshape(-1).expand(b)
        emb = self.time_mlp(timestep_embedding(timestep, self.config.block_channels[0]).to(sample.dtype))
        emb = F.silu(emb + self.cond_proj(cond))  # [b, e]
        emb = emb.repeat_interleave(t, dim=0)  # [b*t, e]

        x = self.conv_in(sample.reshape(b * t, c, h, w).contiguous(memory_format=torch.channels_last))
        skips = []
        for i, blocks in enumerate(self.down):
            for block in blocks:
                x = block(x, emb, b)
            skips.append(x)
            if i < len(self.downsample):
                x = self.downsample[i](x)
        for block in self.mid:
            x = block(x, emb, b)
        for i, blocks in enumerate(self.up):
            x = torch.cat([x, skips.pop()], dim=1)
            for block in blocks:
                x = block(x, emb, b)
            if i < len(self.upsample):
                x = self.upsample[i](x, skips[-1].shape[-2:])
        x = self.conv_out(F.silu(self.norm_out(x)))  # [b*t, c_out, h, w]
        return x.reshape(b, t, -1, h, w).contiguous()
