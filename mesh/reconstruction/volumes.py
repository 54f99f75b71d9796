"""Heatmap volumes in the body frame: resample the image-aligned heatmaps, and project them for display."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mesh.reconstruction.geometry import view_rotation

#: Body-frame volume (Z, Y, X) cells and the offset of its centre from the root, in cells (Z up).
BODY_GRID = (18, 16, 16)
BODY_CENTRE_Z = -1.0


def body_heatmaps(prob: torch.Tensor, root_cells: torch.Tensor, view_deg: float, cell_m: float,
                  grid: tuple[int, int, int] = BODY_GRID, side: str = "right") -> torch.Tensor:
    """Resample view-frame probabilities `[t, K, D, H, W]` into root-centred body-frame volumes
    `[t, K, Z, Y, X]` (same cell size; X = body left, Y = backward, Z = up; trilinear, zero outside).

    `root_cells` [t, 3]: the root's absolute (right, up, toward) heatmap position in cells per frame;
    `view_deg` the view label on `side`'s orbit (`geometry.view_rotation`).
    """
    t, k, d, h, w = prob.shape
    nz, ny, nx = grid
    zs = torch.arange(nz, dtype=torch.float32) - (nz - 1) / 2 + BODY_CENTRE_Z
    ys = torch.arange(ny, dtype=torch.float32) - (ny - 1) / 2
    xs = torch.arange(nx, dtype=torch.float32) - (nx - 1) / 2
    pts = torch.stack(torch.meshgrid(xs, ys, zs.flip(0), indexing="ij"), -1)  # [X, Y, Z, 3] body cells
    pts = pts.permute(2, 1, 0, 3).reshape(-1, 3)  # [Z*Y*X, 3], Z from top (up) to bottom
    R = torch.from_numpy(view_rotation(view_deg, side)).float()  # body -> view
    v = pts @ R.T  # [P, 3] view-frame cells, root-relative
    v = v[None] + root_cells.float()[:, None]  # [t, P, 3]
    norm = torch.stack([v[..., 0] / ((w - 1) / 2), -v[..., 1] / ((h - 1) / 2), v[..., 2] / ((d - 1) / 2)], -1)
    out = F.grid_sample(prob.float(), norm.reshape(t, 1, 1, -1, 3), mode="bilinear", align_corners=True)
    return out.reshape(t, k, nz, ny, nx)  # [t, K, Z, Y, X]


def projections(vol: np.ndarray) -> np.ndarray:
    """Max-projections of body-frame volumes `[t, Z, Y, X]` (Z from the top) over the three axes: front view
    and side view (walking to the right) on top, the view from above (forward up) below.
    Returns `[t, Z + Y, X + Y]` float in [0, 1]."""
    vol = np.asarray(vol, dtype=np.float32)
    vol = vol / max(float(vol.max()), 1e-12)
    front = vol.max(axis=2)  # [t, Z, X] seen from the front (the walker's left on the image right)
    side = vol.max(axis=3)[:, :, ::-1]  # [t, Z, Y] seen from the walker's right: forward (−Y) to the right
    top = vol.max(axis=1)[:, :, ::-1]  # [t, Y, X] from above, forward (−Y) up
    t, z, x = front.shape
    y = side.shape[2]
    canvas = np.zeros((t, z + y, x + y), np.float32)
    canvas[:, :z, :x], canvas[:, :z, x:] = front, side
    canvas[:, z:, :x] = top
    return canvas
