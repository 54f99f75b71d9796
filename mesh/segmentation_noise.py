"""Segmentation noise: make rendered silhouettes look like background-subtraction output.

Real gait silhouettes are cut out of video by background subtraction. Where clothing matches the background the
mask loses pixels (holes, bites) and, where a whole band of the body matches it, splits the body in two (the
upper part becomes a detached fragment: in CASIA-B most fragments are a head-and-shoulders piece, not specks);
the per-pixel decision wobbles along the outline (ragged edges) while the usual clean-up (blur or morphology)
rounds it; the walker's shadow on the floor is taken for foreground (a flat blob at the feet); and all of it
changes from frame to frame (flicker). Rendered masks have none of this.

`draw_segmentation_noise` draws one sequence's parameters from distributions calibrated against real CASIA-B
silhouettes; `apply_segmentation_noise` applies them to a rendered `[t, h, w]` mask sequence at render
resolution, before OpenGait's crop-and-resize, which is where the real defects arise. Every spatial parameter is
a fraction of the walker's height in pixels, so the noise does not depend on the render size. The random fields
behind holes, fragments and edges are Gaussian-smoothed in space and time: a defect persists for a few frames and
drifts, as real ones do, and the time scale sets how much it flickers.

Deterministic: the same parameters and the same generator state give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np
from scipy import ndimage
from scipy.special import ndtri

from gaitcraft.errors import ConfigError

#: `--noise` choices: `real` draws calibrated noise per sequence, `clean` leaves the render untouched.
NOISE_MODES = ("real", "clean")


@dataclass(frozen=True)
class SegmentationNoise:
    """One sequence's segmentation-noise parameters. Lengths are fractions of the walker's pixel height."""

    smoothing: float = 0.0  # Gaussian sigma of the outline clean-up (rounds corners, closes hairline gaps)
    edge_amplitude: float = 0.0  # how far the outline wobbles (std of the shift, near the outline)
    edge_scale: float = 0.02  # spatial correlation of the wobble
    hole_density: float = 0.0  # share of body pixels lost to holes and bites
    hole_scale: float = 0.03  # spatial correlation (blob size) of holes
    split_rate: float = 0.0  # share of frames where a horizontal band of the body is lost (detaches a fragment)
    split_width: float = 0.03  # thickness of that band
    split_height: float = 0.3  # where the band sits, from the top of the walker (0 = head, 1 = feet)
    shadow_length: float = 0.0  # shadow reach beyond the feet along the walking direction
    shadow_height: float = 0.0  # shadow half-height (a flat blob at the feet); 0 = no shadow
    persistence: float = 2.0  # frames: temporal correlation of every defect (small = more flicker)

    @property
    def is_clean(self) -> bool:
        """True when applying these parameters changes nothing."""
        return (self.smoothing == 0 and self.edge_amplitude == 0 and self.hole_density == 0
                and self.split_rate == 0 and self.shadow_height == 0)

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the parameters (stored with a sequence's ground truth)."""
        return asdict(self)


# Calibrated distributions: (median, spread) of a log-normal per parameter, and the share of sequences with a
# visible foot shadow. Set so that the measures of `gaitcraft.silhouette_quality` on noisy renders match those of
# real CASIA-B silhouettes (train ids 001-071 every 5th, views 0-180 every 36: 900 sequences); measured with
#   python benchmarks/segmentation_noise.py --tree real=CASIAB_ROOT:001-074:5 --tree clean=CLEAN --tree noisy=NOISY
# where CLEAN and NOISY are `gaitcraft procedural --subjects 3 --types nm:1,bg:1,cl:1 --views 0:180:36
# --noise clean|real` trees. Figures and the command that measured them: docs/experiments/segmentation-noise.md.
#: Targets: the mean per sequence of each `gaitcraft.silhouette_quality` measure on those 900 real sequences.
REAL_CASIAB_QUALITY = {"hole_rate": 0.0077, "fragments": 0.0625, "fragment_share": 0.0072, "raggedness": 0.1330,
                       "foot_spread": 0.7637, "flicker": 0.0418, "area_jitter": 0.0231}
