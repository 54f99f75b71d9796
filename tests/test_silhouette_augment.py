"""Silhouette domain randomization for classifier training: what each change does, that it is off by default,
that configs check its ranges, and that a run trained with it resumes exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from eval.training.recognizer_config import ClassifierConfig
from eval.training.silhouette_augment import (
    AugmentSection,
    augment_clips,
    cut_edges,
    randomize_clips,
    step_rng,
    stretch_x,
)
from eval.training.train_classifiers import train_classifiers
from gaitcraft.errors import ConfigError
from gaitcraft.training import load_config
from tests.test_recognizer_train import tiny_config, tree  # noqa: F401  (the module fixture)

pytestmark = pytest.mark.filterwarnings("ignore:.*fewer than k=")


def box_clip(n: int = 3, t: int = 4) -> torch.Tensor:
    """uint8 [n, t, 64, 44] clips of a 20x10 box with a 2-px arm: 0/255."""
    x = torch.zeros(n, t, 64, 44, dtype=torch.uint8)
    x[:, :, 20:40, 17:27] = 255
    x[:, :, 25:27, 27:33] = 255
    return x


def test_off_by_default_returns_the_input_and_draws_nothing():
    clips, rng = box_clip(), np.random.default_rng(0)
    state = dict(rng.bit_generator.state)
    assert augment_clips(clips, AugmentSection(), rng) is clips
    assert rng.bit_generator.state == state


def test_edge_threshold_grows_below_half_and_shrinks_above():
    frame = box_clip(1, 1)[0].float() / 255.0  # [1, 64, 44]
    area = float(frame.sum())
    grown, same, shrunk = (float(cut_edges(frame, c).sum()) for c in (0.3, 0.5, 0.7))
    assert grown > area > shrunk > 0
    assert abs(same - area) < 0.05 * area  # a straight edge stays where it is at 0.5


def test_stretch_widens_and_narrows_about_the_centre():
    frame = box_clip(1, 1)[0].float() / 255.0
    cols = lambda f: torch.nonzero(f[0].sum(0)).flatten()  # noqa: E731
    wide, narrow = stretch_x(frame, 1.3), stretch_x(frame, 0.75)
    assert len(cols(wide)) > len(cols(frame)) > len(cols(narrow))
    assert torch.equal(wide.sum(2), wide.sum(2).round()) and set(wide.unique().tolist()) <= {0.0, 1.0}
    assert abs(cols(wide).float().mean() - cols(frame).float().mean()) < 3  # about the image centre


def test_augment_keeps_shape_dtype_and_binary_values_and_is_seeded():
    clips = box_clip(6, 5)
    aug = AugmentSection(edge_threshold=(0.3, 0.7), x_scale=(0.85, 1.15))
    a = augment_clips(clips, aug, step_rng(3, 7))
    b = augment_clips(clips, aug, step_rng(3, 7))
    assert a.shape == clips.shape and a.dtype == torch.uint8 and set(a.unique().tolist()) <= {0, 255}
    assert torch.equal(a, b)
    per_clip = a.float().mean((1, 2, 3))  # [n]: one draw per clip, not one per batch
    assert len(set(per_clip.tolist())) > 1
    assert all(torch.equal(a[i, 0], a[i, j]) for i in range(6) for j in range(5))  # the same change every frame


def test_share_changes_some_clips_and_says_which():
    clips = box_clip(40, 2)
    aug = AugmentSection(edge_threshold=(0.3, 0.7), x_scale=(0.85, 1.15), share=0.5)
    out, changed = randomize_clips(clips, aug, step_rng(1, 2))
    assert changed.dtype == torch.bool and changed.shape == (40,)
    assert 5 < int(changed.sum()) < 35  # about half, by a coin per clip
    assert all(torch.equal(out[i], clips[i]) for i in range(40) if not changed[i])
    assert sum(not torch.equal(out[i], clips[i]) for i in range(40) if changed[i]) >= int(changed.sum()) - 2
    # share 1 draws no coin: the clips are those the draws gave before share existed
    full = AugmentSection(edge_threshold=(0.3, 0.7), x_scale=(0.85, 1.15))
    out_full, changed_full = randomize_clips(clips, full, step_rng(1, 2))
    assert bool(changed_full.all()) and torch.equal(out_full, augment_clips(clips, full, step_rng(1, 2)))


@pytest.mark.parametrize("raw, match", [
    ({"edge_threshold": [0.7, 0.3]}, "edge_threshold"),
    ({"edge_threshold": [0.0, 0.5]}, "edge_threshold"),
    ({"edge_threshold": [0.5]}, "edge_threshold"),
    ({"x_scale": [0.4, 1.0]}, "x_scale"),
    ({"x_scale": [1.2, 1.1]}, "x_scale"),
    ({"thickness": [1, 2]}, "unknown key"),
    ({"share": 0.0}, "share"),
    ({"share": 1.5}, "share"),
    ({"x_scale": [0.9, 1.1], "heads": ["view"]}, "share below 1"),
    ({"x_scale": [0.9, 1.1], "share": 0.5, "heads": ["gait"]}, "not among attributes"),
])
def test_config_rejects_bad_ranges(tmp_path, raw, match):
    path = tmp_path / "c.yaml"
    body = "\n".join(f"  {k}: {v}" for k, v in raw.items())
    path.write_text(f"kind: classifiers\nname: x\naugment:\n{body}\n")
    with pytest.raises(ConfigError, match=match):
        load_config(path, ClassifierConfig)


def test_shipped_augment_config_loads_with_randomization_on():
    cfg = load_config("attributes_procedural50_long_augment", ClassifierConfig)
    base = load_config("attributes_procedural50_long", ClassifierConfig)
    assert cfg.augment.active and not base.augment.active
    assert dataclasses.replace(cfg, name=base.name, augment=base.augment) == base  # nothing else differs


def test_view_only_config_differs_from_the_long_recipe_in_its_randomization_alone():
    cfg = load_config("attributes_procedural50_long_augment_view", ClassifierConfig)
    base = load_config("attributes_procedural50_long", ClassifierConfig)
    assert cfg.augment.active and cfg.augment.heads == ("view",) and cfg.augment.share < 1
    assert dataclasses.replace(cfg, name=base.name, augment=base.augment) == base


def test_heads_decide_which_losses_see_changed_clips_and_the_run_resumes_exactly(tree, tmp_path):  # noqa: F811
    cfg = load_config("attributes_cpu_small", ClassifierConfig)
    aug = AugmentSection(edge_threshold=(0.3, 0.7), x_scale=(0.8, 1.2), share=0.5, heads=("view",))
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, channels=(16, 16, 16, 16), embed_dim=4),
                              train=tiny_config(total_steps=4).train, augment=aug)
    train_classifiers(cfg, tree, tmp_path / "a", max_steps=2, progress=False)
    train_classifiers(cfg, tree, tmp_path / "a", progress=False)
    train_classifiers(cfg, tree, tmp_path / "b", progress=False)
    every_head = dataclasses.replace(cfg, augment=dataclasses.replace(aug, heads=()))
    train_classifiers(every_head, tree, tmp_path / "c", progress=False)
    wa, wb, wc = (load_file(tmp_path / r / "model" / "model.safetensors") for r in "abc")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    # the same clips and draws; only the clothing and carry losses differ, so their heads' weights differ
    assert not all(torch.equal(wa[k], wc[k]) for k in wa if k.startswith("heads.clothing"))


def test_training_with_randomization_resumes_exactly_and_differs_from_without(tree, tmp_path):  # noqa: F811
    cfg = load_config("attributes_cpu_small", ClassifierConfig)
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, channels=(16, 16, 16, 16), embed_dim=4),
                              train=tiny_config(total_steps=4).train,
                              augment=AugmentSection(edge_threshold=(0.3, 0.7), x_scale=(0.8, 1.2)))
    train_classifiers(cfg, tree, tmp_path / "a", progress=False)
    train_classifiers(cfg, tree, tmp_path / "b", max_steps=2, progress=False)
    train_classifiers(cfg, tree, tmp_path / "b", progress=False)
    plain = dataclasses.replace(cfg, augment=AugmentSection())
    train_classifiers(plain, tree, tmp_path / "c", progress=False)
    wa, wb, wc = (load_file(tmp_path / r / "model" / "model.safetensors") for r in "abc")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)
    assert np.isfinite(float(next(iter(wa.values())).float().sum()))


def test_recognizer_trains_with_randomization_and_the_fused_recognizer_refuses_it(tree, tmp_path):  # noqa: F811
    from eval.training.recognizer_config import RecognizerConfig
    from eval.training.train_recognizer import train

    aug = AugmentSection(edge_threshold=(0.3, 0.7))
    train(dataclasses.replace(tiny_config(total_steps=2), augment=aug), tree, tmp_path / "a", progress=False)
    train(tiny_config(total_steps=2), tree, tmp_path / "b", progress=False)
    wa, wb = (load_file(tmp_path / r / "model" / "model.safetensors") for r in "ab")
    assert not all(torch.equal(wa[k], wb[k]) for k in wa)
    path = tmp_path / "heads.yaml"
    path.write_text("kind: recognizer\nname: r\naugment:\n  x_scale: [0.9, 1.1]\n  share: 0.5\n  heads: [view]\n")
    with pytest.raises(ConfigError, match="classifier heads"):
        load_config(path, RecognizerConfig)
    path = tmp_path / "fused.yaml"
    path.write_text("kind: fused_recognizer\nname: f\naugment:\n  x_scale: [0.9, 1.1]\n")
    with pytest.raises(ConfigError, match="fused recognizer"):
        load_config(path, RecognizerConfig, kinds=("fused_recognizer",))
