"""Privacy audit on hand-built embeddings with known answers; report files; missing-recognizer errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.evaluation.embedding_set import EmbeddingSet
from eval.evaluation.privacy import audit, reidentified, resolve_recognizer, split_reference, write_report
from gaitcraft.cli import main
from gaitcraft.errors import CheckpointError
from gaitcraft.types import SequenceLabels


def emb_set(points: dict[str, list[list[float]]]) -> EmbeddingSet:
    """An EmbeddingSet with one row per point (`[n, d]` -> `[n, d, 1]`), subjects from the dict keys."""
    rows, labels = [], []
    for subject, pts in points.items():
        for i, p in enumerate(pts):
            rows.append(p)
            labels.append(SequenceLabels(subject, f"nm-{i + 1:02d}", 90.0))
    return EmbeddingSet(np.asarray(rows, np.float32), labels)


# training identities on a line, 10 apart; held-out real identities 10 apart from each other too
TRAIN = emb_set({f"t{i}": [[10.0 * i, 0.0], [10.0 * i, 0.2]] for i in range(5)})
HELD = emb_set({f"h{i}": [[10.0 * i, 50.0]] for i in range(5)})
# novel n0 sits 0.5 from t1 (re-identified), n1 and n2 far from every training identity
NOVEL = emb_set({"n0": [[10.0, 0.6], [10.0, 0.6]], "n1": [[5.0, 30.0]], "n2": [[35.0, -30.0]]})


def test_known_answers():
    res = audit(NOVEL, TRAIN, HELD)
    # held-out template distances: 10, 20, 30, 40 (x4, 3, 2, 1): the FAR=1% threshold is the smallest impostor distance
    assert res["threshold"] == pytest.approx(10.0)
    per = {p["identity"]: p for p in res["per_identity"]}
    assert per["n0"]["nearest"] == "t1" and per["n0"]["distance"] == pytest.approx(0.5, abs=1e-5)
    assert per["n0"]["reidentified"] and not per["n1"]["reidentified"] and not per["n2"]["reidentified"]
    assert res["rate"] == pytest.approx(100 / 3) and reidentified(res) == ["n0"]
    assert res["null_rate"] == 0.0 and len(res["null_distances"]) == 5


def test_split_reference_uses_partition_or_everything():
    ref = emb_set({**{f"t{i}": [[10.0 * i, 0.0]] for i in range(3)}, **{f"h{i}": [[10.0 * i, 50.0]] for i in range(3)}})
    tr, te = split_reference(ref, ["t0", "t1", "t2"], ["h0", "h1", "h2"])
    assert set(tr.subjects) == {"t0", "t1", "t2"} and set(te.subjects) == {"h0", "h1", "h2"}
    tr, te = split_reference(ref, None, None)
    assert len(tr) == len(te) == 6


def test_report_files(tmp_path):
    res = audit(NOVEL, TRAIN, HELD)
    write_report(tmp_path / "r", res)
    assert (tmp_path / "r" / "histogram.png").stat().st_size > 1000
    assert "re-identification rate: 33.33%" in (tmp_path / "r" / "report.md").read_text()
    assert json.loads((tmp_path / "r" / "report.json").read_text())["identities"] == 3


def test_missing_recognizer_is_one_line_error(tmp_path, capsys, monkeypatch):
    import eval.evaluation.privacy as priv

    monkeypatch.setattr(priv, "DEFAULT_RECOGNIZER", tmp_path / "none")
    with pytest.raises(CheckpointError, match="no shipped recognizer"):
        resolve_recognizer(None)
    args = ["privacy-audit", "--synthetic", str(tmp_path), "--reference", str(tmp_path), "--out", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "gaitcraft recognizer train --data DIR --out RUN" in err
