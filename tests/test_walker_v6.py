"""Walker v6: v5's people, hair, tops, walks and cameras, in slimmer trousers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.walker_realism import separated_leg_share
from mesh.accessories import OUTFIT_RANGES, SLIM_TROUSER_EASE, Outfit, sample_slim_trousers
from mesh.subjects import sample_subject, walker_camera
from tests.test_walker_v2 import anny_body, dressed_frames, lib, walks  # noqa: F401  (module fixtures)


def test_a_v6_subject_is_its_v5_self_in_other_trousers():
    for index in range(6):
        v5, v6 = sample_subject(0, index, "v5"), sample_subject(0, index, "v6")
        assert v5.phenotypes == v6.phenotypes and v5.style == v6.style and v5.bags == v6.bags
        assert v5.outfit.to_dict() == {**v6.outfit.to_dict(), "trouser_ease": v5.outfit.trouser_ease}
        assert v6.outfit.trouser_ease != v5.outfit.trouser_ease
    assert walker_camera("v6") == walker_camera("v5")
    a, b = (json.dumps(sample_subject(0, 3, "v6").to_json(), sort_keys=True) for _ in range(2))
    assert a == b and json.loads(a)["walker"] == "v6"


def test_slim_trousers_are_drawn_below_the_v2_range():
    rng = np.random.default_rng(0)
    ease = np.array([sample_slim_trousers(rng)["trouser_ease"] for _ in range(2000)])
    assert ease.min() >= SLIM_TROUSER_EASE[0] and ease.max() <= SLIM_TROUSER_EASE[1]
    assert ease.mean() < OUTFIT_RANGES["trouser_ease"][0] < np.mean(OUTFIT_RANGES["trouser_ease"])


@pytest.mark.slow
def test_slim_trousers_narrow_the_legs_and_keep_them_together_at_the_front(anny_body, walks):  # noqa: F811
    body = walks[4.0]
    views = (0.0, 90.0, 180.0)
    wide = dressed_frames(anny_body, body, outfit=Outfit(trouser_ease=float(np.mean(OUTFIT_RANGES["trouser_ease"]))),
                          views=views) > 127  # [views, t, 64, 64]
    slim = dressed_frames(anny_body, body, outfit=Outfit(trouser_ease=float(np.mean(SLIM_TROUSER_EASE))),
                          views=views) > 127
    rows = slice(32, 56)  # hips to shanks, where v2-v5 legs are wider than real people's
    gain = wide[:, :, rows].sum((2, 3)).mean(1) - slim[:, :, rows].sum((2, 3)).mean(1)  # [views] px per frame
    assert np.all(gain > 0.5 * (rows.stop - rows.start))  # at least half a pixel a row at every view
    assert np.array_equal(wide[:, :, :20], slim[:, :, :20])  # head and shoulders untouched
    front_back = [separated_leg_share(v.astype(np.uint8) * 255) for v in slim[[0, 2]]]
    assert max(front_back) < 0.3  # the legs still mostly touch at the front and back
