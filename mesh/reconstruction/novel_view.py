"""Novel views: render a reconstructed body sequence through the walker's rasterizer at any azimuth, then
pretreat it like the dataset, so one input view becomes silhouettes at all of them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.pretreat import binarize, pretreat_frame
from mesh.camera import CASIA_B_SIDE

#: CASIA-B's 11 views (degrees).
CASIA_B_VIEWS: tuple[float, ...] = tuple(float(v) for v in range(0, 181, 18))


def render_novel_views(vertices: np.ndarray, faces: np.ndarray, views: Sequence[float] = CASIA_B_VIEWS,
                       height_px: int = 128, elevation_deg: float = 0.0, side: str = CASIA_B_SIDE
                       ) -> tuple[list[np.ndarray], np.ndarray]:
    """Pretreated silhouettes of body vertices `[t, V, 3]` (body frame) at each of `views`, view labels on
    `side`'s orbit (CASIA-B's by default; see `mesh.view_convention`).

    Returns (per view: uint8 `[t_v, 64, 64]` 0/255, kept `[n_views, t]` bool: which frames survived the
    pretreatment). Uses `mesh.render.render_silhouettes` (the dataset's renderer and cameras).
    """
    from mesh.camera import sequence_cameras
    from mesh.render import render_silhouettes

    v = np.asarray(vertices, dtype=np.float32)
    if v.ndim != 3 or v.shape[-1] != 3 or len(v) == 0:
        raise DataError(f"novel views need body vertices [t, V, 3], got {v.shape}")
    v = v - np.array([0.0, 0.0, v[..., 2].min()], np.float32)  # stand on the floor (z = 0)
    cams = sequence_cameras(v, list(views), height_px=height_px, elevation_deg=elevation_deg, side=side)
    masks = render_silhouettes(v, faces, list(views), cameras=cams)
    out, kept = [], np.zeros(masks.shape[:2], bool)
    for i in range(len(views)):
        frames = [pretreat_frame(m) for m in masks[i]]
        kept[i] = [f is not None for f in frames]
        good = [f for f in frames if f is not None]
        out.append(binarize(np.stack(good)) if good else np.zeros((0, 64, 64), np.uint8))
    return out, kept


def silhouette_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame IoU of two aligned silhouette stacks `[t, h, w]` (foreground = > 127): `[t]`."""
    fa, fb = np.asarray(a) > 127, np.asarray(b) > 127
    inter = (fa & fb).sum((1, 2))
    union = (fa | fb).sum((1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
