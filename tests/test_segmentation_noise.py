"""The segmentation-noise model: deterministic, identity when clean, each defect moves its own measure, and noisy
renders land closer to real background-subtraction silhouettes than clean ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gaitcraft.errors import ConfigError
from gaitcraft.pretreat import binarize, pretreat_frames
from gaitcraft.silhouette_quality import measure_sequence
from mesh.segmentation_noise import (
    REAL_CASIAB_QUALITY,
    SegmentationNoise,
    add_view_noise,
    apply_segmentation_noise,
    draw_segmentation_noise,
)
from tests.conftest import walker_blob


@pytest.fixture(scope="module")
def walk() -> np.ndarray:
    """A crafted walker at render size: uint8 0/255 `[24, 160, 120]`, about 150 px tall."""
    return walker_blob(t=24, h=160, w=120)


def _measured(masks: np.ndarray):
    """Quality of `masks` after OpenGait pretreatment, as the real silhouettes were measured."""
    return measure_sequence(binarize(pretreat_frames(masks)))


def _apply(walk: np.ndarray, seed: int = 0, **params) -> np.ndarray:
    return apply_segmentation_noise(walk, SegmentationNoise(**params), np.random.default_rng(seed), heading=1.0)


def test_same_seed_same_bytes_other_seed_differs(walk):
    a = draw_segmentation_noise(np.random.default_rng(5))
    b = draw_segmentation_noise(np.random.default_rng(5))
    assert a == b and not a.is_clean
    views = np.stack([walk, walk])  # [2, t, h, w]
    one, p1 = add_view_noise(views, [0.0, 90.0], "real", (1, 2, 3))
    two, p2 = add_view_noise(views, [0.0, 90.0], "real", (1, 2, 3))
    assert one.tobytes() == two.tobytes() and p1 == p2
    other, _ = add_view_noise(views, [0.0, 90.0], "real", (1, 2, 4))
    assert other.tobytes() != one.tobytes()
    # a view's noise depends on that view only, not on which other views are rendered with it
    alone, _ = add_view_noise(views[1:], [90.0], "real", (1, 2, 3))
    assert alone[0].tobytes() == one[1].tobytes()
    assert one.dtype == np.uint8 and set(np.unique(one)) <= {0, 255}


def test_clean_mode_is_identity(walk):
    views = np.stack([walk])
    out, params = add_view_noise(views, [90.0], "clean", (0,))
    assert out is views and params == [SegmentationNoise()]
    assert draw_segmentation_noise(np.random.default_rng(0), "clean").is_clean
    assert apply_segmentation_noise(walk, SegmentationNoise(), np.random.default_rng(0)) is walk
    with pytest.raises(ConfigError, match="unknown segmentation noise"):
        add_view_noise(views, [90.0], "dirty", (0,))


@pytest.mark.parametrize("params, measure", [
    ({"hole_density": 0.03, "hole_scale": 0.03}, "hole_rate"),
    ({"split_rate": 0.5, "split_width": 0.04, "split_height": 0.3, "persistence": 1.0}, "fragments"),
    ({"edge_amplitude": 0.01, "edge_scale": 0.015}, "raggedness"),
    ({"shadow_height": 0.015, "shadow_length": 0.12}, "foot_spread"),
])
def test_each_defect_raises_its_own_measure(walk, params, measure):
    clean = getattr(_measured(walk), measure)
    noisy = np.mean([getattr(_measured(_apply(walk, seed, **params)), measure) for seed in range(3)])
    assert noisy > clean * 1.2 + 1e-3, (measure, clean, noisy)


def test_short_persistence_flickers_more_than_long(walk):
    params = {"edge_amplitude": 0.01, "edge_scale": 0.02, "hole_density": 0.01}
    fast = np.mean([_measured(_apply(walk, s, persistence=0.3, **params)).flicker for s in range(3)])
    slow = np.mean([_measured(_apply(walk, s, persistence=6.0, **params)).flicker for s in range(3)])
    assert fast > slow * 1.2


def test_calibrated_noise_lands_closer_to_real_than_clean(walk):
    """Relative distance to the real CASIA-B means over the defect measures, averaged over draws."""
    names = ["hole_rate", "fragments", "fragment_share", "raggedness", "flicker", "area_jitter"]

    def distance(q) -> float:
        return float(np.mean([abs(getattr(q, n) - REAL_CASIAB_QUALITY[n]) / REAL_CASIAB_QUALITY[n] for n in names]))

    clean = distance(_measured(walk))
    noisy = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        noisy.append(distance(_measured(apply_segmentation_noise(walk, draw_segmentation_noise(rng), rng))))
    assert np.mean(noisy) < clean, (clean, noisy)


def test_parameters_round_trip_and_all_fields_default_clean():
    p = draw_segmentation_noise(np.random.default_rng(1))
    assert SegmentationNoise(**p.to_dict()) == p
    assert SegmentationNoise().is_clean
    for f in dataclasses.fields(SegmentationNoise):
        if f.name in ("smoothing", "edge_amplitude", "hole_density", "split_rate", "shadow_height"):
            assert not dataclasses.replace(SegmentationNoise(), **{f.name: 0.01}).is_clean
