"""Protocols on hand-built embeddings whose right answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from eval.evaluation.distances import distance_matrix
from eval.evaluation.embedding_set import EmbeddingSet
from eval.evaluation.protocols import casia_b, generic
from eval.evaluation.report import format_table
from eval.evaluation.retrieval import far_threshold, rank_metrics, verification
from gaitcraft.errors import DataError
from gaitcraft.types import SequenceLabels

VIEWS = (0.0, 90.0, 180.0)
SUBJECTS = ("075", "076", "077")


def casia_like(types=("nm-01", "nm-02", "nm-03", "nm-04", "nm-05", "nm-06", "bg-01", "bg-02", "cl-01", "cl-02")):
    """Embeddings = 10 * view one-hot + identity code one-hot. NM: the code is the subject. BG: the code is
    shifted by the view index (right only at view 0). CL: right except probes at 180 deg."""
    rows, labels = [], []
    for s, subj in enumerate(SUBJECTS):
        for t in types:
            for v, view in enumerate(VIEWS):
                code = s
                if t.startswith("bg"):
                    code = (s + v) % 3
                if t.startswith("cl") and view == 180.0:
                    code = (s + 1) % 3
                e = np.zeros(6)
                e[v], e[3 + code] = 10.0, 1.0
                rows.append(e)
                labels.append(SequenceLabels(subj, t, view))
    return EmbeddingSet(np.array(rows)[:, :, None].repeat(2, axis=2), labels)


def test_casia_b_per_view_and_identical_view_exclusion():
    es = casia_like()
    res = casia_b(es)
    nm, bg, cl = (res["probe_sets"][k] for k in ("NM", "BG", "CL"))
    assert nm["per_view"] == [100.0, 100.0, 100.0] and nm["mean"] == 100.0
    # BG probes at view index v carry the code of subject (s + v) % 3: right at view 0 only, at every gallery view
    assert bg["per_view"] == [100.0, 0.0, 0.0] and bg["mean"] == pytest.approx(100 / 3)
    assert bg["matrix"][0] == [100.0, 100.0, 100.0] and bg["matrix"][1] == [0.0, 0.0, 0.0]
    assert cl["per_view"] == [100.0, 100.0, 0.0] and cl["mean"] == pytest.approx(200 / 3)
    assert res["views"] == list(VIEWS) and nm["probes"] == 18
    table = format_table(res)
    assert "| NM | 100.0 | 100.0 | 100.0 | **100.0** |" in table and "| CL | 100.0 | 100.0 | 0.0 |" in table


def test_identical_view_exclusion_changes_the_answer():
    """Same-view-only identity: rank-1 is 100 on the diagonal, 0 elsewhere; the protocol must report 0."""
    rows, labels = [], []
    for s, subj in enumerate(SUBJECTS):
        for t in ("nm-01", "nm-05"):
            for v, view in enumerate(VIEWS):
                e = np.zeros(6)
                e[v], e[3 + (s + v) % 3] = 10.0, 1.0
                rows.append(e)
                labels.append(SequenceLabels(subj, t, view))
    res = casia_b(EmbeddingSet(np.array(rows), labels), probe_sets={"NM": ("nm-05",)})
    r = res["probe_sets"]["NM"]
    assert [r["matrix"][i][i] for i in range(3)] == [100.0] * 3
    assert r["per_view"] == [0.0, 0.0, 0.0] and r["mean"] == 0.0


def test_casia_b_missing_gallery_or_probe_says_which():
    es = casia_like(types=("nm-05", "bg-01", "cl-01"))
    with pytest.raises(DataError, match=r"no gallery.*nm-01.*types present: \['bg-01', 'cl-01', 'nm-05'\]"):
        casia_b(es)
    es = casia_like(types=("nm-01", "nm-05", "bg-01"))
    with pytest.raises(DataError, match=r"probe set\(s\) \{'CL': \['cl-01', 'cl-02'\]\}"):
        casia_b(es)
    res = casia_b(es, probe_sets={"NM": ("nm-05",), "BG": ("bg-01",)})
    assert set(res["probe_sets"]) == {"NM", "BG"}


def test_rank_metrics_hand_computed():
    dist = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.1, 0.9], [0.1, 0.1, 0.1, 0.1]])
    r = rank_metrics(dist, np.array(["A", "C", "D"]), np.array(["B", "A", "C", "A"]), ks=(1, 2, 5))
    # probe A: ranking B A C A -> first hit at 2, AP = (1/2 + 2/4)/2 = 0.5, INP = 2/4; probe C: hit at 1
    assert r["rank-1"] == 50.0 and r["rank-2"] == 100.0 and r["rank-5"] == 100.0
    assert r["mAP"] == pytest.approx(75.0) and r["mINP"] == pytest.approx(75.0)
    assert r["probes"] == 2 and r["probes_without_match"] == 1


def test_verification_eer_and_tar_at_far():
    gen = np.linspace(0, 1, 2001)[:-1]  # genuine ~ U[0, 1)
    imp = np.linspace(0.5, 1.5, 2001)[:-1]  # impostor ~ U[0.5, 1.5)
    dist = np.concatenate([gen, imp])[None]
    ids = np.array(["a"] * len(gen) + ["b"] * len(imp))
    v = verification(dist, np.array(["a"]), ids, far=0.01)
    assert v["eer"] == pytest.approx(25.0, abs=0.2)
    assert v["tar_at_far"] == pytest.approx(51.0, abs=0.2) and v["threshold_at_far"] == pytest.approx(0.51, abs=1e-3)
    assert np.mean(imp < v["threshold_at_far"]) <= 0.01
    assert far_threshold(np.arange(100.0), 0.01) == 1.0  # exactly one impostor (0.0) accepted


def test_generic_protocol_self_and_view_exclusion():
    labels = [SequenceLabels(s, "nm-01", v) for s in ("a", "b") for v in (0.0, 90.0)]
    emb = np.array([[0.0, 0], [0, 5], [1, 0], [1, 5]])  # view dominates the second axis
    es = EmbeddingSet(emb, labels)
    allrows = np.ones(4, bool)
    r = generic(es, allrows, allrows, ks=(1,))
    assert r["rank-1"] == 0.0  # self excluded; nearest is the other subject at the same view
    r = generic(es, allrows, allrows, ks=(1,), exclude_same_view=True)
    assert r["rank-1"] == 100.0 and r["verification"]["genuine_pairs"] == 4
    with pytest.raises(DataError, match="no gallery sequences"):
        generic(es, np.zeros(4, bool), allrows)
    assert "rank-1" in format_table(r)


def test_distance_matches_opengait_definition():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4, 5)), rng.normal(size=(2, 4, 5))
    d = distance_matrix(x, y)
    expect = np.linalg.norm(x[:, None] - y[None], axis=2).mean(-1)  # per-strip L2, mean over strips
    assert np.allclose(d, expect, atol=1e-5)
    dc = distance_matrix(x, y, "cos")
    xn, yn = x / np.linalg.norm(x, axis=1, keepdims=True), y / np.linalg.norm(y, axis=1, keepdims=True)
    assert np.allclose(dc, 1 - np.einsum("icp,jcp->ijp", xn, yn).mean(-1), atol=1e-5)


def test_embedding_set_roundtrip(tmp_path):
    es = casia_like(types=("nm-01",))
    es.save(tmp_path / "e.npz")
    back = EmbeddingSet.load(tmp_path / "e.npz")
    assert np.array_equal(back.embeddings, es.embeddings) and back.labels == es.labels
    assert back.select(views=[90]).sum() == 3
