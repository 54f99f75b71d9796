"""Recognizer training under accelerate: checkpoints, exact resume, short identities, configs, eval + cache."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from eval.evaluation.classifiers import evaluate_classifiers, load_classifiers
from eval.evaluation.recognizer import evaluate, load_recognizer
from eval.evaluation.report import format_table
from eval.training.recognizer_config import ClassifierConfig, RecognizerConfig
from eval.training.train_classifiers import train_classifiers
from eval.training.train_recognizer import train
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import CheckpointError, ConfigError, DataError
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.training import load_config
from gaitcraft.types import Sequence, SequenceLabels

# subject 003 has fewer than k sequences on purpose; test_train_checkpoints_and_exact_resume checks the warning
pytestmark = pytest.mark.filterwarnings("ignore:.*fewer than k=")


def blob_sequence(subject: int, t: int, seed: int) -> np.ndarray:
    """A 64x64 walker-like blob: body width and leg swing depend on the subject. `[t, 64, 64]` uint8."""
    rng = np.random.default_rng(seed)
    out = np.zeros((t, 64, 64), np.uint8)
    yy, xx = np.mgrid[0:64, 0:64]
    half = 4 + 2 * subject
    for i in range(t):
        swing = (3 + subject) * np.sin(2 * np.pi * (i + rng.integers(0, 3)) / 10)
        body = (np.abs(xx - 32) < half) & (yy > 8) & (yy < 38)
        legs = (np.abs(xx - 32 - swing * (yy - 38) / 26) < 3) & (yy >= 38) & (yy < 63)
        out[i][body | legs] = 255
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    seqs = []
    for s in range(4):
        types = ("nm-01", "nm-05") if s == 3 else ("nm-01", "nm-02", "nm-05", "bg-01", "cl-01")
        for t in types:
            for v in (0.0, 90.0):
                if s == 3 and t == "nm-01" and v == 90.0:
                    continue  # subject 003 keeps 3 sequences, fewer than k = 4
                clothing, carry = ("coat" if t[:2] == "cl" else "normal"), ("backpack" if t[:2] == "bg" else "none")
                labels = SequenceLabels(f"{s:03d}", t, v, clothing, carry, source="test")
                seqs.append(Sequence(blob_sequence(s, 12, hash((s, t, v)) % 1000), labels))
    write_opengait_tree(root, seqs)
    return DatasetIndex.open(root)


def tiny_config(**train) -> RecognizerConfig:
    cfg = load_config("gaitbase_cpu_small", RecognizerConfig)
    model = dataclasses.replace(cfg.model, channels=(16, 16, 16, 16), embed_dim=8)
    base = {"total_steps": 4, "p": 2, "k": 4, "frames": 6, "save_every": 2, "log_every": 1, "mixed_precision": "no"}
    t = dataclasses.replace(cfg.train, **(base | train))
    return dataclasses.replace(cfg, model=model, train=t, optim=dataclasses.replace(cfg.optim, milestones=(3,)))


def test_train_checkpoints_and_exact_resume(tree, tmp_path):
    cfg = tiny_config()
    with pytest.warns(UserWarning, match="fewer than k=4"):
        full = train(cfg, tree, tmp_path / "a", progress=False)
    assert full["steps"] == 4 and full["short_identities"] == ["003"]
    train(cfg, tree, tmp_path / "b", max_steps=2, progress=False)
    resumed = train(cfg, tree, tmp_path / "b", progress=False)
    assert resumed["steps"] == 4
    wa, wb = (load_file(tmp_path / run / "model" / "model.safetensors") for run in ("a", "b"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)  # resume continues exactly
    assert sorted(p.name for p in (tmp_path / "a" / "checkpoints").iterdir()) == ["step-0000002", "step-0000004"]
    log = [json.loads(x) for x in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4] and log[-1]["lr"] == pytest.approx(0.01)  # milestone 3
    model, meta = load_recognizer(tmp_path / "a")
    assert meta["classes"] == ["000", "001", "002", "003"] and meta["finished"]
    assert model.cfg.channels == (16, 16, 16, 16)


def test_resume_with_another_config_is_refused(tree, tmp_path):
    train(tiny_config(), tree, tmp_path, max_steps=2, progress=False)
    with pytest.raises(CheckpointError, match="another config"):
        train(tiny_config(seed=5), tree, tmp_path, progress=False)


def test_bf16_and_per_source_mining_train(tree, tmp_path):
    cfg = tiny_config(mixed_precision="bf16", total_steps=2)
    cfg = dataclasses.replace(cfg, loss=dataclasses.replace(cfg.loss, per_source_mining=True))
    out = train(cfg, tree, tmp_path, progress=False)
    assert out["steps"] == 2 and np.isfinite(out["last"]["loss"]) and out["sources"] == ["test"]


def test_config_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: recognizer\ntrain:\n  totl_steps: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: unknown key 'train.totl_steps'; valid keys in section 'train'"):
        load_config(bad, RecognizerConfig, kinds=("recognizer",))
    bad.write_text("kind: recognizer\ntrain:\n  sampling: all_ordered\n")
    with pytest.raises(ConfigError, match="bad.yaml: .*fixed_unordered or fixed_ordered"):
        load_config(bad, RecognizerConfig, kinds=("recognizer",))
    with pytest.raises(ConfigError, match="built-in names.*gaitbase_casiab"):
        load_config("nope", RecognizerConfig)
    bad.write_text("kind: recognizer\nmodel:\n  channels: [8, 16, 32]\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: section 'model': channels, layers and strides need 4 entries"):
        load_config(bad, RecognizerConfig, kinds=("recognizer",))
    with pytest.raises(ConfigError, match=r"attributes_cpu_small.yaml: a classifiers config; .* takes a recognizer"):
        load_config("attributes_cpu_small", RecognizerConfig)
    recipe, defaults = load_config("gaitbase_casiab", RecognizerConfig), RecognizerConfig()  # the defaults are OpenGait's recipe
    assert (recipe.model, recipe.loss, recipe.optim) == (defaults.model, defaults.loss, defaults.optim)
    assert (recipe.train.p, recipe.train.k, recipe.train.frames, recipe.train.total_steps) == (8, 16, 30, 60000)


def test_evaluate_protocols_and_embedding_cache(tree, tmp_path):
    train(tiny_config(total_steps=2), tree, tmp_path / "run", progress=False)
    cache = tmp_path / "cache"
    res = evaluate(tmp_path / "run", tree, "casia-b", probe_sets={"NM": ("nm-05",), "BG": ("bg-01",)},
                   cache=cache, progress=False)
    assert set(res["probe_sets"]) == {"NM", "BG"} and res["sequences"] == len(tree)
    assert len(list(cache.rglob("*.npz"))) == 1
    again = evaluate(tmp_path / "run", tree, "casia-b", probe_sets={"NM": ("nm-05",), "BG": ("bg-01",)},
                     cache=cache, progress=False)
    assert again["probe_sets"] == res["probe_sets"]
    gen = evaluate(tmp_path / "run", tree, "generic", gallery={"seq_types": ["nm-01"]},
                   probe={"seq_types": ["nm-05"]}, cache=cache, progress=False)
    assert 0 <= gen["rank-1"] <= 100 and "eer" in gen["verification"]
    with pytest.raises(CheckpointError, match="no trained model here"):
        load_recognizer(tmp_path)


def test_attribute_classifiers_train_and_eval(tree, tmp_path):
    cfg = load_config("attributes_cpu_small", ClassifierConfig)
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, channels=(16, 16, 16, 16), embed_dim=4),
                              train=tiny_config(total_steps=2).train)
    out = train_classifiers(cfg, tree, tmp_path / "cls", progress=False)
    assert out["classes"] == {"view": [0.0, 90.0], "clothing": ["coat", "normal"], "carry": ["backpack", "none"]}
    res = evaluate_classifiers(tmp_path / "cls", tree.filter(views=[90]), progress=False)
    assert set(res["attributes"]) == {"view", "clothing", "carry"} and res["sequences"] == 16
    assert "| view |" in format_table(res)
    from eval.commands import classifiers_eval

    classifiers_eval(str(tree.root), str(tmp_path / "cls"), str(tmp_path / "c.json"), split="all", progress=False)
    written = json.loads((tmp_path / "c.json").read_text())
    assert written["sequences"] == len(tree) and written["inputs"] == {
        "data": str(tree.root), "checkpoint": str(tmp_path / "cls"), "split": "all", "partition": None}
    with pytest.raises(CheckpointError, match="not attribute classifiers"):
        train(tiny_config(total_steps=1), tree, tmp_path / "rec", progress=False)
        load_classifiers(tmp_path / "rec")


def test_cli_entry_points_use_the_partition(tree, tmp_path, capsys):
    from eval.commands import recognizer_eval, recognizer_train
    from gaitcraft.io.opengait_tree import write_partition
    from gaitcraft.splits import evaluation_index

    part = tmp_path / "part.json"
    write_partition(part, ["000", "001", "002"], ["003"])
    assert {r.labels.subject for r in evaluation_index(tree.root, "test", part).records} == {"003"}
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(json.dumps(tiny_config(total_steps=1).to_dict()))  # JSON is YAML
    summary = recognizer_train(str(tree.root), str(tmp_path / "run"), str(cfg), partition=str(part), progress=False)
    assert summary["identities"] == 3 and "trained 1 steps" in capsys.readouterr().out
    write_partition(tmp_path / "one.json", ["003"], ["000"])
    with pytest.raises(DataError, match="needs at least p=2 identities"):
        recognizer_train(str(tree.root), str(tmp_path / "r2"), str(cfg), partition=str(tmp_path / "one.json"))
    res = recognizer_eval(str(tree.root), str(tmp_path / "run"), "generic", json_out=str(tmp_path / "r.json"),
                          split="all", progress=False)
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["probe"] == res["probe"] == len(tree)
    assert written["inputs"] == {"data": str(tree.root), "checkpoint": str(tmp_path / "run"), "protocol": "generic",
                                 "split": "all", "partition": None}
    assert "mAP" in capsys.readouterr().out


def test_fused_recognizer_trains_and_evaluates_through_the_recognizer_cli(tree, tmp_path, capsys):
    """`recognizer train --reconstructor` trains the fused (silhouette + 3D) model with the shipped reconstructor;
    `recognizer eval` detects the fused run and scores it with the same protocol."""
    import yaml

    from gaitcraft.cli import main
    from gaitcraft.paths import REPO_ROOT

    recon = REPO_ROOT / "assets" / "models" / "reconstructor"
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text(yaml.safe_dump(dataclasses.replace(tiny_config(total_steps=2), kind="fused_recognizer").to_dict()))
    run = tmp_path / "fused"
    root = str(tree.records[0].path.parents[2])
    assert main(["recognizer", "train", "--data", root, "--out", str(run), "--config", str(cfg_file),
                 "--partition", "all", "--reconstructor", str(recon)]) == 0
    meta = json.loads((run / "model" / "meta.json").read_text())
    assert meta["kind"] == "fused" and meta["step"] == 2
    assert main(["recognizer", "eval", "--data", root, "--checkpoint", str(run), "--split", "all",
                 "--json", str(tmp_path / "r.json")]) == 0
    res = json.loads((tmp_path / "r.json").read_text())
    assert res["sequences"] == len(tree) and set(res["probe_sets"]) >= {"NM", "BG", "CL"}
    # a fused run whose reconstructor changed since training is refused by name
    meta["reconstructor_id"] = "0" * 16
    (run / "model" / "meta.json").write_text(json.dumps(meta))
    assert main(["recognizer", "eval", "--data", root, "--checkpoint", str(run), "--split", "all"]) != 0
    assert "is not the one this fused run was trained with" in capsys.readouterr().err


SUBPROCESS = """
import sys, torch
torch.set_num_threads(1)
from gaitcraft.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["recognizer", "classifiers"])
def test_a_run_stopped_in_one_process_and_resumed_in_another_ends_with_the_same_weights(tree, tmp_path, command):
    """Stopped at a step that is no checkpoint interval (3 of 4, saving every 2) by a separate process, then
    finished here: the same weights as an uninterrupted run."""
    import os
    import subprocess
    import sys

    import yaml

    from gaitcraft.cli import main
    from gaitcraft.paths import REPO_ROOT

    tiny = tiny_config()
    cfg = tiny if command == "recognizer" else dataclasses.replace(
        load_config("attributes_cpu_small", ClassifierConfig), train=tiny.train, model=tiny.model)
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg.to_dict()))
    args = [command, "train", "--data", str(tree.root), "--partition", "all", "--config", str(cfg_file), "--out"]
    assert main([*args, str(tmp_path / "straight")]) == 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", SUBPROCESS, *args, str(tmp_path / "pieces"), "--max-steps", "3"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "pieces" / "model" / "meta.json").read_text())["step"] == 3
    assert main([*args, str(tmp_path / "pieces")]) == 0
    a, b = (load_file(tmp_path / run / "model" / "model.safetensors") for run in ("straight", "pieces"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("command", ["recognizer", "classifiers"])
def test_seed_flag_reseeds_the_run_and_the_configs_seed_is_the_default(tree, tmp_path, command):
    """`--seed S` trains the config with train.seed S (recorded in the model's meta), so a seed repeat needs no
    config copy; without it the config's seed trains, and the same seed gives the same weights."""
    import yaml

    from gaitcraft.cli import main

    tiny = tiny_config(total_steps=2)
    cfg = tiny if command == "recognizer" else dataclasses.replace(
        load_config("attributes_cpu_small", ClassifierConfig), train=tiny.train, model=tiny.model)
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg.to_dict()))
    args = [command, "train", "--data", str(tree.root), "--partition", "all", "--config", str(cfg_file), "--out"]
    runs = {"default": [], "same": ["--seed", str(cfg.train.seed)], "other": ["--seed", str(cfg.train.seed + 7)]}
    for name, extra in runs.items():
        assert main([*args, str(tmp_path / name), *extra]) == 0
    meta = {n: json.loads((tmp_path / n / "model" / "meta.json").read_text()) for n in runs}
    assert [meta[n]["config"]["train"]["seed"] for n in runs] == [cfg.train.seed] * 2 + [cfg.train.seed + 7]
    w = {n: load_file(tmp_path / n / "model" / "model.safetensors") for n in runs}
    assert all(torch.equal(w["default"][k], w["same"][k]) for k in w["default"])
    assert not all(torch.equal(w["default"][k], w["other"][k]) for k in w["default"])
