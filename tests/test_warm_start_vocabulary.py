"""`train.init_from` onto data of another condition vocabulary: a model trained where bags are exact (procedural)
trained on where they are one generic 'bag' and the people are others (real CASIA-B)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from gaitcraft.cli import main
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.paths import REPO_ROOT
from gaitcraft.pretreat import pretreat_frames
from gaitcraft.types import Sequence, SequenceLabels
from tests.conftest import walker_blob

TINY = str(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml")
WEIGHTS = "condition_encoder/diffusion_pytorch_model.safetensors"


def _tree(root, subjects: list[str], walks: tuple[tuple[str, str, str], ...]):
    seqs = [Sequence(pretreat_frames(walker_blob(t=12, seed=i)), SequenceLabels(s, typ, 90.0, clothing, carry, "t"))
            for i, (s, (typ, clothing, carry)) in enumerate((s, w) for s in subjects for w in walks)]
    return write_opengait_tree(root, seqs, train=subjects, test=[])


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    """A tiny model trained on exact bags and identities 100, 101."""
    root = tmp_path_factory.mktemp("base")
    walks = (("nm-01", "normal", "none"), ("bg-01", "normal", "backpack"), ("bg-02", "normal", "shoulder_bag"),
             ("cl-01", "coat", "none"))
    data = _tree(root / "data", ["100", "101"], walks)
    assert main(["train", "--data", str(data), "--out", str(root / "run"), "--config", TINY,
                 "--partition", "all"]) == 0
    return root / "run" / "model"


def _train_on(base_model, tmp_path, capsys, subjects: list[str], walks) -> tuple[dict, dict, str]:
    """Warm-start a tiny run from `base_model` on a new tree at a vanishing learning rate (so the exported weights
    are the starting ones): (saved weights, exported weights, stderr)."""
    data = _tree(tmp_path / "data", subjects, walks)
    cfg = tmp_path / "extend.yaml"
    cfg.write_text(open(TINY).read().rstrip("\n") + f"\n  init_from: {base_model}\n  lr: 1.0e-12\n")
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), "--out", str(run), "--config", str(cfg), "--partition", "all",
                 "--max-steps", "2"]) == 0
    return load_file(base_model / WEIGHTS), load_file(run / "model" / WEIGHTS), capsys.readouterr().err


def test_vocabulary_is_mapped_by_name(base_model, tmp_path, capsys):
    walks = (("nm-01", "normal", "none"), ("bg-01", "normal", "bag"), ("cl-01", "coat", "none"))
    old, new, err = _train_on(base_model, tmp_path, capsys, ["001", "002", "003"], walks)
    assert "3 identities start new" in err and "bag starts from the mean of backpack, shoulder_bag" in err
    close = lambda a, b: float((a.float() - b.float()).abs().max()) < 2e-3  # noqa: E731  fp16 export, EMA of ~fixed weights
    # carry: base [backpack, none, shoulder_bag] -> run [bag, none]
    assert close(new["carry_emb.weight"][1], old["carry_emb.weight"][1])
    assert close(new["carry_emb.weight"][0], old["carry_emb.weight"][[0, 2]].mean(0))
    assert close(new["clothing_emb.weight"], old["clothing_emb.weight"])  # the same [coat, normal]
    assert new["identity_bank.weight"].shape == (3, old["identity_bank.weight"].shape[1])
    assert not close(new["identity_bank.weight"][:2], old["identity_bank.weight"])  # others' rows are not reused
    assert close(new["mixer.0.weight"], old["mixer.0.weight"])  # everything of fixed size is carried over


def test_same_vocabulary_copies_identities_and_says_nothing(base_model, tmp_path, capsys):
    walks = (("nm-01", "normal", "none"), ("bg-01", "normal", "backpack"), ("bg-02", "normal", "shoulder_bag"),
             ("cl-01", "coat", "none"))
    old, new, err = _train_on(base_model, tmp_path, capsys, ["100", "101"], walks)
    assert "warm start" not in err
    assert torch.allclose(new["identity_bank.weight"].float(), old["identity_bank.weight"].float(), atol=2e-3)
