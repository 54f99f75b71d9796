"""benchmarks/identity_consistency.py on tiny procedural trees standing in for real and synthetic data, read by the
shipped recognizer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.identity_consistency import cross_view_rank1, main, score_set
from eval.evaluation.embedding_set import EmbeddingSet
from gaitcraft.paths import REPO_ROOT
from gaitcraft.types import SequenceLabels
from synth_datasets.grid import parse_types
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec

RECOGNIZER = str(REPO_ROOT / "assets" / "models" / "recognizer")


def separable(people: int, views=(0.0, 90.0)) -> EmbeddingSet:
    """One sequence per (person, type, view); each person's embeddings sit near their own point."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(people, 4, 2)) * 10
    labels, emb = [], []
    for i in range(people):
        for t in ("nm-01", "bg-01", "cl-01"):
            for v in views:
                labels.append(SequenceLabels(f"{i:03d}", t, v, "normal", "none"))
                emb.append(centres[i] + rng.normal(size=(4, 2)) * 0.1)
    return EmbeddingSet(np.asarray(emb, np.float32), labels)


def test_rank1_counts_only_matches_at_other_views():
    emb = separable(6)
    assert cross_view_rank1(emb.embeddings, emb.subjects, emb.views) == pytest.approx(100.0)
    # with one view, every neighbour is excluded: no probe has a match left, so there is no rank-1
    one = separable(6, views=(0.0,))
    assert np.isnan(cross_view_rank1(one.embeddings, one.subjects, one.views))
    scores = score_set(emb, ids=3, draws=4, seed=0)
    assert scores["identities"] == 6 and scores["sequences"] == 36 and scores["views"] == [0.0, 90.0]
    assert scores["rank1_ids"]["mean"] == pytest.approx(100.0) and len(scores["rank1_ids"]["draws"]) == 4
    assert scores["rank1_shuffled"] < 50.0  # chance, not identity
    assert "rank1_ids" not in score_set(emb, ids=7, draws=2, seed=0)  # fewer people than a draw needs


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """A 'real' tree (001 train, 002-004 test) and a 'synthetic' one, 3 types x 2 views of 12-frame walks."""
    base = tmp_path_factory.mktemp("consistency")
    out = []
    for name, seed in (("real", 0), ("syn", 1)):
        spec = ProceduralSpec(subjects=4, types=tuple(parse_types("nm:1,bg:1,cl:1")), views=(0.0, 90.0),
                              frames_min=12, frames_max=12, seed=seed, walker="v2", noise="real")
        build_procedural(base / name, spec, workers=1, progress=False)
        out.append(base / name)
    split = base / "split.json"
    split.write_text(json.dumps({"TRAIN_SET": ["001"], "TEST_SET": ["002", "003", "004"]}))
    return *out, split


def test_report_of_a_set_beside_the_real_test_ids(trees, tmp_path, capsys):
    real, syn, split = trees
    out = tmp_path / "r" / "consistency.md"
    assert main(["--set", f"walkers={syn}", "--real", str(real), "--partition", str(split), "--recognizer",
                 RECOGNIZER, "--ids", "2", "--draws", "2", "--frames-limit", "6", "--cache", str(tmp_path / "c"),
                 "--out", str(out)]) == 0
    result = json.loads(out.with_suffix(".json").read_text())
    sets = result["sets"]
    assert list(sets) == ["walkers", "real test ids (reference)"]
    train = json.loads((syn / "partition.json").read_text())["TRAIN_SET"]  # a synthetic tree trains on its TRAIN_SET
    assert sets["walkers"]["identities"] == len(train) >= 2 and sets["walkers"]["sequences"] == len(train) * 3 * 2
    assert sets["real test ids (reference)"]["identities"] == 3
    assert all(0.0 <= s["rank1_all"] <= 100.0 and len(s["rank1_ids"]["draws"]) == 2 for s in sets.values())
    md = out.read_text()
    assert f"| walkers | {len(train)} | {len(train) * 6} | 2 |" in md and "![rank-1 per set](consistency.png)" in md
    assert out.with_suffix(".png").is_file()
    capsys.readouterr()
    # a set that is not LABEL=TREE, or a tree without the asked types, is one line and exit 2
    assert main(["--set", str(syn), "--recognizer", RECOGNIZER, "--out", str(out)]) == 2
    assert "--set takes LABEL=TREE" in capsys.readouterr().err
    assert main(["--set", f"w={syn}", "--set", f"w={real}", "--recognizer", RECOGNIZER, "--out", str(out)]) == 2
    assert "every set needs its own label, got w, w" in capsys.readouterr().err
    assert main(["--set", f"w={syn}", "--types", "nm-09", "--recognizer", RECOGNIZER, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no sequences of types nm-09" in err and str(syn) in err
