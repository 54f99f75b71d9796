"""Conditioning: vocabularies, encoders, null embeddings / dropout, identity operations and novel identities."""

from __future__ import annotations

import json

import pytest
import torch

from conditioning import (
    ConditionEncoder,
    ConditionVocab,
    IdentityRecipe,
    check_views,
    drop_masks,
    interpolate,
    mix,
    nn_distance_scale,
    sample_novel,
)
from gaitcraft.errors import ConfigError

IDS = [f"{i:03d}" for i in range(1, 9)]


@pytest.fixture
def encoder() -> ConditionEncoder:
    torch.manual_seed(0)
    return ConditionEncoder(identities=IDS, clothing=["coat", "normal"], carry=["backpack", "none"],
                            identity_dim=8, factor_dim=16, cond_dim=32, view_frequencies=3).eval()


def test_vocab_from_labels_and_errors():
    v = ConditionVocab.from_labels(identity=["002", "001", "002"], clothing=["normal", "coat"], carry=["none"])
    assert v.identities == ("001", "002") and v.values("clothing") == ("coat", "normal")
    assert ConditionVocab.from_dict(json.loads(json.dumps(v.to_dict()))) == v
    with pytest.raises(ConfigError, match="unknown clothing 'cape'.*coat, normal"):
        v.index("clothing", ["cape"])
    with pytest.raises(ConfigError, match="unknown identity '999'.*001, 002"):
        v.index("identity", ["999"])
    with pytest.raises(ConfigError, match="valid values"):
        ConditionVocab.from_labels(identity=["1"], clothing=["normal"], carry=["umbrella"])  # not a carry value
    with pytest.raises(ConfigError, match="do not match"):
        ConditionVocab.from_dict({**v.to_dict(), "extra": []})


@pytest.mark.parametrize("bad", [360.0, -1.0, float("nan"), 720.0])
def test_views_outside_range_are_refused(bad):
    assert check_views([0.0, 45.0, 99.0, 359.5]).tolist() == [0.0, 45.0, 99.0, 359.5]
    with pytest.raises(ConfigError, match=r"outside \[0, 360\)"):
        check_views([bad])


def test_encoder_shapes_views_and_unknown_values(encoder):
    cond = encoder.conditions(identity=["001", "002", "003"], clothing="coat", carry="none", view=[0.0, 45.0, 99.0])
    emb = encoder(cond)
    assert emb.shape == (3, 32) and torch.isfinite(emb).all()
    near = encoder(encoder.conditions("001", "coat", "none", [0.0, 359.999]))
    assert torch.allclose(near[0], near[1], atol=1e-3)  # the view encoding is periodic
    for kw, match in [({"clothing": "cape"}, "coat, normal"), ({"carry": "umbrella"}, "backpack, none"),
                      ({"identity": "777"}, "001, 002"), ({"view": 400.0}, "outside")]:
        with pytest.raises(ConfigError, match=match):
            encoder.conditions(**{"identity": "001", "clothing": "coat", "carry": "none", "view": 0.0, **kw})


def test_null_embeddings(encoder):
    a = encoder.conditions(["001", "002"], ["coat", "normal"], ["none", "backpack"], [0.0, 90.0])
    all_null = encoder(a.with_null(["identity", "clothing", "carry", "view"]))
    assert torch.allclose(all_null[0], all_null[1])  # labels no longer matter
    assert not torch.allclose(all_null, encoder(a))
    only_id = encoder(a.with_null(["identity"]))
    assert not torch.allclose(only_id, encoder(a)) and not torch.allclose(only_id, all_null)
    none = encoder(encoder.conditions(None, None, None, None, batch_size=2))
    assert torch.allclose(none, all_null)


def test_drop_masks():
    g = torch.Generator().manual_seed(0)
    assert all(m.all() for m in drop_masks(16, {}, 1.0, g).values())
    assert not any(m.any() for m in drop_masks(16, {"view": 0.0}, 0.0, g).values())
    m = drop_masks(2000, {"identity": 0.5}, 0.0, g)
    assert 0.4 < m["identity"].float().mean() < 0.6 and not m["view"].any()
    with pytest.raises(ConfigError, match="unknown factors"):
        drop_masks(4, {"colour": 0.1}, 0.0)


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_interpolation_endpoints_equal_parents(mode):
    a, b = torch.randn(8), torch.randn(8)
    assert torch.equal(interpolate(a, b, 0.0, mode), a)
    assert torch.equal(interpolate(a, b, 1.0, mode), b)
    mid = interpolate(a, b, 0.5, mode)
    assert torch.isfinite(mid).all() and not torch.allclose(mid, a)


