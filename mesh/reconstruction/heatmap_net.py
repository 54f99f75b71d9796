"""The silhouette -> 3D reconstructor: per-frame volumetric heatmaps of joints and virtual markers.

Per frame a small ResNet encodes the 64x44 silhouette to a 16x11 feature map; residual temporal convolutions
(dilated, over time at every cell) and a transformer over per-frame tokens give each frame the context of the
whole sequence. A 1x1 head lifts each cell into `depth_bins` bins toward the camera: one volumetric heatmap
[D, 16, 11] per keypoint in the *view frame* (image right, up, toward the camera), soft-argmaxed to metres.
The view rotation (given, or predicted by the view head) turns the keypoints into the body-centred frame,
where a parameter head regresses the body model (anny bone rotations per frame, phenotypes per sequence).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mesh.reconstruction.config import ModelSection
from mesh.reconstruction.geometry import rot6d_to_matrix, view_rotation_torch
from mesh.reconstruction.soft_argmax import soft_argmax_3d, spread

PHENO_LO = (0.0, 0.5, 0.0, 0.0, 0.0, 0.0)  # regressed phenotypes live in the shape fit's box (adults)
PHENO_HI = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)


class ResBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus a projected shortcut: `[n, c_in, h, w]` -> `[n, c_out, h/s, w/s]`."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = None
        if stride != 1 or c_in != c_out:
            self.skip = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (x if self.skip is None else self.skip(x)))


class TemporalBlock(nn.Module):
    """Residual dilated temporal conv at every cell: `[b, c, t, hw]` -> same shape."""

    def __init__(self, c: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, (3, 1), padding=(dilation, 0), dilation=(dilation, 1), bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.mix = nn.Conv2d(c, c, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.bn2(self.mix(F.relu(self.bn(self.conv(x))))))


def sinusoid(t: int, c: int, device=None) -> torch.Tensor:
    """Sinusoidal frame-position codes `[t, c]`."""
    pos = torch.arange(t, dtype=torch.float32, device=device)[:, None]
    freq = torch.exp(-math.log(1000.0) * torch.arange(0, c, 2, dtype=torch.float32, device=device) / c)
    pe = torch.zeros(t, c, device=device)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
    return pe


def mlp(c_in: int, hidden: int, c_out: int) -> nn.Sequential:
    """Two-layer perceptron with GELU."""
    return nn.Sequential(nn.Linear(c_in, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                         nn.Linear(hidden, c_out))


class HeatmapReconstructor(nn.Module):
    """Silhouettes `[b, t, 64, 44]` -> heatmaps, keypoints and body-model parameters (see `forward`)."""

    def __init__(self, cfg: ModelSection, n_joints: int, n_groups: int):
        """`n_joints` skeleton joints (the first is the root) + `cfg.n_markers` markers; `n_groups` rotations."""
        super().__init__()
        self.cfg, self.n_joints, self.n_groups = cfg, n_joints, n_groups
        self.n_kp = n_joints + cfg.n_markers
        w0, w1, w2, c = cfg.widths
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w0, 3, 2, 1, bias=False), nn.BatchNorm2d(w0), nn.ReLU(),
            ResBlock(w0, w1, 2), ResBlock(w1, w2, 1), ResBlock(w2, c, 1))
        self.temporal = nn.Sequential(*[TemporalBlock(c, 2 ** i) for i in range(cfg.temporal_blocks)])
        layer = nn.TransformerEncoderLayer(c, cfg.heads, 2 * c, dropout=0.0, batch_first=True, norm_first=True)
        self.attention = nn.TransformerEncoder(layer, cfg.attention_layers, enable_nested_tensor=False)
        self.token_in = nn.Linear(c, c)
        self.token_out = nn.Linear(c, c)
        self.head = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.ReLU(), nn.Conv2d(c, self.n_kp * cfg.depth_bins, 1))
        self.view_head = mlp(c, cfg.hidden, 2)  # (cos, sin) of the azimuth
        self.seq_head = mlp(c + 3 * self.n_kp, cfg.hidden, 7)  # 6 phenotypes + log scale
        self.pose_head = mlp(c + 3 * self.n_kp, cfg.hidden, 6 * n_groups)
        nn.init.zeros_(self.pose_head[-1].weight)
        with torch.no_grad():  # start at the identity rotation for every bone group
            self.pose_head[-1].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1.0, 0]).repeat(n_groups))
        self.register_buffer("pheno_lo", torch.tensor(PHENO_LO), persistent=False)
        self.register_buffer("pheno_hi", torch.tensor(PHENO_HI), persistent=False)

    def features(self, sils: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame feature maps `[b, t, c, h, w]` and sequence-aware frame tokens `[b, t, c]`."""
        b, t, hh, ww = sils.shape
        x = sils.float() / 255.0 if sils.dtype == torch.uint8 else sils.float()
        x = x.reshape(b * t, 1, hh, ww).contiguous(memory_format=torch.channels_last)
        f = self.encoder(x)  # [b*t, c, h, w]
        c, h, w = f.shape[1:]
        f = f.reshape(b, t, c, h * w).permute(0, 2, 1, 3)  # [b, c, t, hw]
        f = self.temporal(f).permute(0, 2, 1, 3)  # [b, t, c, hw]
        tok = self.token_in(f.mean(-1)) + sinusoid(t, c, f.device).to(f.dtype)  # [b, t, c]
        tok = self.attention(tok)  # [b, t, c]
        f = f + self.token_out(tok)[..., None]  # [b, t, c, hw]
        return f.reshape(b, t, c, h, w), tok

    def forward(self, sils: torch.Tensor, view_R: torch.Tensor | None = None,
                frame_idx: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Reconstruct clips.

        sils: `[b, t, 64, 44]` (uint8 0/255 or float in [0, 1]). view_R: body->view rotations `[b, 3, 3]` or
        `[b, t', 3, 3]` (from the known camera); None uses the predicted view. frame_idx: `[t']` frames to
        decode (all by default; training decodes a subset, every frame still gives temporal context).
        Returns heatmap logits `[b, t', K, D, h, w]` and probabilities, keypoints in the view and body frames
        `[b, t', K, 3]` (m, root-relative; K = joints then markers), `cells` the image-aligned heatmap
        positions `[b, t', K, 3]` (cells, absolute), `view` (cos, sin) `[b, 2]`, `phenotypes`
        `[b, 6]`, `scale` `[b]`, `group_rot` `[b, t', G, 3, 3]`, `spread` `[b, t', K]` (cells²).
        """
        f_all, tok_all = self.features(sils)  # [b, t, c, h, w], [b, t, c]
        seq = tok_all.float().mean(1)  # [b, c]
        f, tok = (f_all, tok_all) if frame_idx is None else (f_all[:, frame_idx], tok_all[:, frame_idx])
        b, t = f.shape[:2]
        h, w = f.shape[-2:]
        logits = self.head(f.flatten(0, 1)).float()  # [b*t, K*D, h, w]
        logits = logits.reshape(b, t, self.n_kp, self.cfg.depth_bins, h, w)  # [b, t, K, D, h, w]
        cells, prob = soft_argmax_3d(logits)  # [b, t, K, 3]
        view = F.normalize(self.view_head(seq), dim=-1)  # [b, 2]
        if view_R is None:
            view_R = view_rotation_torch(torch.rad2deg(torch.atan2(view[:, 1], view[:, 0])))
        if view_R.ndim == 3:
            view_R = view_R[:, None].expand(b, t, 3, 3)
        kp_pool = cells.mean(1).flatten(1) * self.cfg.cell_m  # [b, K*3] (mean shape over the clip)
        s = self.seq_head(torch.cat([seq, kp_pool], dim=-1))  # [b, 7]
        scale = torch.exp(0.2 * torch.tanh(s[:, 6]))  # [b], body size vs nominal (±22 %)
        pheno = self.pheno_lo + (self.pheno_hi - self.pheno_lo) * torch.sigmoid(s[:, :6])  # [b, 6]
        kp_view = cells * (self.cfg.cell_m * scale)[:, None, None, None]  # [b, t, K, 3] metres
        kp_view = kp_view - kp_view[:, :, :1]  # root-relative
        kp_body = (view_R.float().transpose(-1, -2)[:, :, None] @ kp_view[..., None]).squeeze(-1)
        pose_in = torch.cat([tok.float(), kp_body.flatten(2)], dim=-1)  # [b, t, c + 3K]
        rot = rot6d_to_matrix(self.pose_head(pose_in).reshape(b, t, self.n_groups, 6))  # [b, t, G, 3, 3]
        return {"heatmaps": logits, "prob": prob, "cells": cells, "kp_view": kp_view, "kp_body": kp_body, "view": view,
                "phenotypes": pheno, "scale": scale, "group_rot": rot, "spread": spread(prob, cells)}
