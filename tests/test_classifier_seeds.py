"""BatchNorm adaptation and benchmarks/classifier_seeds.py on a tiny procedural tree standing in for real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.classifier_seeds import main
from eval.evaluation.bn_adaptation import adapt_batchnorm, batchnorm_layers
from eval.evaluation.classifiers import load_classifiers
from eval.evaluation.embed import RecordFrames, cut_width, even_frames
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.paths import REPO_ROOT
from synth_datasets.grid import parse_types
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec

CLASSIFIERS = str(REPO_ROOT / "assets" / "models" / "classifiers")


def standin_tree(folder: Path, subjects: int) -> tuple[Path, Path]:
    """A tiny real-data stand-in: `subjects` x 10 CASIA-B types (nm 6, bg 2, cl 2) x 2 views of 12-frame noisy
    walks in folder/tree, and a split (folder/split.json) with 001 training and every other subject testing."""
    root = folder / "tree"
    spec = ProceduralSpec(subjects=subjects, types=tuple(parse_types("nm:6,bg:2,cl:2")), views=(0.0, 90.0),
                          frames_min=12, frames_max=12, seed=0, walker="v2", noise="real")
    build_procedural(root, spec, workers=1, progress=False)
    partition = folder / "split.json"
    partition.write_text(json.dumps({"TRAIN_SET": ["001"], "TEST_SET": [f"{i:03d}" for i in range(2, subjects + 1)]}))
    return root, partition


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """3 subjects, split 001 (train) / 002-003 (test)."""
    return standin_tree(tmp_path_factory.mktemp("seeds"), 3)


def test_adapted_statistics_are_those_of_the_new_data(tree):
    root, _ = tree
    model, _ = load_classifiers(CLASSIFIERS)
    first = batchnorm_layers(model)[0]
    weights = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k and "num_batches" not in k}
    old_mean = first.running_mean.clone()
    seen = []
    hook = first.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach().clone()))
    records = DatasetIndex.open(root).records[:4]  # 4 x 12 frames: one pass
    adapt_batchnorm(model, RecordFrames(records), frames_limit=12)
    hook.remove()
    assert len(seen) == 1
    x = seen[0].transpose(0, 1).flatten(1)  # [channels, everything else]
    assert torch.allclose(first.running_mean, x.mean(1), atol=1e-5)
    assert torch.allclose(first.running_var, x.var(1, unbiased=True), rtol=1e-3, atol=1e-5)
    assert not torch.allclose(first.running_mean, old_mean)
    assert first.momentum == 0.1 and not model.training
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())


def test_adaptation_needs_two_sequences_a_pass(tree):
    root, _ = tree
    model, _ = load_classifiers(CLASSIFIERS)
    one = [r.load() for r in DatasetIndex.open(root).records[:1]]
    with pytest.raises(DataError, match="too few"):
        adapt_batchnorm(model, one)
    clip = cut_width(one[0][even_frames(len(one[0]), 30)])
    assert clip.shape[1:] == (64, 44)  # what a pass is made of


def test_report_spread_ensemble_and_adaptation(tree, tmp_path, capsys):
    root, partition = tree
    out = tmp_path / "seeds.md"
    rc = main(["--real", str(root), "--partition", str(partition), "--arm", f"shipped={CLASSIFIERS},{CLASSIFIERS}",
               "--adapt", "6", "--cache", str(tmp_path / "cache"), "--out", str(out)])
    assert rc == 0
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["test_sequences"] == 40 and result["adapt_sequences"] == 6
    arm = result["arms"]["shipped"]
    a, b = arm["runs"]
    # the same run twice: no spread, and the ensemble is the run
    assert a["view"] == b["view"] and arm["spread"]["view"]["sd"] == 0.0
    for k in ("view", "coat", "clothing", "bag"):
        assert arm["ensemble"][k] == pytest.approx(a[k])
        assert 0.0 <= arm["adapted_ensemble"][k] <= 100.0
    seed = a["seed"]
    assert list(result["per_view"]["shipped"]) == [f"seed {seed}", f"seed {seed} (run 2)", "ensemble",
                                                   "adapted ensemble"]
    assert result["views"][:1] == ["0"] and out.with_suffix(".png").is_file()
    text = out.read_text()
    assert "| shipped | ensemble of 2 |" in text and "adapted ensemble of 2" in text
    conf = arm["ensemble"]["view_confusion"]
    assert sum(map(sum, conf["matrix"])) == 40 and "View read by the shipped, ensemble of 2" in text
    capsys.readouterr()


@pytest.mark.parametrize("arm", ["shipped", "=a,b", "x="])
def test_bad_arm_is_one_line_error(tree, tmp_path, capsys, arm):
    root, partition = tree
    assert main(["--real", str(root), "--partition", str(partition), "--arm", arm,
                 "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err
    assert "--arm takes LABEL=RUN" in err and err.strip().count("\n") == 0


def test_arms_softmax_rows_sum_to_one():
    from benchmarks.classifier_seeds import softmax

    p = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]]))
    assert np.allclose(p.sum(1), 1.0) and p[1, 0] == pytest.approx(1.0)
