"""Augmentation experiment end to end (2 training steps on tiny data), then the privacy audit and curation of a
generated dataset with the trained recognizer (`gaitcraft privacy-audit`, `gaitcraft synth --reference`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.evaluation.augment_experiment import (
    augmented_config,
    combine,
    experiment_config,
    mean_rank1,
    merge_synthetic,
)
from eval.training.train_loop import pk_sampler
from gaitcraft.cli import main
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError, DataError
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.types import Sequence, SequenceLabels
from tests.test_generate import save_tiny_model
from tests.test_recognizer_train import blob_sequence

TINY = """kind: recognizer
name: tiny
model: {channels: [16, 16, 16, 16], embed_dim: 8}  # fewer channels crash oneDNN conv backward on some CPUs (4 on AVX2, 8 on AVX-512)
train: {total_steps: 2, p: 2, k: 4, frames: 6, save_every: 2, log_every: 1, mixed_precision: "no"}
optim: {milestones: [3]}
"""
TEST_TYPES = ("nm-01", "nm-02", "nm-03", "nm-04", "nm-05", "bg-01", "cl-01")


def tree(root: Path, groups: list[tuple[list[str], tuple[str, ...]]], source: str, train: list[str],
         test: list[str]) -> Path:
    """A tiny OpenGait tree of walker blobs at views 0 and 90 ((subjects, types) groups), with a partition."""
    seqs = []
    for s, subject, types in [(s, subj, ty) for subjects, ty in groups for s, subj in enumerate(subjects)]:
        for t in types:
            for v in (0.0, 90.0):
                clothing, carry = ("coat" if t[:2] == "cl" else "normal"), ("bag" if t[:2] == "bg" else "none")
                labels = SequenceLabels(subject, t, v, clothing, carry, source=source)
                seqs.append(Sequence(blob_sequence(s % 4, 10, hash((subject, t, v)) % 1000), labels))
    return write_opengait_tree(root, seqs, train, test)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    base = tmp_path_factory.mktemp("aug")
    train_ids = ["000", "001", "002", "003"]
    real = tree(base / "real", [(train_ids, ("nm-01", "nm-02")), (["004", "005"], TEST_TYPES)], "real", train_ids,
                ["004", "005"])
    syn = tree(base / "syn", [(["syn0001", "syn0002"], ("nm-01", "nm-02"))], "gaitcraft-diffusion",
               ["syn0001", "syn0002"], [])
    (base / "tiny.yaml").write_text(TINY)
    args = ["augment-experiment", "--real", str(real), "--synthetic", str(syn), "--out", str(base / "report"),
            "--config", str(base / "tiny.yaml"), "--steps", "2", "--per-source-mining", "--balance-sources"]
    assert main(args) == 0
    return base


def test_report_and_runs(experiment):
    rep = experiment / "report"
    result = json.loads((rep / "report.json").read_text())
    assert result["steps"] == 2 and result["per_source_mining"] is True and result["balance_sources"] is True
    assert result["config"]["train"]["source_balance"] is True
    runs = result["runs"]
    assert runs["real"]["train"]["identities"] == 4 and runs["real+synthetic"]["train"]["identities"] == 6
    assert runs["real+synthetic"]["train"]["sources"] == ["real", "synthetic"]
    assert set(result["gain"]) == {"NM", "BG", "CL"} and len(runs["real"]["log"]) == 2
    means = {n: sum(runs[n]["rank1"].values()) / 3 for n in runs}
    assert result["mean"] == pytest.approx(means)
    assert result["mean_gain"] == pytest.approx(means["real+synthetic"] - means["real"])
    md = (rep / "report.md").read_text()
    assert "| **gain** |" in md and "| real+synthetic | 6 |" in md
    assert f"| **{result['mean_gain']:.2f}** |" in md and "mean (%)" in md
    assert (rep / "augment.png").stat().st_size > 1000


def test_combine_and_config_helpers(experiment):
    real = DatasetIndex.open(experiment / "real")
    with pytest.raises(DataError, match="share subject ids"):
        combine(real, real)
    cfg = experiment_config("gaitbase_cpu_small", steps=160)
    assert cfg.train.total_steps == 160 and cfg.optim.milestones == (100, 140)
    assert not cfg.train.source_balance and cfg.train.seed == 0
    assert experiment_config("gaitbase_cpu_small", steps=160, seed=5).train.seed == 5
    assert experiment_config("gaitbase_cpu_small", balance_sources=True).train.source_balance
    aug = augmented_config(cfg, 3)
    assert aug.train.source_p == {"real": cfg.train.p, "synthetic": 3} and augmented_config(cfg, None) is cfg
    with pytest.raises(ConfigError, match="synthetic identities per batch must be >= 1"):
        augmented_config(cfg, 0)


def test_synthetic_identities_added_beside_the_real_batch(experiment, tmp_path):
    # the real run keeps P=2 real identities per batch; the augmented run draws those 2 plus 1 synthetic
    rep = tmp_path / "added"
    args = ["augment-experiment", "--real", str(experiment / "real"), "--synthetic", str(experiment / "syn"),
            "--out", str(rep), "--config", str(experiment / "tiny.yaml"), "--steps", "2", "--synthetic-per-batch", "1",
            "--seed", "3"]
    assert main(args) == 0
    result = json.loads((rep / "report.json").read_text())
    assert result["synthetic_per_batch"] == 1 and result["config"]["train"]["source_p"] is None
    assert result["config"]["train"]["seed"] == 3 and result["augmented_config"]["train"]["seed"] == 3
    assert "2 steps each, training seed 3" in (rep / "report.md").read_text()
    assert result["augmented_config"]["train"]["source_p"] == {"real": 2, "synthetic": 1}
    assert "the real run's 2 real identities plus 1 synthetic ones" in (rep / "report.md").read_text()
    # and the trainers' sampler draws exactly that
    mixed = combine(DatasetIndex.open(experiment / "real").split(experiment / "real" / "partition.json")[0],
                    DatasetIndex.open(experiment / "syn"))
    aug = augmented_config(experiment_config(experiment / "tiny.yaml"), 1)
    for batch in pk_sampler(mixed.records, aug.train):
        sources = [mixed.records[i].labels.source for i in batch]
        assert len(batch) == 3 * 4 and sources.count("real") == 2 * 4 and sources.count("synthetic") == 4
    # the seed is what a reseed changes: other batches
    reseeded = augmented_config(experiment_config(experiment / "tiny.yaml", seed=3), 1)
    assert list(pk_sampler(mixed.records, reseeded.train)) != list(pk_sampler(mixed.records, aug.train))


def test_arms_in_separate_processes_then_the_report(experiment, tmp_path, capsys):
    # the real arm alone runs before the synthetic tree exists; the other arm and the report follow
    rep = tmp_path / "arms"
    common = ["--real", str(experiment / "real"), "--out", str(rep), "--config", str(experiment / "tiny.yaml"),
              "--steps", "2", "--synthetic-per-batch", "1"]
    missing = tmp_path / "not_generated_yet"
    assert main(["augment-experiment", "--synthetic", str(missing), *common, "--arm", "real"]) == 0
    assert "real: rank-1 NM" in capsys.readouterr().out
    assert (rep / "runs" / "real" / "log.jsonl").is_file()
    assert not (rep / "runs" / "real_plus_synthetic").exists() and not (rep / "report.json").exists()
    syn = ["--synthetic", str(experiment / "syn")]
    assert main(["augment-experiment", *syn, *common, "--arm", "real+synthetic"]) == 0
    assert not (rep / "report.json").exists()
    real_log = (rep / "runs" / "real" / "log.jsonl").read_text()
    assert main(["augment-experiment", *syn, *common]) == 0
    result = json.loads((rep / "report.json").read_text())
    assert set(result["gain"]) == {"NM", "BG", "CL"}
    # the report's runs are the finished arms, resumed, not trained again
    assert (rep / "runs" / "real" / "log.jsonl").read_text() == real_log
    assert len(result["runs"]["real+synthetic"]["log"]) == 2
    with pytest.raises(SystemExit):  # argparse lists the valid arms
        main(["augment-experiment", *syn, *common, "--arm", "synthetic"])
    assert "invalid choice: 'synthetic'" in capsys.readouterr().err


def test_several_synthetic_trees_train_as_one_source(experiment, tmp_path, capsys):
    walkers = tree(tmp_path / "walkers", [(["p001"], ("nm-01", "nm-02"))], "procedural", ["p001"], [])
    rep = tmp_path / "mixed"
    common = ["--real", str(experiment / "real"), "--out", str(rep), "--config", str(experiment / "tiny.yaml"),
              "--steps", "2", "--synthetic-per-batch", "1"]
    assert main(["augment-experiment", "--synthetic", str(experiment / "syn"), str(walkers), *common]) == 0
    result = json.loads((rep / "report.json").read_text())
    assert result["runs"]["real+synthetic"]["train"]["identities"] == 4 + 2 + 1
    assert result["synthetic"] == f"{experiment / 'syn'} + {walkers}"
    assert f"synthetic: `{experiment / 'syn'} + {walkers}`" in (rep / "report.md").read_text()
    assert {r.labels.subject for r in merge_synthetic([experiment / "syn", walkers])} == {"syn0001", "syn0002", "p001"}
    # the same people twice would train as one: refused in one line that names the tree
    capsys.readouterr()
    again = ["augment-experiment", "--synthetic", str(experiment / "syn"), str(experiment / "syn"), *common[:3],
             str(tmp_path / "twice"), *common[4:]]
    assert main(again) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "subject syn0001 is also in the synthetic tree" in err and str(experiment / "syn") in err


def test_privacy_audit_and_synth_checks_with_a_trained_recognizer(experiment, tmp_path, capsys):
    run = experiment / "report" / "runs" / "real"
    args = ["privacy-audit", "--synthetic", str(experiment / "syn"), "--reference", str(experiment / "real"),
            "--recognizer", str(run), "--out", str(tmp_path / "audit")]
    assert main(args) == 0
    audit = json.loads((tmp_path / "audit" / "report.json").read_text())
    assert audit["identities"] == 2 and "null_rate" in audit and (tmp_path / "audit" / "histogram.png").is_file()
    # a frame limit reads fewer frames of every sequence: other embeddings, so other distances, same identities
    assert main([*args[:-2], "--frames-limit", "1", "--out", str(tmp_path / "audit1")]) == 0
    audit1 = json.loads((tmp_path / "audit1" / "report.json").read_text())
    assert audit1["frames_limit"] == 1 and audit["frames_limit"] == "the recognizer's"
    assert "frames read per sequence: 1" in (tmp_path / "audit1" / "report.md").read_text()
    assert [r["identity"] for r in audit1["per_identity"]] == [r["identity"] for r in audit["per_identity"]]
    assert [r["distance"] for r in audit1["per_identity"]] != [r["distance"] for r in audit["per_identity"]]
    capsys.readouterr()
    assert main([*args[:-2], "--frames-limit", "0", "--out", str(tmp_path / "audit0")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--frames-limit must be at least 1, got 0" in err
    model = save_tiny_model(tmp_path / "model")
    out = tmp_path / "ds"
    args = ["synth", "--model", str(model), "--out", str(out), "--identities", "2", "--types", "nm:2", "--views",
            "0,90", "--frames", "6", "--steps", "2", "--reference", str(experiment / "real"), "--recognizer",
            str(run), "--prune", "0.25", "--drop-reidentified", "--frames-limit", "4"]
    assert main(args) == 0
    curation = json.loads((out / ".synth" / "curation.json").read_text())
    privacy = json.loads((out / ".synth" / "privacy.json").read_text())
    assert privacy["frames_limit"] == 4
    kept = (out / "manifest.jsonl").read_text().splitlines()
    dropped_seqs = 4 * len(privacy["dropped"])
    assert len(curation["pruned"]) == round(0.25 * (8 - dropped_seqs))
    assert len(kept) == 8 - dropped_seqs - len(curation["pruned"])
    card = (out / "README.md").read_text()
    assert "re-identification rate:" in card and f"pruned: {len(curation['pruned'])}" in card
    assert "frames the recognizer read per sequence: 4" in card
    assert main(args) == 0  # a rerun of the finished folder changes nothing
    assert (out / "manifest.jsonl").read_text().splitlines() == kept
    # a frame limit with nothing to read frames for is a mistake, said before any generation
    capsys.readouterr()
    no_checks = tmp_path / "no_checks"
    assert main(["synth", "--model", str(model), "--out", str(no_checks), "--identities", "2", "--frames-limit", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "give --reference, --recognizer or --prune with it" in err
    assert not no_checks.exists()


def test_every_identity_dropped_leaves_an_empty_dataset(experiment, tmp_path, monkeypatch):
    # when the audit re-identifies every novel identity, curation has nothing to rank and the card says so
    monkeypatch.setattr("eval.evaluation.synthetic_checks.reidentified", lambda result: [p["identity"] for p in result["per_identity"]])
    model, out = save_tiny_model(tmp_path / "model"), tmp_path / "ds"
    args = ["synth", "--model", str(model), "--out", str(out), "--identities", "2", "--types", "nm:1", "--views",
            "90", "--frames", "6", "--steps", "2", "--reference", str(experiment / "real"), "--recognizer",
            str(experiment / "report" / "runs" / "real"), "--prune", "0.25", "--drop-reidentified"]
    assert main(args) == 0
    assert (out / "manifest.jsonl").read_text().strip() == ""
    assert len(json.loads((out / ".synth" / "privacy.json").read_text())["dropped"]) == 2
    assert "pruned: 0" in (out / "README.md").read_text()


def test_mean_rank1_needs_every_probe_set():
    assert mean_rank1({"NM": 70.0, "BG": 60.0, "CL": 50.0}) == pytest.approx(60.0)
    assert mean_rank1({"NM": 70.0, "BG": None, "CL": 50.0}) is None
    assert mean_rank1({}) is None
