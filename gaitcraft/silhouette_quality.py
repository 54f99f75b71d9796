"""Segmentation quality of binary silhouette sequences: how much they look like background-subtraction output.

Real silhouettes (CASIA-B and the like) come from background subtraction and carry its defects; rendered ones are
clean. Each measure below targets one defect and is a per-sequence scalar, the mean over frames:

- `hole_rate`: background pixels enclosed by foreground (background components, 4-connected, that do not touch
  the image border), per foreground pixel. Body gaps that close naturally (arm against torso) count too, so
  compare against a clean rendering of the same views, not against zero.
- `fragments`: foreground components (8-connected) beyond the largest, per frame.
- `fragment_share`: the share of foreground outside the largest component.
- `raggedness`: length of the mask's outlines over that of the same outlines smoothed along themselves, minus
  one: small wiggles of the boundary, without counting thin gaps between limbs.
- `foot_spread`: foreground per row in the bottom band (the lowest `FOOT_BAND` of the frame's foreground rows)
  over foreground per row in the shin band just above it. A shadow on the floor widens the bottom band.
- `flicker`: pixels that differ from both neighbouring frames while those two agree (a one-frame blink), per
  foreground pixel. Walking moves edges smoothly at 25 fps, so this counts mostly segmentation noise.
- `area_jitter`: |area_t - mean(area_t-1, area_t+1)| / mean area: area changes beyond the smooth swing of gait.

Masks are `[t, h, w]` arrays, read as foreground where > `threshold` (uint8 0/255 or grayscale) or True.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy import ndimage
from skimage import measure

#: Fraction of a frame's foreground rows (from the bottom) that form the foot band, then the shin band above it.
FOOT_BAND = 0.06
SHIN_BAND = 0.12
#: Gaussian sigma (contour points, about px) of the smoothed outline that raggedness compares against.
SMOOTH_SIGMA = 2.0

# In-plane connectivity only: frames of a stack are labelled independently in one call.
_FG_CONN = np.zeros((3, 3, 3), bool)
_FG_CONN[1] = True  # 8-connected foreground
_BG_CONN = np.zeros((3, 3, 3), bool)
_BG_CONN[1] = ndimage.generate_binary_structure(2, 1)  # 4-connected background (the dual of 8)


@dataclass(frozen=True)
class SilhouetteQuality:
    """Per-sequence segmentation-quality measures (see the module docstring for definitions)."""

    hole_rate: float
    fragments: float
    fragment_share: float
    raggedness: float
    foot_spread: float
    flicker: float
    area_jitter: float

    def to_dict(self) -> dict[str, float]:
        """Plain dict, measure name -> value."""
        return asdict(self)


#: Measure names, in table order.
MEASURES = tuple(f.name for f in fields(SilhouetteQuality))


def as_binary(masks: np.ndarray, threshold: int = 127) -> np.ndarray:
    """Boolean `[t, h, w]` foreground of a bool or grayscale stack."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"expected a [t, h, w] mask stack, got shape {masks.shape}")
    return masks if masks.dtype == bool else masks > threshold


def hole_rate(fg: np.ndarray) -> np.ndarray:
    """Per frame: enclosed background pixels / foreground pixels, `[t]`."""
    labels, _ = ndimage.label(~fg, structure=_BG_CONN)  # [t, h, w]
    border = np.unique(np.concatenate([labels[:, 0].ravel(), labels[:, -1].ravel(),
                                       labels[:, :, 0].ravel(), labels[:, :, -1].ravel()]))
    holes = (labels > 0) & ~np.isin(labels, border)
    return holes.sum((1, 2)) / np.maximum(fg.sum((1, 2)), 1)


