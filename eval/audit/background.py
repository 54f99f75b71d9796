"""The default extractor: background subtraction with scikit-image thresholding and morphology.

Background: the per-pixel median of the clip itself (right for a static camera the subject walks through,
as in CASIA-B), or the empty scene when given (needed when the subject stays in place, as animation models
often render). Foreground: the largest colour difference over the channels above a threshold and above
`edge_ratio` of the largest difference within `edge_window` px. The second test puts the boundary at the
half-contrast crossing, so codec blur (chroma subsampling smears colour edges by 1-2 px) neither grows
nor shrinks the silhouette. Then an opening against noise, a closing against gaps, small components
dropped, the person's component(s) kept and small holes filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.measure import label
from skimage.morphology import closing, disk, opening


@dataclass
class BackgroundSubtraction:
    """Median-background subtraction. Every argument is a plain number so runs are reproducible."""

    threshold: float | None = 20.0  # colour-difference threshold (0-255); None = Otsu per clip, clamped
    threshold_range: tuple[float, float] = (15.0, 60.0)  # clamp of the automatic threshold
    edge_ratio: float = 0.4  # a pixel must reach this share of the largest difference near it
    edge_window: int = 5  # the neighbourhood (px) of that local maximum
    smooth_sigma: float = 0.0  # Gaussian smoothing of the difference image (px); 0 = none
    open_radius: int = 1  # opening disk radius (px): removes speckle
    close_radius: int = 2  # closing disk radius (px): bridges thin gaps
    keep_ratio: float = 0.15  # keep components at least this share of the largest one (bags, a detached hand)
    hole_ratio: float = 0.02  # fill enclosed holes smaller than this share of the foreground
    median_frames: int = 60  # at most this many frames (evenly spread) form the median background
    name: str = "background-subtraction"

    def difference(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Per-pixel colour difference `[t, h, w]` float32 of `rgb` `[t, h, w, 3]` to the background."""
        if background is None:
            step = max(1, len(rgb) // self.median_frames)
            background = np.median(rgb[::step], axis=0)  # [h, w, 3]
        bg = np.asarray(background, dtype=np.int16)
        diff = np.empty(rgb.shape[:3], np.float32)
        for t0 in range(0, len(rgb), 16):  # chunks bound the int16 working memory
            d = np.abs(rgb[t0 : t0 + 16].astype(np.int16) - bg).max(-1)  # [c, h, w]
            diff[t0 : t0 + 16] = d
        if self.smooth_sigma > 0:
            diff = ndimage.gaussian_filter(diff, sigma=(0, self.smooth_sigma, self.smooth_sigma))
        return diff

    def pick_threshold(self, diff: np.ndarray) -> float:
        """The threshold for a clip's difference images: fixed, or Otsu's over a sample, clamped."""
        if self.threshold is not None:
            return float(self.threshold)
        sample = diff[:: max(1, len(diff) // 16), ::2, ::2]
        lo, hi = self.threshold_range
        if float(sample.max()) <= lo:
            return lo
        return float(np.clip(threshold_otsu(sample), lo, hi))

    def clean(self, fg: np.ndarray) -> np.ndarray:
        """Morphology on one `[h, w]` bool mask: open, close, keep the person's components, fill small holes."""
        if self.open_radius:
            fg = opening(fg, disk(self.open_radius))
        if self.close_radius:
            fg = closing(fg, disk(self.close_radius))
        lab = label(fg, connectivity=2)
        if lab.max() == 0:
            return fg
        areas = np.bincount(lab.ravel())
        areas[0] = 0
        fg = (areas >= max(1, self.keep_ratio * areas.max()))[lab]
        holes = label(~fg, connectivity=1)
        h_areas = np.bincount(holes.ravel())
        border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
        small = h_areas < self.hole_ratio * fg.sum()
        small[border] = False
        small[0] = False
        return fg | small[holes]

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
        """Foreground masks `[t, h, w]` bool of `rgb` `[t, h, w, 3]` uint8."""
        diff = self.difference(rgb, background)  # [t, h, w]
        thr = self.pick_threshold(diff)
        k = np.ones((self.edge_window, self.edge_window), np.uint8)
        return np.stack([self.clean((d > thr) & (d >= self.edge_ratio * cv2.dilate(d, k))) for d in diff])