def test_slerp_keeps_norm_and_mix():
    a = torch.tensor([1.0, 0.0])
    b = torch.tensor([0.0, 1.0])
    assert torch.allclose(interpolate(a, b, 0.5, "slerp").norm(), torch.tensor(1.0))
    assert torch.allclose(interpolate(a, b, 0.5, "lerp").norm(), torch.tensor(0.5**0.5))
    vecs = torch.randn(3, 4)
    assert torch.equal(mix(vecs, [0.0, 1.0, 0.0]), vecs[1])
    assert torch.allclose(mix(vecs, [1, 1, 2]), 0.25 * vecs[0] + 0.25 * vecs[1] + 0.5 * vecs[2])
    with pytest.raises(ConfigError, match="non-negative"):
        mix(vecs, [1.0, -1.0, 1.0])


def test_recipes_round_trip_through_json(encoder):
    recipes = [IdentityRecipe("train", ("003",)), IdentityRecipe("mix", ("001", "004"), (0.3, 0.7)),
               IdentityRecipe("interpolate", ("001", "002"), t=0.25, mode="slerp"),
               IdentityRecipe("vector", vector=tuple(torch.randn(8).tolist()))]
    for r in recipes:
        back = IdentityRecipe.from_json(json.loads(json.dumps(r.to_json())))
        assert back == r
        assert torch.equal(encoder.resolve_identity(back), encoder.resolve_identity(r))
    end = IdentityRecipe("interpolate", ("001", "002"), t=1.0, mode="slerp")
    assert torch.equal(encoder.resolve_identity(end), encoder.resolve_identity("002"))
    with pytest.raises(ConfigError, match="unknown identity recipe kind"):
        IdentityRecipe("blend", ("001",))
    with pytest.raises(ConfigError, match="unknown identity recipe keys"):
        IdentityRecipe.from_json({"kind": "train", "ids": ["001"], "colour": 1})


@pytest.mark.parametrize("method", ["dirichlet", "gaussian"])
def test_sample_novel_is_reproducible_and_keeps_the_margin(encoder, method):
    table = encoder.identity_table
    a = sample_novel(table, IDS, n=6, seed=3, method=method, margin=0.4, separation=0.2)
    b = sample_novel(table, IDS, n=6, seed=3, method=method, margin=0.4, separation=0.2)
    assert [r.to_json() for r in a] == [r.to_json() for r in b]
    assert a != sample_novel(table, IDS, n=6, seed=4, method=method, margin=0.4, separation=0.2)
    scale = nn_distance_scale(table)
    vecs = torch.stack([encoder.resolve_identity(IdentityRecipe.from_json(r.to_json())) for r in a])
    assert torch.cdist(vecs.double(), table.double()).min() >= 0.4 * scale - 1e-5
    assert a[0].meta["method"] == method and a[5].meta["index"] == 5
    with pytest.raises(ConfigError, match="passed margin"):
        sample_novel(table, IDS, n=3, seed=0, method=method, margin=100.0, max_tries=50)


def test_default_novel_identities_stand_further_apart_than_mixtures(encoder):
    """The default (Gaussian) draws keep novel people apart from each other; 3-way mixtures crowd the bank's centre."""
    table = encoder.identity_table
    scale = nn_distance_scale(table)

    def spread(recipes) -> float:  # median distance from each novel identity to its nearest other one, in bank units
        vecs = torch.stack([encoder.resolve_identity(r) for r in recipes]).detach().double()
        d = torch.cdist(vecs, vecs).fill_diagonal_(float("inf"))
        return float(d.min(dim=1).values.median()) / scale

    default = sample_novel(table, IDS, n=8, seed=0)
    assert default[0].kind == "vector" and default[0].meta["method"] == "gaussian"
    mixtures = sample_novel(table, IDS, n=8, seed=0, method="dirichlet")
    assert spread(default) > 1.2 * spread(mixtures)


def test_encoder_identity_operations(encoder):
    mixed = encoder.mix(["001", "002"], [1.0, 3.0])
    assert torch.allclose(encoder.resolve_identity(mixed),
                          0.25 * encoder.resolve_identity("001") + 0.75 * encoder.resolve_identity("002"))
    with pytest.raises(ConfigError, match="unknown identity"):
        encoder.mix(["001", "nobody"], [1.0, 1.0])
    novel = encoder.sample_novel(2, seed=1, margin=0.3)
    between = encoder.interpolate(novel[0], "003", 0.0, "slerp")  # a recipe and a training id
    assert between.kind == "vector" and between.meta["b"] == {**between.meta["b"], "ids": ["003"]}
    assert torch.equal(encoder.resolve_identity(between), encoder.resolve_identity(novel[0]))
    assert encoder.interpolate("001", "002", 0.5).kind == "interpolate"
