"""Segmentation-quality measures: each one reads the defect it is named after, on crafted masks."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcraft.silhouette_quality import (
    MEASURES,
    area_jitter,
    flicker,
    foot_spread,
    fragment_stats,
    hole_rate,
    measure_sequence,
    raggedness,
    summarize,
)
from tests.conftest import walker_blob


def _box(t: int = 6, h: int = 64, w: int = 64) -> np.ndarray:
    """A solid 40x20 rectangle in every frame, bool `[t, h, w]`."""
    m = np.zeros((t, h, w), bool)
    m[:, 10:50, 22:42] = True
    return m


def test_hole_rate_counts_enclosed_background_only():
    m = _box()
    assert hole_rate(m).max() == 0
    m[:, 20:24, 30:33] = False  # 12 enclosed pixels
    m[:, 30:34, 22:25] = False  # a bite open to the outside: not a hole
    fg = m.sum((1, 2))
    np.testing.assert_allclose(hole_rate(m), 12 / fg)


def test_fragments_count_components_beyond_the_largest_per_frame():
    m = _box()
    m[2, 55:58, 5:8] = True  # 9 px speck in frame 2
    m[4, 55:57, 5:7] = True  # two specks in frame 4
    m[4, 55:57, 55:57] = True
    count, share = fragment_stats(m)
    assert count.tolist() == [0, 0, 1, 0, 2, 0]
    assert share[2] == pytest.approx(9 / (800 + 9)) and share[0] == 0


def test_raggedness_rises_with_boundary_noise_but_not_with_a_thin_gap():
    m = _box(t=1)
    base = raggedness(m)[0]
    gapped = m.copy()
    gapped[:, 30:50, 31] = False  # legs apart by one pixel: body shape, not noise
    rough = np.zeros_like(m)
    rng = np.random.default_rng(0)
    for r in range(10, 50):  # each row's left and right edge shifted by -1..+1 px
        rough[0, r, 22 + rng.integers(-1, 2):42 + rng.integers(-1, 2)] = True
    assert raggedness(rough)[0] > base + 0.05
    assert raggedness(gapped)[0] < raggedness(rough)[0]


def test_foot_spread_rises_with_a_shadow_at_the_feet():
    m = walker_blob(t=4, h=64, w=64) > 0
    shadow = m.copy()
    shadow[:, 58:60, 14:50] = True  # a flat blob on the floor
    assert np.nanmean(foot_spread(shadow)) > np.nanmean(foot_spread(m)) + 0.5


def test_flicker_and_area_jitter_read_one_frame_changes_not_smooth_motion():
    smooth = walker_blob(t=24, h=64, w=64) > 0
    blinking = smooth.copy()
    blinking[::2, 20:26, 28:36] = False  # a hole that blinks every other frame
    assert flicker(blinking) > flicker(smooth) + 0.02
    assert area_jitter(blinking) > area_jitter(smooth) + 0.02
    assert flicker(smooth[:2]) == 0 and area_jitter(smooth[:2]) == 0


def test_measure_sequence_skips_empty_frames_and_reads_grayscale_at_127():
    m = walker_blob(t=8, h=64, w=64)
    gray = np.where(m > 0, 200, 90).astype(np.uint8)  # 90 is background at threshold 127
    with_empty = np.concatenate([np.zeros((2, 64, 64), np.uint8), m])
    a, b, c = measure_sequence(m), measure_sequence(gray), measure_sequence(with_empty)
    assert a == b
    assert a.hole_rate == c.hole_rate and a.fragments == c.fragments
    empty = measure_sequence(np.zeros((3, 64, 64), np.uint8))
    assert all(np.isnan(v) for v in empty.to_dict().values())
    s = summarize([a, empty])
    assert set(s) == set(MEASURES) and s["hole_rate"]["mean"] == a.hole_rate
