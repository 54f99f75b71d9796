"""Known-answer material from the procedural walker: raw masks of any (body, gait style) combination, and
RGB videos of a rendered walker composited onto a textured static background.

Body shape, outfit and camera (`SubjectRecipe`) and gait style (`GaitStyle`) are separate inputs of the
renderer (`mesh.walk_render`, the procedural dataset's), so "A's motion on B's body" is rendered exactly, and a
subject looks as it does in a procedural dataset of its walker version.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from mesh.gait_style import GaitStyle
from mesh.subjects import SubjectRecipe, subject_rng


def render_masks(body: SubjectRecipe, style: GaitStyle, views: Sequence[float], n_frames: int,
                 seed: int, session: int = 0, clothing: str = "normal", carry: str = "none") -> np.ndarray:
    """Raw silhouettes uint8 0/255 `[n_views, t, h, w]` of `body`'s subject (body, outfit, its walker's camera)
    walking with `style`.

    `session` picks the per-recording variation (speed, start phase, garment jitter), as a sequence type does
    in the procedural dataset: the same (seed, session) gives the same walk.
    """
    from mesh.gait_style import session_variation
    from mesh.walk_render import film_walk

    rng = subject_rng(seed, session, 7919)
    walk = film_walk(body, style, session_variation(style, rng), n_frames, clothing, carry, views, rng)
    return walk.masks  # [n_views, t, h, w]


def textured_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A static scene `[h, w, 3]` uint8: smooth colour noise, a tiled wall, a floor band, fine grain."""
    base = rng.uniform(70, 190, size=3)
    smooth = np.stack([ndimage.gaussian_filter(rng.normal(0, 1, (h, w)), 12) for _ in range(3)], -1)
    img = base + 60 * smooth / (np.abs(smooth).max() + 1e-6)  # [h, w, 3]
    tile = rng.integers(16, 40)
    yy, xx = np.mgrid[0:h, 0:w]
    bricks = ((yy // tile + xx // (2 * tile)) % 2).astype(np.float32)
    img += (bricks * 25 - 12)[..., None] * rng.uniform(0.5, 1.0, 3)
    img[int(0.8 * h) :] *= 0.7  # floor
    img += rng.normal(0, 6, (h, w, 3))  # static grain
    return np.clip(img, 0, 255).astype(np.uint8)


def person_colours(mask: np.ndarray, rng: np.random.Generator, palette: np.ndarray) -> np.ndarray:
    """Colour one `[h, w]` mask as a dressed person: skin head, shirt, trousers, mild texture. `[h, w, 3]` float."""
    rows = np.flatnonzero(mask.any(1))
    top, bot = (rows[0], rows[-1]) if len(rows) else (0, mask.shape[0] - 1)
    rel = (np.arange(mask.shape[0]) - top) / max(1, bot - top)  # [h] 0 at the head, 1 at the feet
    colour = np.where(rel[:, None] < 0.13, palette[0], np.where(rel[:, None] < 0.5, palette[1], palette[2]))
    img = np.broadcast_to(colour[:, None, :], (*mask.shape, 3)).astype(np.float32)
    return img * rng.uniform(0.85, 1.15, size=mask.shape)[..., None]


def person_palette(seed: int) -> np.ndarray:
    """Colours `[3, 3]` of one person: skin, shirt, trousers (the appearance that goes with a body)."""
    rng = np.random.default_rng([seed, 17])
    palette = rng.uniform(20, 235, size=(3, 3))
    palette[0] = rng.uniform([150, 100, 70], [230, 180, 150])  # skin tones
    return palette


def composite_walk(masks: np.ndarray, size: tuple[int, int] = (240, 320), seed: int = 0, walk_across: bool = True,
                   noise: float = 3.0, scene_seed: int | None = None, palette: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paste rendered masks `[t, h, w]` onto a textured static scene of `size` (h, w).

    With `walk_across` the walker crosses the frame left to right (a static camera, as in CASIA-B); otherwise
    it stays centred (as animation models render). The scene comes from `scene_seed` and the person's colours
    are `palette` (both default to `seed`). Returns (rgb `[t, H, W, 3]` uint8, ground-truth masks `[t, H, W]`
    bool, the empty scene `[H, W, 3]` uint8).
    """
    rng = np.random.default_rng(seed)
    H, W = size
    scene = textured_background(H, W, np.random.default_rng(seed if scene_seed is None else scene_seed))
    palette = person_palette(seed) if palette is None else palette
    m = masks > 127  # [t, h, w]
    cols = np.flatnonzero(m.any((0, 1)))
    rows = np.flatnonzero(m.any((0, 2)))
    m = m[:, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # [t, hb, wb] tight box over the clip
    hb, wb = m.shape[1:]
    if hb > H - 8 or wb > W - 8:
        raise ValueError(f"walker {hb}x{wb} px does not fit a {H}x{W} frame")
    y0 = (H - hb) // 2 + int(0.05 * H)
    xs = np.linspace(4, W - wb - 4, len(m)) if walk_across else np.full(len(m), (W - wb) / 2)
    rgb = np.empty((len(m), H, W, 3), np.uint8)
    gt = np.zeros((len(m), H, W), bool)
    for i, (mk, x) in enumerate(zip(m, xs.round().astype(int))):
        gt[i, y0 : y0 + hb, x : x + wb] = mk
        frame = scene.astype(np.float32)
        frame[gt[i]] = person_colours(gt[i], rng, palette)[gt[i]]
        frame += rng.normal(0, noise, frame.shape)  # sensor noise
        rgb[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return rgb, gt, scene