SMOOTHING = (0.012, 0.3)
EDGE_AMPLITUDE = (0.0022, 0.5)
EDGE_SCALE = (0.015, 0.2)
HOLE_DENSITY = (0.006, 0.7)
HOLE_SCALE = (0.025, 0.3)
SPLIT_RATE = (0.01, 1.0)
SPLIT_WIDTH = (0.03, 0.4)
SPLIT_HEIGHT = (0.15, 0.4)  # uniform range, not log-normal
SHADOW_SHARE = 0.1
SHADOW_LENGTH = (0.04, 0.5)
SHADOW_HEIGHT = (0.012, 0.3)
PERSISTENCE = (0.45, 0.4)


def _lognormal(rng: np.random.Generator, median_spread: tuple[float, float]) -> float:
    median, spread = median_spread
    return float(median * np.exp(spread * rng.standard_normal()))


def draw_segmentation_noise(rng: np.random.Generator, mode: str = "real") -> SegmentationNoise:
    """One sequence's parameters: calibrated random draws for `real`, nothing for `clean`.

    Always consumes the same number of draws in `real` mode, so one parameter's distribution can change
    without shifting the others.
    """
    if mode not in NOISE_MODES:
        raise ConfigError(f"unknown segmentation noise {mode!r}; valid: {', '.join(NOISE_MODES)}")
    if mode == "clean":
        return SegmentationNoise()
    has_shadow = rng.random() < SHADOW_SHARE
    shadow_length, shadow_height = _lognormal(rng, SHADOW_LENGTH), _lognormal(rng, SHADOW_HEIGHT)
    return SegmentationNoise(
        smoothing=_lognormal(rng, SMOOTHING),
        edge_amplitude=_lognormal(rng, EDGE_AMPLITUDE),
        edge_scale=_lognormal(rng, EDGE_SCALE),
        hole_density=min(_lognormal(rng, HOLE_DENSITY), 0.2),
        hole_scale=_lognormal(rng, HOLE_SCALE),
        split_rate=min(_lognormal(rng, SPLIT_RATE), 0.5),
        split_width=_lognormal(rng, SPLIT_WIDTH),
        split_height=float(rng.uniform(*SPLIT_HEIGHT)),
        shadow_length=shadow_length if has_shadow else 0.0,
        shadow_height=shadow_height if has_shadow else 0.0,
        persistence=_lognormal(rng, PERSISTENCE),
    )


