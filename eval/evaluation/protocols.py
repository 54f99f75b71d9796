"""Evaluation protocols on an `EmbeddingSet`: CASIA-B (OpenGait's), generic identification and verification.

CASIA-B: gallery nm-01..04; probe sets NM = nm-05/06, BG = bg-01/02, CL = cl-01/02. Rank-1 is computed for
every (probe view, gallery view) pair; identical-view pairs are dropped and each probe view's rank-1 is the
mean over the other gallery views. Distances are OpenGait's 'euc' (per-strip L2, averaged over strips).
"""

from __future__ import annotations

import numpy as np

from eval.evaluation.distances import distance_matrix
from eval.evaluation.embedding_set import EmbeddingSet
from eval.evaluation.retrieval import rank_metrics, verification
from gaitcraft.errors import DataError

CASIA_B_GALLERY = ("nm-01", "nm-02", "nm-03", "nm-04")
CASIA_B_PROBES = {"NM": ("nm-05", "nm-06"), "BG": ("bg-01", "bg-02"), "CL": ("cl-01", "cl-02")}


def casia_b(
    es: EmbeddingSet,
    gallery_types: tuple[str, ...] = CASIA_B_GALLERY,
    probe_sets: dict[str, tuple[str, ...]] | None = None,
    metric: str = "euc",
) -> dict:
    """CASIA-B rank-1 per probe set and probe view, identical views excluded.

    Returns {'protocol', 'views', 'probe_sets': {name: {'per_view': [..], 'mean', 'matrix', 'probes'}}}. A
    probe view with no gallery at any other view gets None. Missing gallery or probe types raise `DataError`.
    """
    probe_sets = dict(CASIA_B_PROBES if probe_sets is None else probe_sets)
    types = es.seq_types
    present = sorted(set(types))
    g_mask = np.isin(types, gallery_types)
    if not g_mask.any():
        raise DataError(f"no gallery for the CASIA-B protocol: no sequences of types {list(gallery_types)} "
                        f"(types present: {present})")
    missing = [name for name, ts in probe_sets.items() if not np.isin(types, ts).any()]
    if missing:
        wanted = {m: list(probe_sets[m]) for m in missing}
        raise DataError(f"no probe sequences for CASIA-B probe set(s) {wanted} (types present: {present}); "
                        "pass probe_sets to evaluate a subset")
    views = np.unique(es.views)
    gallery = es.subset(g_mask)
    g_ids, g_views = gallery.subjects, gallery.views
    result: dict = {"protocol": "casia-b", "views": views.tolist(), "metric": metric,
                    "gallery_types": list(gallery_types), "probe_sets": {}}
    for name, ts in probe_sets.items():
        probe = es.subset(np.isin(types, ts))
        dist = distance_matrix(probe.embeddings, gallery.embeddings, metric)  # [n_probe, n_gallery]
        nearest_ok = _rank1_by_gallery_view(dist, probe.subjects, g_ids, g_views, views)  # [n_probe, n_views]
        matrix = np.full((len(views), len(views)), np.nan)
        for i, v in enumerate(views):
            rows = probe.views == v
            if rows.any():
                matrix[i] = _nanmean(nearest_ok[rows], axis=0) * 100
        off = matrix.copy()
        np.fill_diagonal(off, np.nan)  # identical-view pairs are excluded
        per_view = [None if np.all(np.isnan(r)) else float(_nanmean(r, axis=0)) for r in off]
        valid = [x for x in per_view if x is not None]
        result["probe_sets"][name] = {
            "per_view": per_view,
            "mean": float(np.mean(valid)) if valid else None,
            "matrix": [[None if np.isnan(x) else float(x) for x in row] for row in matrix],
            "probes": int(len(probe)),
        }
    return result


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """Mean over non-NaN entries; NaN where there are none (no warning)."""
    n = (~np.isnan(a)).sum(axis)
    total = np.nansum(a, axis)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _rank1_by_gallery_view(dist, p_ids, g_ids, g_views, views) -> np.ndarray:
    """`[n_probe, n_views]`: 1 if the nearest gallery item at that view has the probe's id, NaN if none there."""
    out = np.full((dist.shape[0], len(views)), np.nan)
    for j, v in enumerate(views):
        cols = np.flatnonzero(g_views == v)
        if len(cols):
            nearest = cols[np.argmin(dist[:, cols], axis=1)]
            out[:, j] = (g_ids[nearest] == p_ids).astype(np.float64)
    return out


def generic(
    es: EmbeddingSet,
    gallery: np.ndarray,
    probe: np.ndarray,
    ks: tuple[int, ...] = (1, 5, 10),
    metric: str = "euc",
    far: float = 0.01,
    exclude_same_view: bool = False,
) -> dict:
    """Rank-k, mAP, mINP and verification (EER, TAR@FAR) for explicit gallery and probe row masks.

    A row in both selections is never matched with itself. `exclude_same_view` also ignores gallery items
    at the probe's view (cross-view evaluation).
    """
    gallery, probe = np.asarray(gallery, dtype=bool), np.asarray(probe, dtype=bool)
    empty = [name for name, m in (("gallery", gallery), ("probe", probe)) if not m.any()]
    if empty:
        raise DataError(f"no {' and no '.join(empty)} sequences selected for the generic protocol")
    g_idx, p_idx = np.flatnonzero(gallery), np.flatnonzero(probe)
    dist = distance_matrix(es.embeddings[p_idx], es.embeddings[g_idx], metric)
    exclude = p_idx[:, None] == g_idx[None, :]
    if exclude_same_view:
        views = es.views
        exclude |= views[p_idx][:, None] == views[g_idx][None, :]
    subj = es.subjects
    result = {"protocol": "generic", "metric": metric, "gallery": int(len(g_idx)), "probe": int(len(p_idx))}
    result.update(rank_metrics(dist, subj[p_idx], subj[g_idx], ks, exclude))
    result["verification"] = verification(dist, subj[p_idx], subj[g_idx], exclude, far)
    return result
