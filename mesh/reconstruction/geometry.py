"""Frames and rotations for reconstruction: the body-centred frame, the view frame, 6D rotations, Procrustes.

Body frame (targets and outputs): origin at the root bone head of each frame, axes of a walker heading along
−Y (anny's forward), Z up, metres. The world is yawed per sequence so the walking direction maps to −Y.

View frame (where heatmaps are predicted): the body frame turned to face a camera at azimuth θ (the view
convention of `mesh.camera`): axes (image right, up, toward the camera). Azimuths are measured on the
right-side orbit (where the reconstructor's view head predicts them): for θ = 90° the walker moves to the image
right; for θ = 0° it faces the camera. A view label of a tree filmed from the left side (CASIA-B's, walker
'v2'; see `mesh.view_convention`) is the mirrored azimuth: pass its `side` and it is converted.
"""

from __future__ import annotations

import numpy as np
import torch

from mesh.camera import orbit_azimuth


def view_rotation(view_deg, side: str = "right") -> np.ndarray:
    """Rotation [..., 3, 3] taking body-frame vectors to view-frame vectors (right, up, toward camera) for a
    camera at view label(s) `view_deg` on `side`'s orbit (`mesh.camera`; 'right' is the reconstructor's own)."""
    a = np.deg2rad(orbit_azimuth(np.asarray(view_deg, dtype=np.float64), side))
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    rows = [np.stack([c, -s, z], -1), np.stack([z, z, o], -1), np.stack([-s, -c, z], -1)]
    return np.stack(rows, axis=-2)


def view_rotation_torch(view_deg: torch.Tensor, side: str = "right") -> torch.Tensor:
    """`view_rotation` for a tensor of view labels [...] -> [..., 3, 3] (differentiable)."""
    a = torch.deg2rad(orbit_azimuth(view_deg.float(), side))
    c, s, z, o = torch.cos(a), torch.sin(a), torch.zeros_like(a), torch.ones_like(a)
    rows = [torch.stack([c, -s, z], -1), torch.stack([z, z, o], -1), torch.stack([-s, -c, z], -1)]
    return torch.stack(rows, dim=-2)


def camera_view_rotation(cam_R: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Body->view rotation [T, 3, 3] from world->camera rotations `cam_R` [T, 3, 3] (OpenCV axes) and the
    body frame's world rotation `heading` [3, 3]; exact for any elevation (image up = −camera y)."""
    flip = np.diag([1.0, -1.0, -1.0])  # camera (x right, y down, z forward) -> (right, up, toward camera)
    return flip @ cam_R.astype(np.float64) @ heading


def heading_rotation(root: np.ndarray) -> np.ndarray:
    """World rotation [3, 3] of the body frame: a yaw that maps the walk's mean direction onto −Y.

    `root` [T, 3] world root positions; a walk shorter than 1 cm keeps the world axes.
    """
    d = root[-1, :2] - root[0, :2]
    if np.linalg.norm(d) < 0.01:
        return np.eye(3)
    fwd = np.array([d[0], d[1], 0.0]) / np.linalg.norm(d)  # world walking direction = body −Y
    y_axis = -fwd
    x_axis = np.cross(y_axis, [0.0, 0.0, 1.0])
    return np.stack([x_axis, y_axis, [0.0, 0.0, 1.0]], axis=1)  # columns: body axes in world


def to_body_frame(points: np.ndarray, root: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """World points [T, P, 3] -> body frame (root-relative, heading-aligned) [T, P, 3]."""
    return (points - root[:, None, :]) @ heading


def rot6d_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """Zhou et al.'s 6D rotation [..., 6] (two matrix columns) -> rotation matrix [..., 3, 3]."""
    a, b = x[..., :3], x[..., 3:]
    c1 = torch.nn.functional.normalize(a, dim=-1)
    c2 = torch.nn.functional.normalize(b - (c1 * b).sum(-1, keepdim=True) * c1, dim=-1)
    return torch.stack([c1, c2, torch.cross(c1, c2, dim=-1)], dim=-1)


def matrix_to_rot6d(r: torch.Tensor) -> torch.Tensor:
    """Rotation matrix [..., 3, 3] -> 6D (its first two columns) [..., 6]."""
    return torch.cat([r[..., :, 0], r[..., :, 1]], dim=-1)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Similarity-align `pred` [..., P, 3] to `gt` (scale, rotation, translation; Umeyama). Returns aligned pred."""
    mp, mg = pred.mean(-2, keepdims=True), gt.mean(-2, keepdims=True)
    p, g = pred - mp, gt - mg
    cov = np.swapaxes(p, -1, -2) @ g  # [..., 3, 3]
    u, s, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))  # [...]
    fix = np.ones(s.shape)
    fix[..., -1] = d
    rot = (u * fix[..., None, :]) @ vt  # [..., 3, 3]
    scale = (s * fix).sum(-1) / np.maximum((p ** 2).sum((-1, -2)), 1e-12)
    return scale[..., None, None] * (p @ rot) + mg