def smooth_field(rng: np.random.Generator, shape: tuple[int, int, int], space_px: float,
                 time_frames: float) -> np.ndarray:
    """A unit-variance Gaussian random field `[t, h, w]` float32, correlated over `space_px` pixels and
    `time_frames` frames. Drawn at a coarser grid when the correlation is wide (the result is smooth anyway),
    then upsampled bilinearly (OpenCV, frame by frame: far faster than a 3D spline zoom)."""
    t, h, w = shape
    step = max(2, int(space_px // 2))
    low = rng.standard_normal((t, -(-h // step), -(-w // step))).astype(np.float32)  # [t, h', w']
    low = ndimage.gaussian_filter(low, sigma=(time_frames, space_px / step, space_px / step), mode="wrap")
    low /= max(float(low.std()), 1e-6)
    size = (low.shape[2] * step, low.shape[1] * step)  # OpenCV's (width, height)
    return np.stack([cv2.resize(f, size, interpolation=cv2.INTER_LINEAR)[:h, :w] for f in low])  # [t, h, w]


def walker_height(masks: np.ndarray) -> float:
    """Median over frames of the foreground's row extent, in pixels (0 when every frame is empty)."""
    rows = masks.any(2)  # [t, h]
    ext = [np.ptp(np.nonzero(r)[0]) + 1 for r in rows if r.any()]
    return float(np.median(ext)) if ext else 0.0


def _add_shadow(fg: np.ndarray, noise: SegmentationNoise, size: float, heading: float,
                wobble: np.ndarray) -> None:
    """Union a flat ellipse at the feet into each frame of `fg` [t, h, w] (in place). It reaches
    `shadow_length` beyond the feet along the walking direction's image projection `heading` (sin of the
    azimuth), scaled per frame by `wobble` [t]."""
    t, h, w = fg.shape
    band = max(1, round(0.04 * size))
    for i in range(t):
        rows = np.nonzero(fg[i].any(1))[0]
        if rows.size == 0:
            continue
        bottom = int(rows[-1])
        cols = np.nonzero(fg[i, max(0, bottom - band):bottom + 1].any(0))[0]
        reach = noise.shadow_length * size * float(np.clip(1.0 + 0.3 * wobble[i], 0.2, 2.0))
        half_w = 0.5 * (cols[-1] - cols[0] + 1) + reach * abs(heading)
        half_h = max(noise.shadow_height * size, 0.75) + 0.2 * reach * np.sqrt(max(0.0, 1.0 - heading ** 2))
        cx = 0.5 * (cols[0] + cols[-1]) + 0.5 * reach * heading
        r0, r1 = max(0, int(bottom - half_h)), min(h, int(np.ceil(bottom + half_h)) + 1)
        c0, c1 = max(0, int(cx - half_w)), min(w, int(np.ceil(cx + half_w)) + 1)
        if r0 >= r1 or c0 >= c1:
            continue
        yy, xx = np.mgrid[r0:r1, c0:c1]
        fg[i, r0:r1, c0:c1] |= ((yy - bottom) / half_h) ** 2 + ((xx - cx) / half_w) ** 2 <= 1.0


def _split(fg: np.ndarray, noise: SegmentationNoise, size: float, rng: np.random.Generator, tau: float) -> None:
    """Clear a horizontal band across the walker in the frames where a persistent random process is on (in
    place on `fg` [t, h, w]); the band drifts a little around `split_height`."""
    t = fg.shape[0]
    on = ndimage.gaussian_filter1d(rng.standard_normal(t), 2 * tau, mode="wrap")  # [t] splits last longer
    on = on / max(float(on.std()), 1e-6) > ndtri(1.0 - noise.split_rate)
    drift = ndimage.gaussian_filter1d(rng.standard_normal(t), 2 * tau, mode="wrap")
    drift = 0.03 * drift / max(float(drift.std()), 1e-6)
    half = max(0.5 * noise.split_width * size, 0.5)
    for i in np.nonzero(on)[0]:
        rows = np.nonzero(fg[i].any(1))[0]
        if rows.size == 0:
            continue
        y = rows[0] + (noise.split_height + drift[i]) * size
        fg[i, max(0, int(round(y - half))):max(0, int(round(y + half)))] = False


def apply_segmentation_noise(masks: np.ndarray, noise: SegmentationNoise, rng: np.random.Generator,
                             heading: float = 0.0) -> np.ndarray:
    """`masks` uint8 `[t, h, w]` (0/255 or bool) with `noise` applied, as uint8 0/255 `[t, h, w]`.

    `heading` is the image-x component of the walking direction (sin of the view azimuth: +1 crossing left to
    right); it orients the foot shadow. Clean parameters return the input unchanged (the same array).
    Order: shadow (it is foreground to the subtractor), outline clean-up and wobble, holes, splits.
    """
    if noise.is_clean:
        return masks
    fg = np.asarray(masks) > 0  # [t, h, w]
    size = walker_height(fg)
    if size == 0:
        return masks
    # work inside the walker's box over all frames plus room for the shadow and the blurred outline: the noise
    # never reaches further, and the box is a third of the frame
    margin = int(np.ceil(noise.shadow_length * size * 3.0 + (noise.shadow_height + 3 * noise.smoothing) * size)) + 4
    rows, cols = np.nonzero(fg.any(0).any(1))[0], np.nonzero(fg.any(0).any(0))[0]
    r0, r1 = max(0, rows[0] - margin), min(fg.shape[1], rows[-1] + margin + 1)
    c0, c1 = max(0, cols[0] - margin), min(fg.shape[2], cols[-1] + margin + 1)
    out = np.zeros(fg.shape, np.uint8)
    out[:, r0:r1, c0:c1] = _noisy_box(fg[:, r0:r1, c0:c1], noise, size, rng, heading)
    return out


def _noisy_box(fg: np.ndarray, noise: SegmentationNoise, size: float, rng: np.random.Generator,
               heading: float) -> np.ndarray:
    """`apply_segmentation_noise` on the cropped bool stack `fg` [t, h, w]; returns uint8 0/255."""
    t = fg.shape[0]
    tau = max(noise.persistence, 0.3)
    if noise.shadow_height > 0:
        wobble = ndimage.gaussian_filter1d(rng.standard_normal(t), tau, mode="wrap")
        _add_shadow(fg, noise, size, heading, wobble / max(float(wobble.std()), 1e-6))
    if noise.smoothing > 0 or noise.edge_amplitude > 0:
        sigma = noise.smoothing * size + 0.5
        level = ndimage.gaussian_filter(fg.astype(np.float32), sigma=(0, sigma, sigma))  # [t, h, w]
        if noise.edge_amplitude > 0:
            # shifting the 0.5 threshold by d moves the outline by d / slope, and the blurred step's slope there is
            # 1 / (sqrt(2 pi) sigma); 4 l (1 - l) keeps the shift near the outline (1 on it, 0 far from it)
            wobble = smooth_field(rng, fg.shape, max(noise.edge_scale * size, 0.7), tau)
            shift = noise.edge_amplitude * size / (np.sqrt(2 * np.pi) * sigma)
            level += np.float32(shift) * 4.0 * level * (1.0 - level) * wobble
        fg = level > 0.5
    if noise.hole_density > 0:
        field = smooth_field(rng, fg.shape, max(noise.hole_scale * size, 1.0), tau)
        fg &= field <= ndtri(1.0 - noise.hole_density)
    if noise.split_rate > 0:
        _split(fg, noise, size, rng, tau)
    return fg.astype(np.uint8) * np.uint8(255)


def heading_of(view_deg: float) -> float:
    """Image-x component of the walking direction at azimuth `view_deg` (0 toward the camera, 90 side view
    crossing left to right)."""
    return float(np.sin(np.deg2rad(view_deg)))


def add_view_noise(masks: np.ndarray, views: Sequence[float], mode: str, seed: Sequence[int]
                   ) -> tuple[np.ndarray, list[SegmentationNoise]]:
    """Segmentation noise on a multi-view render `masks` uint8 `[n_views, t, h, w]`: (noisy masks, each view's
    parameters).

    Each view is its own camera and background subtraction, so it draws its own parameters from
    `np.random.default_rng([*seed, round(1000 * view)])`: a view's noise does not change when other views are
    added. `clean` returns `masks` itself and draws nothing.
    """
    if mode not in NOISE_MODES:
        raise ConfigError(f"unknown segmentation noise {mode!r}; valid: {', '.join(NOISE_MODES)}")
    if mode == "clean":
        return masks, [SegmentationNoise() for _ in views]
    out, params = np.empty_like(masks), []
    for v, view in enumerate(views):
        rng = np.random.default_rng([*seed, round(1000 * float(view))])
        noise = draw_segmentation_noise(rng, mode)
        out[v] = apply_segmentation_noise(masks[v], noise, rng, heading_of(view))
        params.append(noise)
    return out, params
