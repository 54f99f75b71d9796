"""A two-branch recognizer in the style of Mesh-Gait: silhouette features + 3D-heatmap features, fused.

- Silhouette branch: GaitBase's ResNet-9 per frame, temporal max-pool, 16-strip horizontal pyramid.
- 3D branch: body-frame volumetric heatmaps of 22 joints + the virtual markers, rendered from a frozen
  reconstructor's keypoints and spreads (`mesh.reconstruction.features3d`), through a small CNN per frame
  (convolving the sagittal plane, lateral cells as channels), temporal max-pool, and height strips.
- Fusion: the strips of both branches go through GaitBase's separate FCs and BNNecks together, so triplet
  and CE losses train both branches jointly. With `use_3d=False` it is GaitBase (the silhouette-only baseline).

Training and evaluation reuse `eval.training.train_loop.run_loop`, GaitBase's losses and the protocols.
"""

from __future__ import annotations

import torch
from torch import nn

from eval.models.gait_modules import (
    ResNet9,
    SeparateBNNecks,
    SeparateFCs,
    SetBlockWrapper,
    horizontal_pyramid_pool,
)
from eval.models.gaitbase_config import GaitBaseConfig
from mesh.reconstruction.features3d import GRID, keypoint_volumes


class Branch3D(nn.Module):
    """Per-frame CNN over body-frame volumes `[n, s, C, Z, Y, X]` -> `[n, c_out, Z/4]` height strips.

    The lateral axis X is folded into the channels and the convolutions run over the sagittal (Z, Y) plane, the
    plane of walking: 2D convolutions keep the whole model channels-last (AMX bf16) friendly on the CPU.
    """

    def __init__(self, c_in: int, x_cells: int, c_out: int, widths: tuple[int, int] = (64, 96)):
        super().__init__()
        a, b = widths
        self.net = nn.Sequential(
            nn.Conv2d(c_in * x_cells, a, 3, 2, 1, bias=False), nn.BatchNorm2d(a), nn.ReLU(),
            nn.Conv2d(a, b, 3, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(),
            nn.Conv2d(b, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())

    def forward(self, vol: torch.Tensor, seq_lens: list[int] | None = None) -> torch.Tensor:
        n, s, c, z, y, x = vol.shape
        planes = vol.permute(0, 1, 2, 5, 3, 4).reshape(n * s, c * x, z, y)  # [n*s, C*X, Z, Y]
        f = self.net(planes.contiguous(memory_format=torch.channels_last))  # [n*s, c, Z', Y']
        f = f.reshape(n, s, *f.shape[1:])  # [n, s, c, Z', Y']
        if seq_lens is None:
            pooled = f.amax(1)  # [n, c, Z', Y']
        else:
            pooled = torch.cat([g.amax(1) for g in f.split(list(seq_lens), dim=1)])
        return pooled.amax(-1) + pooled.mean(-1)  # [n, c, Z'] (max + mean, like the pyramid)


class FusedRecognizer(nn.Module):
    """Silhouettes `[n, s, 64, 44]` (+ keypoints for the 3D branch) -> embeddings `[n, embed, parts]`."""

    def __init__(self, cfg: GaitBaseConfig, n_joints: int, use_3d: bool = True):
        super().__init__()
        self.cfg, self.n_joints, self.use_3d = cfg, n_joints, use_3d
        self.Backbone = SetBlockWrapper(ResNet9(cfg))
        self.parts_3d = -(-GRID[0] // 4) if use_3d else 0  # two stride-2 convs over Z
        if use_3d:
            self.Branch3D = Branch3D(n_joints + 1, GRID[2], cfg.channels[-1])
        parts = cfg.parts + self.parts_3d
        self.FCs = SeparateFCs(parts, cfg.channels[-1], cfg.embed_dim)
        self.BNNecks = SeparateBNNecks(parts, cfg.embed_dim, cfg.class_num)

    def forward(self, sils: torch.Tensor, seq_lens: list[int] | None = None, kp: torch.Tensor | None = None,
                sigma: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """`sils` `[n, s, h, w]`; `kp` `[n, s, K, 3]` body-frame keypoints (m) and `sigma` `[n, s, K]` their
        spreads (m), frame-aligned with `sils` (needed when the 3D branch is on). With `seq_lens`, inputs hold
        sequences of those lengths back to back along s (n = 1). Returns `embeddings` and `logits`."""
        if sils.dtype == torch.uint8:
            sils = sils.float() / 255.0
        outs = self.Backbone(sils.unsqueeze(1))  # [n, c, s, h', w']
        pooled = outs.amax(2) if seq_lens is None else torch.cat([o.amax(2) for o in outs.split(list(seq_lens), 2)])
        feats = horizontal_pyramid_pool(pooled, self.cfg.parts)  # [n', c, 16]
        if self.use_3d:
            if kp is None or sigma is None:
                raise ValueError("the fused recognizer's 3D branch needs keypoints and spreads (kp, sigma)")
            vol = keypoint_volumes(kp, sigma, self.n_joints).to(feats.dtype)  # [n, s, J+1, Z, Y, X]
            feats = torch.cat([feats, self.Branch3D(vol, seq_lens)], dim=2)  # [n', c, 16 + parts_3d]
        embeddings = self.FCs(feats)  # [n', embed, parts]
        _, logits = self.BNNecks(embeddings)
        return {"embeddings": embeddings, "logits": logits}
