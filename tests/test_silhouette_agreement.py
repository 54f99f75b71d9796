"""Comparing extracted silhouettes with reference silhouettes whose video frames are unknown, and with each other."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from eval.audit.extract import pretreat_masks
from eval.audit.silhouette_agreement import (
    iou_matrix,
    pairwise_agreement,
    place_reference,
    reference_ious,
    reference_summary,
)


def distinct_figures(t: int = 40, seed: int = 0) -> np.ndarray:
    """`[t, 120, 80]` uint8 0/255 figures, each frame a different shape (a body ellipse and a limb at a random
    angle), so only one placement of a run of them matches."""
    rng = np.random.default_rng(seed)
    out = np.zeros((t, 120, 80), np.uint8)
    for i in range(t):
        cv2.ellipse(out[i], (40, 50), (int(rng.integers(8, 18)), int(rng.integers(30, 45))), 0, 0, 360, 255, -1)
        a = rng.uniform(-0.8, 0.8)
        cv2.line(out[i], (40, 70), (int(40 + 45 * np.sin(a)), int(70 + 45 * np.cos(a))), 255, 8)
    return out


def test_reference_is_placed_at_its_frames_even_when_a_method_misses_some():
    video = distinct_figures()
    exact = pretreat_masks(video)  # every frame kept
    grown = pretreat_masks(np.stack([cv2.dilate(f, np.ones((3, 3), np.uint8)) for f in video]))  # another method
    holes = pretreat_masks(np.where(np.isin(np.arange(40), [12, 13, 20])[:, None, None], 0, video))  # misses 3
    reference = exact.frames[7:32]  # the dataset kept video frames 7..31
    for methods in ([exact], [grown], [grown, holes]):
        placed = place_reference(reference, methods, n_video=40)
        assert placed["offset"] == 7
        assert placed["second_score"] < placed["score"] - 0.05  # unambiguous
    ious = reference_ious(reference, holes, 7)
    assert np.isnan(ious[[5, 6, 13]]).all() and np.allclose(np.delete(ious, [5, 6, 13]), 1.0)
    s = reference_summary(ious)
    assert (s["frames"], s["covered"]) == (25, 22)
    assert s["coverage"] == pytest.approx(22 / 25) and s["good_share"] == pytest.approx(22 / 25)
    assert s["iou_mean"] == pytest.approx(1.0)


def test_reference_longer_than_the_video_is_refused():
    frames = pretreat_masks(distinct_figures(5))
    with pytest.raises(ValueError, match="cannot place 5 reference frames in a video of 4 frames"):
        place_reference(frames.frames, [frames], n_video=4)


def test_pairwise_agreement_uses_frames_both_kept():
    video = distinct_figures(12)
    a = pretreat_masks(video)
    b = pretreat_masks(np.where((np.arange(12) < 3)[:, None, None], 0, video))  # b found nobody in frames 0-2
    r = pairwise_agreement(a, b)
    assert (r["frames"], r["only_a"], r["only_b"]) == (9, 3, 0)
    assert r["video_frames"] == list(range(3, 12)) and r["iou_mean"] == pytest.approx(1.0)
    empty = pretreat_masks(np.zeros((4, 120, 80), np.uint8))
    assert pairwise_agreement(a, empty)["iou_mean"] is None


def test_iou_matrix_matches_pairwise_ious():
    a = distinct_figures(3, seed=1) > 0
    b = distinct_figures(4, seed=2) > 0
    m = iou_matrix(a, b)
    i, j = 2, 1
    want = (a[i] & b[j]).sum() / (a[i] | b[j]).sum()
    assert m.shape == (3, 4) and m[i, j] == pytest.approx(want) and np.allclose(np.diag(iou_matrix(a, a)), 1.0)
