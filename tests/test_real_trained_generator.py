"""A generator trained on a real-style tree (OpenGait layout, CASIA-B naming, no manifest, the split in a separate
OpenGait partition JSON, as real CASIA-B comes): it records its training data; `generate` takes CASIA-B's
condition and view names; the `synth` card says which real data trained it; and the privacy audit takes the
generator's own training identities as its gallery (`--reference RUN`)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from gaitcraft.cli import main
from gaitcraft.errors import ConfigError
from gaitcraft.io.opengait_tree import write_partition
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.paths import REPO_ROOT
from gaitcraft.training_data import data_kind
from gaitcraft.types import Sequence, SequenceLabels
from gaitcraft.vocab import CASIA_B_VIEWS, casia_b_condition, model_value
from tests.test_recognizer_train import blob_sequence

GENERATOR = str(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml")
RECOGNIZER = """kind: recognizer
name: tiny
model: {channels: [16, 16, 16, 16], embed_dim: 8}
train: {total_steps: 2, p: 2, k: 4, frames: 6, save_every: 2, log_every: 1, mixed_precision: "no"}
optim: {milestones: [3]}
"""
TRAIN, HELD_OUT = ["001", "002", "003", "004"], ["005", "006"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """{'tree', 'split', 'run', 'recognizer', 'stdout'}: a tiny generator and recognizer trained on TRAIN."""
    base = tmp_path_factory.mktemp("real")
    seqs = []
    for s, subject in enumerate(TRAIN + HELD_OUT):
        for t in ("nm-01", "nm-02", "bg-01", "cl-01"):
            for v in (0.0, 90.0):
                seqs.append(Sequence(blob_sequence(s % 4, 12, hash((subject, t, v)) % 1000),
                                     SequenceLabels(subject, t, v, source="casiab")))
    tree = write_opengait_tree(base / "casiab", seqs, manifest=False)  # labels from the type names, as CASIA-B
    split = base / "CASIA-B.json"
    write_partition(split, TRAIN, HELD_OUT)
    run, rec = base / "run", base / "rec"
    (base / "rec.yaml").write_text(RECOGNIZER)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", "--data", str(tree), "--partition", str(split), "--out", str(run), "--config",
                     GENERATOR]) == 0
    assert main(["recognizer", "train", "--data", str(tree), "--partition", str(split), "--out", str(rec),
                 "--config", str(base / "rec.yaml")]) == 0
    return {"tree": tree, "split": split, "run": run, "recognizer": rec, "stdout": out.getvalue()}


def rows(root: Path) -> list[dict]:
    return [json.loads(x) for x in (root / "manifest.jsonl").read_text().splitlines()]


def test_training_records_the_tree_its_split_and_that_it_is_real(trained):
    for folder in (trained["run"], trained["run"] / "model"):
        record = json.loads((folder / "training_data.json").read_text())
        assert record["tree"] == str(trained["tree"].resolve()) and record["kind"] == "real"
        assert record["split"] == str(trained["split"]) and record["split_file"] == str(trained["split"].resolve())
        assert record["train_ids"] == TRAIN and record["held_out_ids"] == HELD_OUT and record["sequences"] == 32
    assert "is real (not GaitCraft-made) data" in trained["stdout"]


def test_data_kind_tells_gaitcraft_made_trees_from_real_ones():
    procedural = {"generator": "gaitcraft-procedural", "seed": 0}
    generated = {"generator": "gaitcraft-diffusion", "seed": 0}
    assert data_kind([procedural, procedural]) == "procedural"
    assert data_kind([procedural, generated]) == "synthetic"
    assert data_kind([procedural, None]) == "real"  # one sequence of unknown origin makes the tree real
    assert data_kind([{"generator": "casia"}]) == "real" and data_kind([]) == "real"


def test_generate_takes_casia_b_condition_and_view_names(trained, tmp_path):
    model = trained["run"] / "model"
    assert json.loads((model / "condition_encoder" / "config.json").read_text())["carry"] == ["bag", "none"]
    gen = ["generate", "--model", str(model), "--novel", "1", "--frames", "6", "--steps", "2"]
    assert main([*gen, "--out", str(tmp_path / "cl"), "--condition", "cl", "--view", "casia-b"]) == 0
    made = rows(tmp_path / "cl")
    assert sorted(r["labels"]["view"] for r in made) == list(CASIA_B_VIEWS)
    assert {(r["path"].split("/")[1], r["labels"]["clothing"], r["labels"]["carry"]) for r in made} == {
        ("cl-01", "coat", "none")}
    # per-factor CASIA-B names, and CASIA-B's view folder names
    assert main([*gen, "--out", str(tmp_path / "bg"), "--carry", "bg", "--view", "018", "090"]) == 0
    made = rows(tmp_path / "bg")
    assert {(r["path"].split("/")[1], r["labels"]["carry"]) for r in made} == {("bg-01", "bag")}
    assert sorted(r["labels"]["view"] for r in made) == [18.0, 90.0]
    # the same walk asked for by either vocabulary is the same file
    assert main([*gen, "--out", str(tmp_path / "bag"), "--condition", "bg", "--view", "18", "90"]) == 0
    assert main([*gen, "--out", str(tmp_path / "bag2"), "--carry", "bag", "--view", "18", "90"]) == 0
    assert (tmp_path / "bag" / "novel001s0/bg-01/090/090.pkl").read_bytes() == \
        (tmp_path / "bag2" / "novel001s0/bg-01/090/090.pkl").read_bytes()


@pytest.mark.parametrize("extra, message", [
    (("--carry", "backpack"), "unknown carry 'backpack'; this model knows: bag, none (CASIA-B names: nm, bg)"),
    (("--clothing", "bg"), "unknown clothing 'bg'; this model knows: coat, normal (CASIA-B names: nm, cl)"),
    (("--condition", "bg", "--clothing", "cl"), "condition 'bg' contradicts clothing coat (that is CASIA-B 'cl')"),
    (("--condition", "xx"), "invalid choice: 'xx'"),
])
def test_a_condition_the_model_does_not_know_is_one_line_naming_the_valid_ones(trained, tmp_path, capsys, extra,
                                                                                message):
    args = ["generate", "--model", str(trained["run"] / "model"), "--novel", "1", "--out", str(tmp_path / "o"),
            "--frames", "6", "--steps", "2", *extra]
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own choice check
        code = e.code
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and message in err
    assert not (tmp_path / "o").exists()


def test_condition_names_map_to_each_models_vocabulary_both_ways():
    casia = {"clothing": ["coat", "normal"], "carry": ["bag", "none"]}
    walker = {"clothing": ["coat", "normal"], "carry": ["backpack", "handbag", "none", "shoulder_bag"]}
    assert casia_b_condition("bg", casia) == {"clothing": "normal", "carry": "bag"}
    assert casia_b_condition("bg", walker) == {"clothing": "normal", "carry": "shoulder_bag"}
    assert model_value("carry", "bg", walker) == "shoulder_bag" and model_value("carry", "handbag", walker) == "handbag"
    assert model_value("clothing", "cl", casia) == "coat" and model_value("carry", "nm", casia) == "none"
    no_coat = {"clothing": ["normal"], "carry": ["bag", "none"]}
    with pytest.raises(ConfigError, match=r"condition 'cl' \(in a coat\) needs clothing 'coat', which this model "
                                          r"does not know \(its clothing: normal \(CASIA-B names: nm\)\); conditions "
                                          r"it can make: nm, bg"):
        casia_b_condition("cl", no_coat)


def test_synth_card_says_which_real_data_trained_the_generator(trained, tmp_path):
    out = tmp_path / "ds"
    assert main(["synth", "--model", str(trained["run"] / "model"), "--out", str(out), "--identities", "1",
                 "--types", "nm:1", "--views", "90", "--frames", "6", "--steps", "2"]) == 0
    card = " ".join((out / "README.md").read_text().split())
    assert "## Training data of the generator" in card
    assert f"tree: `{trained['tree'].resolve()}`: real, third-party data" in card
    assert f"split: the OpenGait partition JSON `{trained['split'].resolve()}`;" in card
    assert "trained on the 4 training identities (001, 002, 003, 004), 2 held out (005, 006)" in card
    assert "training sequences: 32" in card
    assert "inherits their licence" in card and card.count("**Warning:**") == 2  # the summary and the section
    # no audit was asked for: the card says the generator saw real people
    assert "the generator was trained on real people: audit this dataset" in card


def test_privacy_audit_takes_the_generators_training_ids_as_its_gallery(trained, tmp_path):
    out = tmp_path / "ds"
    assert main(["synth", "--model", str(trained["run"] / "model"), "--out", str(out), "--identities", "3",
                 "--types", "nm:1", "--views", "0,90", "--frames", "6", "--steps", "2",
                 "--reference", str(trained["run"]), "--recognizer", str(trained["recognizer"]),
                 "--drop-reidentified"]) == 0
    privacy = json.loads((out / ".synth" / "privacy.json").read_text())
    assert privacy["gallery"] == {"tree": str(trained["tree"].resolve()), "split": str(trained["split"]),
                                  "identities": 4, "held_out": 2}
    assert privacy["identities"] == 3 and {p["nearest"] for p in privacy["per_identity"]} <= set(TRAIN)
    reid = sorted(p["identity"] for p in privacy["per_identity"] if p["reidentified"])
    assert privacy["dropped"] == reid
    kept = {r["labels"]["subject"] for r in rows(out)}
    assert kept == {"syn0001", "syn0002", "syn0003"} - set(reid)
    card = " ".join((out / "README.md").read_text().split())
    assert f"gallery: the 4 training identities of `{trained['tree'].resolve()}` ({trained['split']}); threshold set " \
           "on 2 held-out identities" in card
    assert f"threshold (identity-template distance): {privacy['threshold']:.4f}" in card
    assert f"({len(reid)} re-identified: their nearest training identity is closer" in card
    assert f"identities dropped as too close to a training identity: {len(reid)}" in card


def test_privacy_audit_of_a_tree_takes_the_split_given_for_it(trained, tmp_path):
    # the real tree has no partition.json: --partition names the split, the gallery is its TRAIN_SET
    syn = tmp_path / "syn"
    assert main(["generate", "--model", str(trained["run"] / "model"), "--novel", "2", "--out", str(syn),
                 "--frames", "6", "--steps", "2", "--view", "0", "90"]) == 0
    args = ["privacy-audit", "--synthetic", str(syn), "--recognizer", str(trained["recognizer"])]
    assert main([*args, "--reference", str(trained["tree"]), "--partition", str(trained["split"]),
                 "--out", str(tmp_path / "tree")]) == 0
    assert main([*args, "--reference", str(trained["run"] / "model"), "--out", str(tmp_path / "run")]) == 0
    by_tree = json.loads((tmp_path / "tree" / "report.json").read_text())
    by_run = json.loads((tmp_path / "run" / "report.json").read_text())
    assert by_tree["gallery"]["identities"] == by_run["gallery"]["identities"] == 4
    assert by_tree["threshold"] == pytest.approx(by_run["threshold"])
    assert "gallery: the 4 training identities" in (tmp_path / "run" / "report.md").read_text()
