"""Generation metrics on hand-built embeddings whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from eval.evaluation.generation_metrics import (
    fgd,
    frechet_distance,
    identity_retention,
    novel_consistency,
    privacy_audit,
    reidentification,
    template_far_threshold,
)


def test_frechet_distance_matches_sqrtm_formula_and_known_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(60, 5)), rng.normal(size=(40, 5)) @ np.diag([1, 2, 1, 0.5, 1]) + 0.3
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * linalg.sqrtm(ca @ cb).real)
    assert frechet_distance(a, b) == pytest.approx(ref, rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, a + [3.0, 4.0, 0, 0, 0]) == pytest.approx(25.0, rel=1e-9)  # pure mean shift
    wide = rng.normal(size=(20, 300))  # d > n works without an ill-posed sqrtm
    assert frechet_distance(wide, wide[:, ::-1]) > 0


def test_fgd_floor_and_ratio():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(400, 8, 2))  # [n, c, p]
    ids = np.repeat(np.arange(40), 10)
    same = fgd(rng.normal(size=(300, 8, 2)), real, ids)
    far = fgd(rng.normal(size=(300, 8, 2)) + 1.0, real, ids)
    assert same["ratio"] < 1.5 and same["n_per_set"] == 200
    assert far["fgd"] == pytest.approx(16.0 + same["fgd"], rel=0.15)  # + ||shift||^2 = 16 dims * 1
    assert far["floor"] == pytest.approx(same["floor"]) and far["ratio"] > 10


def test_identity_retention():
    gallery = np.eye(4)[:, :, None]  # 4 identities, one-hot
    gids = np.array(["a", "b", "c", "d"])
    gen = gallery + 0.1
    gen_ids = np.array(["a", "b", "c", "b"])  # last one generated for 'b' but looks like 'd'
    r = identity_retention(gen, gen_ids, gallery, gids, real_probe=gallery * 0.9, real_probe_ids=gids)
    assert r["rank1_generated"] == 75.0 and r["rank1_real"] == 100.0 and r["ratio"] == 0.75


def test_novel_consistency_across_groups():
    # identity code depends on the view: right within a view, wrong across views
    emb, ids, views = [], [], []
    for s in range(3):
        for v in range(3):
            for _rep in range(2):
                e = np.zeros(6)
                e[v], e[3 + (s + v) % 3] = 10.0, 1.0
                emb.append(e)
                ids.append(f"n{s}")
                views.append(v)
    emb = np.array(emb)
    assert novel_consistency(emb, ids)["rank1"] == 100.0  # the same-view repeat is the nearest
    cross = novel_consistency(emb, ids, groups=np.array(views))
    assert cross["rank1"] == 0.0 and cross["probes"] == 18


def test_privacy_threshold_and_reidentification_rate():
    # reference identities on a line: template distances are |i - j|, 45 pairs among 10 identities
    ref = np.repeat(np.arange(10.0), 2)[:, None]
    ref_ids = np.repeat([f"r{i}" for i in range(10)], 2)
    assert template_far_threshold(ref, ref_ids, far=0.2) == 2.0  # 9 of 45 pairs have distance 1 (< 2)
    train = np.array([[0.0], [100.0]])
    novel = np.array([[0.5], [0.5], [50.0], [99.0], [70.0]])
    novel_ids = np.array(["x", "x", "y", "z", "w"])
    r = reidentification(novel, novel_ids, train, np.array(["t0", "t1"]), threshold=2.0)
    per = {p["identity"]: p for p in r["per_identity"]}
    assert r["rate"] == 50.0 and per["x"]["nearest"] == "t0" and per["z"]["reidentified"]
    assert per["y"]["distance"] == 50.0 and not per["y"]["reidentified"]
    audit = privacy_audit(novel, novel_ids, train, np.array(["t0", "t1"]), ref, ref_ids, far=0.2)
    assert audit["threshold"] == 2.0 and audit["rate"] == 50.0 and audit["null_rate"] == pytest.approx(20.0)
