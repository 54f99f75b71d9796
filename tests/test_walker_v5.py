"""Walker v5: v3's people, walks and cameras, with heads and tops as varied across people as real ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesh.accessories import (
    HAIR_DRAW,
    LONG_HAIR_LENGTH,
    LONG_HAIR_SHARE,
    OUTFIT_RANGES,
    WIDE_TOP_EASE,
    Outfit,
    sample_head_and_top,
)
from mesh.subjects import sample_subject, walker_camera


def test_a_v5_subject_is_its_v3_self_with_its_own_hair_and_top():
    for index in range(6):
        v3, v5 = sample_subject(0, index, "v3"), sample_subject(0, index, "v5")
        assert v3.phenotypes == v5.phenotypes and v3.style == v5.style and v3.bags == v5.bags
        same = ("trouser_ease", "coat_cut", "coat_length", "coat_bulk")
        assert all(getattr(v3.outfit, k) == getattr(v5.outfit, k) for k in same)
        assert (v3.outfit.hair, v3.outfit.top_ease) != (v5.outfit.hair, v5.outfit.top_ease)
    assert walker_camera("v5") == walker_camera("v3")
    again = sample_subject(0, 3, "v5")
    assert json.dumps(again.to_json(), sort_keys=True) == json.dumps(sample_subject(0, 3, "v5").to_json(), sort_keys=True)


def test_outfits_without_long_hair_keep_their_json():
    v3 = sample_subject(0, 3, "v3").outfit
    assert "hair_length" not in v3.to_dict()  # v2 / v3 / v4 recipes (and their hashes) are unchanged
    long_haired = Outfit(hair=0.03, hair_length=0.2)
    assert long_haired.to_dict()["hair_length"] == 0.2
    assert Outfit.from_dict(json.loads(json.dumps(long_haired.to_dict()))) == long_haired
    assert Outfit.from_dict(v3.to_dict()) == v3


def test_heads_and_tops_spread_wider_than_the_v2_draw():
    rng = np.random.default_rng(0)
    draws = [sample_head_and_top(rng) for _ in range(4000)]
    hair = np.array([d["hair"] for d in draws])
    length = np.array([d["hair_length"] for d in draws])
    top = np.array([d["top_ease"] for d in draws])
    low, span = HAIR_DRAW[:2]
    assert hair.min() >= low and hair.max() <= low + span
    v2_low, v2_high = OUTFIT_RANGES["hair"]
    assert hair.std() > 1.5 * (v2_high - v2_low) / np.sqrt(12)  # wider than v2's uniform hair
    assert np.median(hair) < hair.mean()  # skewed: mostly short hair, a tail of bulky hair
    assert (length > 0).mean() == pytest.approx(LONG_HAIR_SHARE, abs=0.03)
    assert length[length > 0].min() >= LONG_HAIR_LENGTH[0] and length.max() <= LONG_HAIR_LENGTH[1]
    assert top.min() >= WIDE_TOP_EASE[0] and top.max() <= WIDE_TOP_EASE[1]
    assert WIDE_TOP_EASE[1] - WIDE_TOP_EASE[0] > OUTFIT_RANGES["top_ease"][1] - OUTFIT_RANGES["top_ease"][0]
