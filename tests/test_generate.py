"""`gaitcraft generate`: output tree, previews, determinism and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from conditioning import ConditionEncoder
from diffusion import GaitCraftPipeline, SilhouetteAutoencoder, SpatioTemporalUNet, make_scheduler
from gaitcraft.cli import main
from gaitcraft.io.opengait_tree import read_opengait_sequence
from synth_datasets.generated.plan import sequence_seed

IDS = ["001", "002", "003", "004", "005", "006"]


def save_tiny_model(path: Path, carry: tuple[str, ...] = ("bag", "none")) -> Path:
    """A tiny random generator (6 identities, coat/normal, `carry` values, 6 frames, up to 12) saved to `path`."""
    torch.manual_seed(0)
    unet = SpatioTemporalUNet(block_channels=(16, 32), layers_per_block=1, spatial_attention=(False, True),
                              temporal_attention=(False, True), head_dim=8, cond_dim=32, emb_dim=32,
                              norm_group_size=8, num_frames=6, max_frames=12)
    for p in unet.parameters():  # wake zero-initialised layers so conditions change the output
        if torch.count_nonzero(p) == 0:
            torch.nn.init.normal_(p, std=0.05)
    ae = SilhouetteAutoencoder(channels=(8, 16), norm_group_size=8)
    enc = ConditionEncoder(identities=IDS, clothing=["coat", "normal"], carry=list(carry), identity_dim=8,
                           factor_dim=16, cond_dim=32, view_frequencies=3)
    GaitCraftPipeline(unet.eval(), ae.eval(), enc.eval(), make_scheduler("dpm++")).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("gen") / "model")


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _gen(model, out, *extra):
    return main(["generate", "--model", str(model), "--out", str(out), "--steps", "2", *extra])


def test_generate_writes_tree_manifest_gifs_and_sheet(model, tmp_path, capsys):
    assert _gen(model, tmp_path / "a", "--novel", "2", "--view", "0", "90", "--carry", "bag", "--seed", "1") == 0
    root = tmp_path / "a"
    rows = [json.loads(x) for x in (root / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in rows) == ["novel001s1/bg-01/000", "novel001s1/bg-01/090",
                                              "novel002s1/bg-01/000", "novel002s1/bg-01/090"]
    lab = rows[0]["labels"]
    recipe = lab["provenance"]["identity_recipe"]
    assert lab["carry"] == "bag" and recipe["kind"] == "vector" and recipe["meta"]["method"] == "gaussian"
    assert len(lab["provenance"]["model_sha256"]) == 64 and lab["provenance"]["seed"] == 1
    arr = read_opengait_sequence(root / "novel001s1" / "bg-01" / "090" / "090.pkl")
    assert arr.shape == (6, 64, 64) and arr.dtype == np.uint8 and set(np.unique(arr)) <= {0, 255}
    assert len(list((root / "previews").glob("*.gif"))) == 4 and (root / "previews" / "contact_sheet.png").is_file()
    assert json.loads((root / "partition.json").read_text())["TRAIN_SET"] == ["novel001s1", "novel002s1"]
    assert "generated 4 sequences" in capsys.readouterr().out


def test_generate_is_reproducible_per_seed(model, tmp_path):
    args = ("--identity", "003", "--view", "45", "90", "--clothing", "coat", "--frames", "8")
    assert _gen(model, tmp_path / "a", *args, "--seed", "5") == 0
    assert _gen(model, tmp_path / "b", *args, "--seed", "5", "--batch", "1") == 0
    assert _gen(model, tmp_path / "c", *args, "--seed", "6") == 0
    a, b, c = (files(tmp_path / n) for n in "abc")
    pkl = "gen003/cl-01/090/090.pkl"
    assert a == b  # same seed: identical files, whatever the batch size
    assert a[pkl] != c[pkl]


def test_per_factor_guidance_flag(model, tmp_path):
    args = ("--identity", "003", "--view", "90", "--frames", "6", "--seed", "2")
    assert _gen(model, tmp_path / "per", *args, "--guidance", "identity=3,view=2") == 0
    assert _gen(model, tmp_path / "joint", *args, "--guidance", "3") == 0
    row = json.loads((tmp_path / "per" / "manifest.jsonl").read_text().splitlines()[0])
    assert row["labels"]["provenance"]["guidance"] == {"identity": 3.0, "view": 2.0}
    pkl = "gen003/nm-01/090/090.pkl"
    assert files(tmp_path / "per")[pkl] != files(tmp_path / "joint")[pkl]


def test_generated_ids_are_prefixed_and_the_prefix_is_in_the_manifest(model, tmp_path):
    assert _gen(model, tmp_path / "a", "--identity", "001", "--view", "90", "--frames", "6") == 0
    assert _gen(model, tmp_path / "a", "--novel", "1", "--view", "90", "--frames", "6") == 0
    rows = {r["path"]: r["labels"] for r in map(json.loads, (tmp_path / "a" / "manifest.jsonl").read_text().splitlines())}
    # training identity '001' must not become subject '001', a real CASIA-B id
    assert sorted(rows) == ["gen001/nm-01/090", "novel001s0/nm-01/090"]
    gen, novel = rows["gen001/nm-01/090"], rows["novel001s0/nm-01/090"]
    assert gen["subject"] == "gen001" and gen["provenance"]["subject_prefix"] == "gen"
    assert gen["provenance"]["identity_recipe"]["ids"] == ["001"]
    # the prefix names the walk; it does not change it: the seed is drawn from the identity, as before prefixes
    assert gen["provenance"]["sequence_seed"] == sequence_seed(0, ("001", "nm-01", "090"))
    assert novel["provenance"]["subject_prefix"] == "novel"
    assert novel["provenance"]["sequence_seed"] == sequence_seed(0, ("novel001s0", "nm-01", "090"))
    assert json.loads((tmp_path / "a" / "partition.json").read_text())["TRAIN_SET"] == ["gen001", "novel001s0"]


def test_earlier_sequences_are_never_silently_replaced(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "model", carry=("backpack", "handbag", "none"))
    out = tmp_path / "o"
    args = ("--identity", "003", "--view", "90", "--frames", "6")
    assert _gen(model, out, *args, "--carry", "backpack") == 0
    before = files(out)
    assert _gen(model, out, *args, "--carry", "backpack") == 0  # the same command again: kept, same bytes
    assert files(out) == before
    capsys.readouterr()
    # another carried object lands in the same bg-01 folder: refused, one line naming the file, nothing changed
    assert _gen(model, out, *args, "--carry", "handbag") == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"gaitcraft generate: error: {out / 'gen003/bg-01/090/090.pkl'}: ")
    assert "differs in carry" in err and "--overwrite" in err
    assert files(out) == before
    assert _gen(model, out, *args, "--seed", "1", "--carry", "backpack") == 2  # another seed: also refused
    assert "differs in provenance.seed, provenance.sequence_seed" in capsys.readouterr().err
    # asked for: replaced
    assert _gen(model, out, *args, "--carry", "handbag", "--overwrite") == 0
    row = json.loads((out / "manifest.jsonl").read_text())
    assert row["labels"]["carry"] == "handbag" and files(out)["gen003/bg-01/090/090.pkl"] != before["gen003/bg-01/090/090.pkl"]


@pytest.mark.parametrize("extra, message", [
    (("--identity", "001", "--clothing", "cape"), "unknown clothing 'cape'; this model knows: coat, normal"),
    (("--identity", "001", "--carry", "umbrella"), "unknown carry 'umbrella'; this model knows: bag, none"),
    (("--identity", "999"), "unknown identity '999'; this model knows: 001, 002, 003, 004, 005, 006"),
    (("--identity", "001", "--view", "360"), r"view 360.0 is outside [0, 360)"),
    (("--identity", "001", "--frames", "13"), "num_frames=13 is not supported by this model: it takes 1..12"),
    (("--novel", "0"), "--novel must be at least 1"),
    (("--identity", "001", "--guidance", "hat=2"), "unknown factors ['hat'] in guidance_scale; valid: identity"),
])
def test_bad_input_is_one_line_error(model, tmp_path, capsys, extra, message):
    assert _gen(model, tmp_path / "o", *extra) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("gaitcraft generate: error: ") and message in err


def test_missing_shipped_model_is_one_line_error(tmp_path, capsys, monkeypatch):
    import synth_datasets.generated.generator as mi

    monkeypatch.setattr(mi, "DEFAULT_MODEL", tmp_path / "nope")
    assert main(["generate", "--out", str(tmp_path / "o"), "--identity", "001"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no shipped generator" in err and "gaitcraft train --data DIR --out RUN" in err
    assert main(["generate", "--model", str(tmp_path / "x"), "--out", str(tmp_path / "o"), "--novel", "1"]) == 2
    assert "model folder does not exist" in capsys.readouterr().err