def fragment_stats(fg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: (components beyond the largest `[t]`, foreground share outside the largest `[t]`)."""
    t = fg.shape[0]
    labels, n = ndimage.label(fg, structure=_FG_CONN)  # [t, h, w]
    if n == 0:
        return np.zeros(t), np.zeros(t)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]  # [n]
    _, first = np.unique(labels.ravel(), return_index=True)  # first flat index of labels 0..n
    frame = first[1:] // (fg.shape[1] * fg.shape[2])  # [n] the frame each component lies in
    count = np.bincount(frame, minlength=t)
    largest = np.zeros(t, np.int64)
    np.maximum.at(largest, frame, sizes)
    area = fg.sum((1, 2))
    return np.maximum(count - 1, 0), (area - largest) / np.maximum(area, 1)


def _contour_length(c: np.ndarray) -> float:
    """Length of a closed polyline `[n, 2]`."""
    return float(np.linalg.norm(np.diff(c, axis=0, append=c[:1]), axis=1).sum())


def raggedness(fg: np.ndarray, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """Per frame: length of the mask's outlines / length of the same outlines smoothed along themselves - 1, `[t]`.

    Outlines are the 0.5 iso-contours of the (zero-padded) mask; smoothing is a Gaussian of `sigma` contour
    points along each closed outline. It rounds wiggles but never merges the two sides of a thin gap (legs apart,
    an arm beside the torso), so body shape barely moves this measure while boundary noise does.
    """
    out = np.zeros(fg.shape[0])
    for i, frame in enumerate(fg):
        raw = smooth = 0.0
        for c in measure.find_contours(np.pad(frame, 1).astype(np.uint8), 0.5):  # [n, 2] closed outlines
            if len(c) < 4:
                continue
            raw += _contour_length(c)
            smooth += _contour_length(ndimage.gaussian_filter1d(c, sigma, axis=0, mode="wrap"))
        out[i] = raw / smooth - 1.0 if smooth > 0 else 0.0
    return out


def foot_spread(fg: np.ndarray) -> np.ndarray:
    """Per frame: foreground per row in the foot band / foreground per row in the shin band above, `[t]`
    (NaN for frames without foreground)."""
    out = np.full(fg.shape[0], np.nan)
    rows = fg.sum(2)  # [t, h]
    for i, r in enumerate(rows):
        on = np.nonzero(r)[0]
        if on.size == 0:
            continue
        top, bottom = int(on[0]), int(on[-1]) + 1
        height = bottom - top
        n_foot = max(1, round(FOOT_BAND * height))
        n_shin = max(1, round(SHIN_BAND * height))
        foot = r[bottom - n_foot:bottom].mean()
        shin = r[max(top, bottom - n_foot - n_shin):bottom - n_foot]
        out[i] = foot / max(shin.mean(), 1.0) if shin.size else np.nan
    return out


def flicker(fg: np.ndarray) -> float:
    """One-frame blinks: pixels unlike both neighbouring frames, per foreground pixel (0 under 3 frames)."""
    if fg.shape[0] < 3:
        return 0.0
    blink = (fg[1:-1] != fg[:-2]) & (fg[:-2] == fg[2:])  # [t-2, h, w]
    return float(blink.sum((1, 2)).mean() / max(fg.sum((1, 2)).mean(), 1.0))


def area_jitter(fg: np.ndarray) -> float:
    """Mean |area_t - (area_t-1 + area_t+1) / 2| / mean area (0 under 3 frames)."""
    if fg.shape[0] < 3:
        return 0.0
    area = fg.sum((1, 2)).astype(np.float64)  # [t]
    resid = np.abs(area[1:-1] - 0.5 * (area[:-2] + area[2:]))
    return float(resid.mean() / max(area.mean(), 1.0))


def measure_sequence(masks: np.ndarray, threshold: int = 127) -> SilhouetteQuality:
    """All measures of one `[t, h, w]` sequence. Empty frames are left out; an all-empty sequence gives NaNs."""
    fg = as_binary(masks, threshold)
    fg = fg[fg.any((1, 2))]
    if fg.shape[0] == 0:
        return SilhouetteQuality(*([float("nan")] * len(MEASURES)))
    frags, share = fragment_stats(fg)
    return SilhouetteQuality(
        hole_rate=float(hole_rate(fg).mean()),
        fragments=float(frags.mean()),
        fragment_share=float(share.mean()),
        raggedness=float(raggedness(fg).mean()),
        foot_spread=float(np.nanmean(foot_spread(fg))),
        flicker=flicker(fg),
        area_jitter=area_jitter(fg),
    )


def summarize(measured: list[SilhouetteQuality]) -> dict[str, dict[str, float]]:
    """Across sequences, per measure: mean, median, 10th and 90th percentile (NaNs ignored)."""
    out = {}
    for name in MEASURES:
        v = np.array([getattr(m, name) for m in measured], float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            out[name] = {"mean": float("nan"), "median": float("nan"), "p10": float("nan"), "p90": float("nan")}
            continue
        out[name] = {"mean": float(v.mean()), "median": float(np.median(v)),
                     "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}
    return out
