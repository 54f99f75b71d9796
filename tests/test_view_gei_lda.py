"""benchmarks/view_gei_lda.py on a tiny procedural tree standing in for real data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.view_gei_lda import aligned_probs, combine, fit_view_reader, main
from tests.test_classifier_seeds import CLASSIFIERS, standin_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """3 subjects at views 0 and 90, split 001 (train) / 002-003 (test)."""
    return standin_tree(tmp_path_factory.mktemp("gei"), 3)


def test_report_reads_views_and_combinations_reduce_to_their_parts(tree, tmp_path, capsys):
    root, partition = tree
    out = tmp_path / "gei.md"
    rc = main(["--real", str(root), "--partition", str(partition), "--synthetic", str(root),
               "--classifiers", CLASSIFIERS, "--weights", "0,1", "--cache", str(tmp_path / "cache"),
               "--out", str(out)])
    assert rc == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["test_sequences"] == 40 and result["views"] == ["0", "90"]
    readers = result["readers"]
    gei = readers[f"GEI discriminant ({root.name})"]
    # front and side walks differ in every pixel row: a discriminant fitted on them reads them apart
    assert gei["accuracy"] >= 90.0
    cnn = readers["classifier classifiers"]
    assert readers[f"classifiers × ({root.name}), w 0"] == gei
    assert readers[f"classifiers × ({root.name}), w 1"] == cnn
    assert out.with_suffix(".png").is_file() and "| GEI discriminant" in out.read_text()
    capsys.readouterr()


@pytest.mark.parametrize("weights", ["0.5,x", "1.5"])
def test_bad_weights_are_one_line_error(tree, tmp_path, capsys, weights):
    root, partition = tree
    assert main(["--real", str(root), "--partition", str(partition), "--synthetic", str(root),
                 "--weights", weights, "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "--weights" in err and err.strip().count("\n") == 0


def test_posteriors_follow_the_requested_class_order():
    rng = np.random.default_rng(0)
    views = np.repeat([90.0, 0.0, 180.0], 20)
    geis = rng.normal(0, 0.05, (60, 8)) + np.eye(8)[(views / 90).astype(int)]  # one bright pixel per view
    reader = fit_view_reader(geis, views, components=5)
    classes = np.array([0.0, 90.0, 180.0])
    p = aligned_probs(reader, geis, classes)
    assert np.allclose(p.sum(1), 1.0)
    assert np.mean(classes[p.argmax(1)] == views) == 1.0
    both = combine(p, np.full_like(p, 1 / 3), 0.5)
    assert np.allclose(both.sum(1), 1.0) and np.array_equal(both.argmax(1), p.argmax(1))
