"""Biometric metrics of generated gait data, in recognizer-embedding space.

Embeddings are `[n, c, p]` (or `[n, d]`) arrays with one id per row. Identity-level comparisons use an
identity *template*: the mean embedding of its sequences, compared with OpenGait's 'euc' distance.
"""

from __future__ import annotations

import numpy as np

from eval.evaluation.distances import distance_matrix
from eval.evaluation.retrieval import far_threshold, rank_metrics


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two embedding sets (rows flattened to `[n, d]`).

    ||mu_a - mu_b||^2 + tr S_a + tr S_b - 2 tr sqrt(S_a S_b), with tr sqrt(S_a S_b) computed exactly as the
    nuclear norm of Xa Xb^T / sqrt((n_a - 1)(n_b - 1)) (centred data), so d may exceed n with no sqrtm.
    """
    xa = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    xb = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    if len(xa) < 2 or len(xb) < 2 or xa.shape[1] != xb.shape[1]:
        raise ValueError(f"need >= 2 rows of equal width in both sets, got {xa.shape} and {xb.shape}")
    mu_a, mu_b = xa.mean(0), xb.mean(0)
    ca, cb = xa - mu_a, xb - mu_b
    tr_a = (ca**2).sum() / (len(xa) - 1)
    tr_b = (cb**2).sum() / (len(xb) - 1)
    cross = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt((len(xa) - 1) * (len(xb) - 1))
    return float(max(((mu_a - mu_b) ** 2).sum() + tr_a + tr_b - 2 * cross, 0.0))


def fgd(generated: np.ndarray, real: np.ndarray, real_ids: np.ndarray | None = None, seed: int = 0) -> dict:
    """Fréchet gait distance of generated vs real, beside the real-vs-real floor from two disjoint halves.

    The real set is split in two halves (by identity when `real_ids` is given, else by sequence). The floor
    is FD(half A, half B); the FGD is FD(generated, half B) with the generated set subsampled to |half A|
    so both numbers see the same sample sizes. Returns {'fgd', 'floor', 'ratio', 'n_per_set'}.
    """
    rng = np.random.default_rng(seed)
    real = np.asarray(real)
    if real_ids is None:
        perm = rng.permutation(len(real))
        half_a, half_b = perm[: len(real) // 2], perm[len(real) // 2 :]
    else:
        ids = rng.permutation(np.unique(np.asarray(real_ids)))
        in_a = np.isin(np.asarray(real_ids), ids[: len(ids) // 2])
        half_a, half_b = np.flatnonzero(in_a), np.flatnonzero(~in_a)
    n = min(len(half_a), len(generated))
    gen = np.asarray(generated)[rng.permutation(len(generated))[:n]]
    floor = frechet_distance(real[half_a][:n], real[half_b])
    value = frechet_distance(gen, real[half_b])
    return {"fgd": value, "floor": floor, "ratio": value / floor if floor > 0 else float("inf"), "n_per_set": n}


def identity_retention(
    gen: np.ndarray, gen_ids: np.ndarray, gallery: np.ndarray, gallery_ids: np.ndarray,
    real_probe: np.ndarray | None = None, real_probe_ids: np.ndarray | None = None, metric: str = "euc",
) -> dict:
    """Rank-1 (%) of generated probes of training identities against a real gallery.

    With a real probe set of the same identities, also the real-vs-real rank-1 and the ratio of the two.
    """
    out = {"rank1_generated": rank_metrics(distance_matrix(gen, gallery, metric), gen_ids, gallery_ids, (1,))["rank-1"]}
    if real_probe is not None:
        real = rank_metrics(distance_matrix(real_probe, gallery, metric), real_probe_ids, gallery_ids, (1,))["rank-1"]
        out.update(rank1_real=real, ratio=out["rank1_generated"] / real if real else float("nan"))
    return out


def novel_consistency(emb: np.ndarray, ids: np.ndarray, groups: np.ndarray | None = None, metric: str = "euc") -> dict:
    """Leave-one-out rank-1 (%) of novel identities' sequences among themselves.

    Each sequence is a probe against all others; with `groups` (e.g. 'view|type' strings), neighbours of the
    probe's own group are ignored too, so matches must cross views and conditions.
    """
    ids = np.asarray(ids)
    dist = distance_matrix(emb, emb, metric)
    exclude = np.eye(len(ids), dtype=bool)
    if groups is not None:
        g = np.asarray(groups)
        exclude |= g[:, None] == g[None, :]
    r = rank_metrics(dist, ids, ids, (1,), exclude)
    return {"rank1": r["rank-1"], "probes": r["probes"], "probes_without_match": r["probes_without_match"]}


def templates(emb: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique ids `[k]`, mean embedding per id `[k, ...]`)."""
    ids = np.asarray(ids)
    uniq = np.unique(ids)
    return uniq, np.stack([np.asarray(emb)[ids == u].mean(0) for u in uniq])


def template_far_threshold(emb: np.ndarray, ids: np.ndarray, far: float = 0.01, metric: str = "euc") -> float:
    """The recognizer's FAR = `far` threshold on identity-template distances of a real reference set."""
    uniq, tpl = templates(emb, ids)
    if len(uniq) < 2:
        raise ValueError("a FAR threshold needs at least two reference identities")
    d = distance_matrix(tpl, tpl, metric)
    return far_threshold(d[np.triu_indices(len(uniq), k=1)], far)


def reidentification(
    novel: np.ndarray, novel_ids: np.ndarray, train: np.ndarray, train_ids: np.ndarray, threshold: float,
    metric: str = "euc",
) -> dict:
    """Privacy re-identification: the share (%) of novel identities whose nearest training identity is
    closer than `threshold` (template distances), with the nearest identity and distance of each."""
    n_ids, n_tpl = templates(novel, novel_ids)
    t_ids, t_tpl = templates(train, train_ids)
    d = distance_matrix(n_tpl, t_tpl, metric)  # [n_novel, n_train]
    j = d.argmin(1)
    nearest = d[np.arange(len(n_ids)), j]
    per = [{"identity": str(i), "nearest": str(t_ids[k]), "distance": float(x), "reidentified": bool(x < threshold)}
           for i, k, x in zip(n_ids, j, nearest)]
    return {"rate": float(np.mean(nearest < threshold) * 100), "threshold": float(threshold),
            "identities": len(per), "per_identity": per}


def privacy_audit(
    novel: np.ndarray, novel_ids: np.ndarray, train: np.ndarray, train_ids: np.ndarray,
    reference: np.ndarray, reference_ids: np.ndarray, far: float = 0.01, metric: str = "euc",
) -> dict:
    """Re-identification rate of novel identities at the FAR = `far` threshold set on real reference
    identities (held out from training), beside the same rate for those real reference identities
    (`null_rate`: what genuinely new people score, since the nearest of many training identities is taken)."""
    thr = template_far_threshold(reference, reference_ids, far, metric)
    out = reidentification(novel, novel_ids, train, train_ids, thr, metric)
    overlap = set(np.unique(reference_ids)) & set(np.unique(train_ids))
    if not overlap:
        out["null_rate"] = reidentification(reference, reference_ids, train, train_ids, thr, metric)["rate"]
    out["far"] = far
    return out
