"""Identification (rank-k, mAP, mINP) and verification (ROC, EER, TAR@FAR) from a distance matrix.

Conventions: a smaller distance is a better match; a pair is accepted when its distance is strictly below
the threshold. `exclude` marks probe-gallery pairs to ignore (the same sequence, an identical view, ...).
"""

from __future__ import annotations

import numpy as np


def rank_metrics(
    dist: np.ndarray,
    probe_ids: np.ndarray,
    gallery_ids: np.ndarray,
    ks: tuple[int, ...] = (1, 5, 10),
    exclude: np.ndarray | None = None,
) -> dict[str, float | int]:
    """CMC rank-k, mAP and mINP (Ye et al. 2021) in percent over the probes that have a true match.

    dist `[n_q, n_g]`; ids `[n_q]`, `[n_g]`; exclude optional bool `[n_q, n_g]`. Probes without any true
    match in the (non-excluded) gallery are left out and counted in `probes_without_match`.
    """
    dist = np.asarray(dist, dtype=np.float64)
    match = np.asarray(probe_ids)[:, None] == np.asarray(gallery_ids)[None, :]  # [n_q, n_g]
    if exclude is not None:
        dist = np.where(exclude, np.inf, dist)
        match = match & ~exclude
    order = np.argsort(dist, axis=1, kind="stable")
    hits = np.take_along_axis(match, order, axis=1)  # [n_q, n_g] true matches in ranked order
    has = hits.any(1)
    hits = hits[has]
    out: dict[str, float | int] = {"probes": int(has.sum()), "probes_without_match": int((~has).sum())}
    if not len(hits):
        out.update({f"rank-{k}": float("nan") for k in ks} | {"mAP": float("nan"), "mINP": float("nan")})
        return out
    first = hits.argmax(1)  # 0-based rank of the first true match
    for k in ks:
        out[f"rank-{k}"] = float(np.mean(first < k) * 100)
    cum = np.cumsum(hits, axis=1)
    positions = np.arange(1, hits.shape[1] + 1)
    n_rel = hits.sum(1)
    ap = (cum / positions * hits).sum(1) / n_rel
    last = hits.shape[1] - 1 - np.argmax(hits[:, ::-1], axis=1)  # 0-based rank of the last true match
    out["mAP"] = float(ap.mean() * 100)
    out["mINP"] = float((n_rel / (last + 1)).mean() * 100)
    return out


def far_threshold(impostor: np.ndarray, far: float = 0.01) -> float:
    """The distance threshold at which at most a `far` share of impostor distances is accepted (d < t)."""
    imp = np.sort(np.asarray(impostor, dtype=np.float64).ravel())
    if not len(imp):
        raise ValueError("no impostor pairs: a FAR threshold needs at least two identities")
    return float(imp[min(int(np.floor(far * len(imp))), len(imp) - 1)])


def verification(
    dist: np.ndarray,
    probe_ids: np.ndarray,
    gallery_ids: np.ndarray,
    exclude: np.ndarray | None = None,
    far: float = 0.01,
    roc_points: int = 101,
) -> dict[str, object]:
    """ROC over all probe-gallery pairs, EER and TAR at FAR = `far` (percent), with that threshold.

    The ROC is returned at `roc_points` FAR values evenly spaced on a log scale from 1e-4 to 1.
    """
    same = np.asarray(probe_ids)[:, None] == np.asarray(gallery_ids)[None, :]
    keep = np.ones_like(same) if exclude is None else ~exclude
    gen = np.sort(np.asarray(dist, dtype=np.float64)[same & keep])
    imp = np.sort(np.asarray(dist, dtype=np.float64)[~same & keep])
    if not len(gen) or not len(imp):
        raise ValueError(f"verification needs genuine and impostor pairs; got {len(gen)} and {len(imp)}")
    thr = far_threshold(imp, far)
    thresholds = np.unique(np.concatenate([gen, imp, [np.inf]]))
    far_c = np.searchsorted(imp, thresholds, side="left") / len(imp)  # share of impostors with d < t
    tar_c = np.searchsorted(gen, thresholds, side="left") / len(gen)
    frr_c = 1.0 - tar_c
    i = int(np.argmin(np.abs(far_c - frr_c)))
    eer = (far_c[i] + frr_c[i]) / 2.0
    grid = np.concatenate([[0.0], np.logspace(-4, 0, roc_points - 1)])
    roc_tar = [float(tar_c[np.searchsorted(far_c, g, side="right") - 1]) for g in grid]
    return {
        "eer": float(eer * 100),
        "tar_at_far": float(np.mean(gen < thr) * 100),
        "threshold_at_far": thr,
        "far": far,
        "genuine_pairs": int(len(gen)),
        "impostor_pairs": int(len(imp)),
        "roc": {"far": grid.tolist(), "tar": roc_tar},
    }
