"""3D inputs for recognizers: per-frame body-frame keypoints of a sequence, and volumetric heatmaps rendered
from them (a separable Gaussian per keypoint, its width the reconstructor's own heatmap spread).

Re-rendering from (position, spread) keeps the 3D branch of a recognizer cheap: a sequence's keypoints are
computed once (whole-sequence temporal context) and cached, instead of resampling 86 full heatmap volumes
per frame at every training step.
"""

from __future__ import annotations

import numpy as np
import torch

from gaitcraft.precision import inference_autocast
from mesh.camera import CASIA_B_SIDE
from mesh.reconstruction.api import Reconstructor, prepare_frames
from mesh.reconstruction.geometry import view_rotation_torch

#: Body-frame grid of the rendered volumes: (Z, Y, X) cells, cell size (m), centre height vs the root (m).
GRID = (16, 12, 12)
CELL_M = 0.12
CENTRE_Z_M = -0.1
MIN_SIGMA_M = 0.06


@torch.no_grad()
def sequence_keypoints(model: Reconstructor, frames: np.ndarray, view_deg: float | None = None,
                       side: str = CASIA_B_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """Body-frame keypoints `[t, K, 3]` (m) and their heatmap spread as a std `[t, K]` (m) for a sequence.

    `view_deg` is the view label on `side`'s orbit (CASIA-B's by default; see `mesh.view_convention`); None uses
    the model's view estimate (what a recognizer without view labels sees).
    """
    x = torch.from_numpy(prepare_frames(frames))[None]
    view_R = None if view_deg is None else view_rotation_torch(torch.tensor([float(view_deg)]), side)
    with inference_autocast():
        out = model.net(x, view_R=view_R)
    cell = model.config.model.cell_m * float(out["scale"][0])
    sigma = torch.sqrt(out["spread"][0].float() / 3) * cell  # per-axis std, metres
    return out["kp_body"][0].float().numpy(), sigma.numpy()


def keypoint_volumes(kp: torch.Tensor, sigma: torch.Tensor, n_joints: int) -> torch.Tensor:
    """Render keypoints `[..., K, 3]` (m, body frame) with stds `[..., K]` into volumes
    `[..., n_joints + 1, Z, Y, X]`: one channel per joint, the markers summed in the last channel."""
    nz, ny, nx = GRID
    axes = [(torch.arange(n, dtype=torch.float32, device=kp.device) - (n - 1) / 2) * CELL_M for n in (nx, ny, nz)]
    axes[2] = CENTRE_Z_M - axes[2]  # Z rows from the top down
    s = sigma.float().clamp_min(MIN_SIGMA_M)[..., None]  # [..., K, 1]
    gx, gy, gz = (torch.exp(-0.5 * ((kp[..., i, None].float() - a) / s) ** 2) for i, a in enumerate(axes))
    joints = gz[..., :n_joints, :, None, None] * gy[..., :n_joints, None, :, None] * gx[..., :n_joints, None, None, :]
    zy = (gz[..., n_joints:, :, None] * gy[..., n_joints:, None, :]).flatten(-2)  # [..., M, Z*Y]
    markers = (zy.transpose(-1, -2) @ gx[..., n_joints:, :]).reshape(*kp.shape[:-2], 1, nz, ny, nx)
    return torch.cat([joints, markers.clamp_max(1.0)], dim=-4)  # [..., J + 1, Z, Y, X]
