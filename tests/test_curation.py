"""Curation signals on hand-built silhouettes and embeddings; pruning picks duplicates and uncertain ones."""

from __future__ import annotations

import numpy as np
import pytest

from eval.evaluation.curation import (
    curate,
    identity_consistency,
    redundancy,
    silhouette_signals,
    uncertainty_margin,
)


def walker(t: int = 8, flicker: bool = False, blobs: int = 1) -> np.ndarray:
    """`[t, 64, 64]` 0/255: a bar (or `blobs` separate bars); with `flicker` every other frame is empty."""
    out = np.zeros((t, 64, 64), np.uint8)
    for b in range(blobs):
        out[:, 10:54, 20 + 10 * b:26 + 10 * b] = 255
    if flicker:
        out[1::2] = 0
    return out


def test_silhouette_signals():
    steady, flick, split = silhouette_signals(walker()), silhouette_signals(walker(flicker=True)), \
        silhouette_signals(walker(blobs=2))
    assert steady["flicker"] == 0.0 and flick["flicker"] > 0.05
    assert steady["components"] == 1.0 and split["components"] == 2.0
    assert steady["area"] == pytest.approx(44 * 6 / 64 / 64)


# three identities, two sequences each, in 2-D; 'b2' is a near-copy of 'b1'; 'c2' sits between a and c
EMB = np.array([[0, 0], [1, 0], [10, 0], [10, 0.1], [20, 5], [12, 3]], np.float32)
IDS = np.array(["a", "a", "b", "b", "c", "c"])
KEYS = ["a1", "a2", "b1", "b2", "c1", "c2"]


def test_embedding_signals():
    dist, nn = redundancy(EMB)
    assert dist[3] == pytest.approx(0.1, abs=1e-2) and nn[3] == 2
    cons = identity_consistency(EMB, IDS)
    assert cons[0] == pytest.approx(0.5) and cons[2] == pytest.approx(0.05, abs=1e-2)
    margin = uncertainty_margin(EMB, IDS)
    assert margin[5] < margin[2] and margin[5] < 1.0  # c2 is nearly as close to b's centroid as to c's


def test_prune_picks_duplicates_and_records_reasons():
    frames = [walker(flicker=k == "c1") for k in KEYS]
    res = curate(KEYS, IDS, EMB, frames, fraction=1 / 3)
    pruned = {p["key"]: p["reason"] for p in res["pruned"]}
    assert set(pruned) & {"b1", "b2"} and len(pruned) == 2
    assert any("redundant" in r for r in pruned.values())
    per = {p["key"]: p for p in res["per_sequence"]}
    assert per["c1"]["flicker"] > per["a1"]["flicker"]
    assert set(res["signals"]) >= {"redundancy", "margin", "consistency", "area", "components", "flicker"}
    assert curate(KEYS, IDS, EMB, None, fraction=0.0)["pruned"] == []


def test_nothing_to_curate_when_every_sequence_was_dropped():
    out = curate([], np.array([]), np.zeros((0, 4, 2)), [], fraction=0.2)
    assert out["sequences"] == 0 and out["pruned"] == [] and out["per_sequence"] == []
    with pytest.raises(ValueError, match="prune fraction"):
        curate([], np.array([]), np.zeros((0, 4, 2)), fraction=1.0)
