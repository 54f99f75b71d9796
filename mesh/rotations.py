"""Batched rotation-matrix helpers for the motion code (numpy; scipy for log/exp)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def normalize(v: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Unit vectors along the last axis."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), eps)


def min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction a to direction b. a, b: [..., 3] → [..., 3, 3]."""
    a, b = normalize(a), normalize(b)
    axis = np.cross(a, b)  # [..., 3]
    s = np.linalg.norm(axis, axis=-1)
    c = np.clip((a * b).sum(-1), -1.0, 1.0)
    angle = np.arctan2(s, c)
    # Antiparallel vectors have no unique axis: pick any axis perpendicular to a.
    anti = (s < 1e-9) & (c < 0)
    if anti.any():
        alt = np.cross(a[anti], np.array([1.0, 0.0, 0.0]))
        alt2 = np.cross(a[anti], np.array([0.0, 1.0, 0.0]))
        use2 = np.linalg.norm(alt, axis=-1) < 1e-6
        alt[use2] = alt2[use2]
        axis[anti] = alt
    rv = normalize(axis) * angle[..., None]
    return as_matrix(rv)


def frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Orthonormal frame [â, b⊥, â×b⊥] as columns: primary a, secondary b. [..., 3] → [..., 3, 3]."""
    a = normalize(a)
    b = normalize(b - (a * b).sum(-1, keepdims=True) * a)
    return np.stack([a, b, np.cross(a, b)], axis=-1)


def as_matrix(rotvec: np.ndarray) -> np.ndarray:
    """Rotation vectors [..., 3] → matrices [..., 3, 3]."""
    shape = rotvec.shape[:-1]
    return Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(*shape, 3, 3)


def as_rotvec(mat: np.ndarray) -> np.ndarray:
    """Matrices [..., 3, 3] → rotation vectors [..., 3] (angle ≤ π)."""
    shape = mat.shape[:-2]
    return Rotation.from_matrix(mat.reshape(-1, 3, 3)).as_rotvec().reshape(*shape, 3)


def power(mat: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """R^t about the same axis (t may broadcast against the batch). [..., 3, 3] → [..., 3, 3]."""
    return as_matrix(as_rotvec(mat) * np.asarray(t)[..., None])


def slerp(r0: np.ndarray, r1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Geodesic interpolation r0·(r0ᵀ·r1)^t between rotation matrices. [..., 3, 3] → [..., 3, 3]."""
    return r0 @ power(np.swapaxes(r0, -1, -2) @ r1, t)


def mean_rotation(mats: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted chordal mean over axis 0 (projection of the weighted sum onto SO(3)). [n, ..., 3, 3] → [..., 3, 3]."""
    w = np.ones(len(mats)) if weights is None else np.asarray(weights, dtype=np.float64)
    s = np.tensordot(w / w.sum(), mats, axes=1)  # [..., 3, 3]
    u, _, vt = np.linalg.svd(s)
    d = np.sign(np.linalg.det(u @ vt))  # keep det = +1
    u[..., :, 2] *= d[..., None]
    return u @ vt


def euler_angles(mat: np.ndarray) -> np.ndarray:
    """Yaw (about Z), pitch (about X), roll (about Y) in degrees for Z-up matrices [..., 3, 3] → [..., 3].

    Intrinsic Z-X-Y order: yaw is the heading, pitch the forward/backward tilt, roll the sideways tilt.
    """
    shape = mat.shape[:-2]
    return Rotation.from_matrix(mat.reshape(-1, 3, 3)).as_euler("ZXY", degrees=True).reshape(*shape, 3)
