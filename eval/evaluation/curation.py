"""Curation of synthetic sequences: per-sequence quality signals and pruning of the least informative ones.

Signals: silhouette sanity (foreground area, connected components, flicker = mean XOR of consecutive frames),
identity consistency (distance to its identity's mean embedding), recognizer uncertainty (margin between the
nearest and second-nearest identity centroid) and redundancy (distance to the nearest other sequence).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skimage.measure import label as connected_components

from eval.evaluation.distances import distance_matrix
from eval.evaluation.generation_metrics import templates


def silhouette_signals(frames: np.ndarray) -> dict[str, float]:
    """Sanity of one `[t, h, w]` 0/255 sequence: foreground 'area' (fraction), mean 'components' per frame
    (8-connected, background excluded) and 'flicker' (mean fraction of pixels that change between frames)."""
    fg = np.asarray(frames) > 127  # [t, h, w] bool
    comps = [int(connected_components(f, connectivity=2).max()) for f in fg]
    flicker = float(np.logical_xor(fg[1:], fg[:-1]).mean()) if len(fg) > 1 else 0.0
    return {"area": float(fg.mean()), "components": float(np.mean(comps)), "flicker": flicker}


def identity_consistency(emb: np.ndarray, ids: np.ndarray, metric: str = "euc") -> np.ndarray:
    """Distance `[n]` of each sequence's embedding to its identity's mean embedding (lower = more consistent)."""
    ids = np.asarray(ids)
    uniq, tpl = templates(emb, ids)
    row = {u: i for i, u in enumerate(uniq)}
    d = distance_matrix(np.asarray(emb), tpl, metric)  # [n, k]
    return d[np.arange(len(ids)), [row[i] for i in ids]]


def uncertainty_margin(emb: np.ndarray, ids: np.ndarray, metric: str = "euc") -> np.ndarray:
    """Distance to the nearest other identity's centroid minus distance to the own centroid, `[n]`.

    Small or negative = the recognizer can hardly tell this sequence's identity (uncertain). With a single
    identity there is no other centroid and the margin is +inf.
    """
    ids = np.asarray(ids)
    uniq, tpl = templates(emb, ids)
    d = distance_matrix(np.asarray(emb), tpl, metric)  # [n, k]
    own = np.array([np.flatnonzero(uniq == i)[0] for i in ids])
    d_own = d[np.arange(len(ids)), own]
    d[np.arange(len(ids)), own] = np.inf
    return d.min(1) - d_own


def redundancy(emb: np.ndarray, metric: str = "euc") -> tuple[np.ndarray, np.ndarray]:
    """(distance `[n]` to the nearest other sequence, its index `[n]`); small distance = near-duplicate."""
    d = distance_matrix(np.asarray(emb), np.asarray(emb), metric)  # [n, n]
    np.fill_diagonal(d, np.inf)
    j = d.argmin(1)
    return d[np.arange(len(d)), j], j


def _rank01(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (0 = smallest); ties keep index order."""
    r = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)
    return r / max(1, len(x) - 1)


def prune_order(redundant_dist: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Indices from least to most informative: a low distance to the nearest other sequence (redundant) and a
    low identity margin (uncertain) both make a sequence less informative; their ranks are summed."""
    score = (1 - _rank01(redundant_dist)) + (1 - _rank01(margin))
    return np.argsort(-score, kind="stable")


def curate(keys: list[str], ids: np.ndarray, emb: np.ndarray, frames: list[np.ndarray] | None = None,
           fraction: float = 0.2, metric: str = "euc") -> dict[str, Any]:
    """All signals per sequence and the least informative `fraction` to prune, each with its reason.

    keys: sequence names ('syn0001/nm-01/090'); ids: identity per row; emb: `[n, c, p]` recognizer embeddings;
    frames: the silhouettes (for the sanity signals), optional. Returns {'sequences', 'fraction', 'per_sequence',
    'signals' (summary stats), 'pruned': [{'key', 'reason'}]}.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"prune fraction must be in [0, 1), got {fraction}")
    if not keys:  # e.g. every identity was dropped by the privacy audit: nothing to rank or prune
        return {"sequences": 0, "fraction": fraction, "per_sequence": [], "signals": {}, "pruned": []}
    ids = np.asarray(ids)
    red, nn = redundancy(emb, metric) if len(keys) > 1 else (np.full(len(keys), np.inf), np.zeros(len(keys), int))
    margin = uncertainty_margin(emb, ids, metric)
    consistency = identity_consistency(emb, ids, metric)
    per = [{"key": k, "identity": str(i), "redundancy": float(r), "nearest": keys[int(j)], "margin": float(m),
            "consistency": float(c)} for k, i, r, j, m, c in zip(keys, ids, red, nn, margin, consistency)]
    if frames is not None:
        for row, f in zip(per, frames):
            row.update(silhouette_signals(f))
    n_prune = int(round(fraction * len(keys)))
    pruned, r_red, r_margin = [], _rank01(red), _rank01(margin)
    for i in prune_order(red, margin)[:n_prune]:
        why = []
        if r_red[i] <= 0.5:
            why.append(f"redundant (distance {red[i]:.4f} to {keys[int(nn[i])]})")
        if r_margin[i] <= 0.5:
            why.append(f"uncertain identity (margin {margin[i]:.4f})")
        pruned.append({"key": keys[int(i)], "reason": "; ".join(why) or "low combined informativeness"})
    names = ["redundancy", "margin", "consistency"] + (["area", "components", "flicker"] if frames is not None else [])
    stats = {}
    for name in names:
        vals = np.array([row[name] for row in per], dtype=float)
        vals = vals[np.isfinite(vals)]
        if len(vals):
            stats[name] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
    return {"sequences": len(keys), "fraction": fraction, "per_sequence": per, "signals": stats, "pruned": pruned}
