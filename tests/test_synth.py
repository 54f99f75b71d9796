"""`gaitcraft synth`: dataset layout and card, spec checks before any work, resume, sharding and a SIGKILL
fault test (the resumed output is byte-identical to an uninterrupted run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gaitcraft.cli import main
from gaitcraft.defaults import format_guidance, parse_guidance
from gaitcraft.errors import ConfigError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.types import SequenceLabels
from synth_datasets.generated.build import prepare
from synth_datasets.generated.plan import sequence_seed, shard
from synth_datasets.generated.previews import pick_previews
from synth_datasets.generated.sampling import generate_jobs
from synth_datasets.generated.spec import GeneratedSpec, resolve_spec
from synth_datasets.generated.store import META, row_path
from tests.test_generate import files, save_tiny_model

SMALL = ["--identities", "2", "--types", "nm:2,bg:1,cl:1", "--views", "0,90", "--frames", "6", "--steps", "2"]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("synth") / "model")


def synth(model, out, *extra) -> int:
    return main(["synth", "--model", str(model), "--out", str(out), *extra])


def test_dataset_layout_card_and_provenance(model, tmp_path):
    assert synth(model, tmp_path / "d", *SMALL, "--batch", "3") == 0
    root = tmp_path / "d"
    rows = [json.loads(x) for x in (root / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 4 * 2 and rows[0]["path"] == "syn0001/bg-01/000"
    bg = next(r["labels"] for r in rows if r["path"].split("/")[1] == "bg-01")
    assert (bg["clothing"], bg["carry"]) == ("normal", "bag")
    prov = bg["provenance"]
    assert prov["identity_recipe"]["meta"]["method"] == "gaussian" and len(prov["model_sha256"]) == 64
    assert prov["sequence_seed"] == sequence_seed(0, ("syn0001", "bg-01", "000"))
    assert json.loads((root / "partition.json").read_text()) == {"TRAIN_SET": ["syn0001", "syn0002"], "TEST_SET": []}
    card = (root / "README.md").read_text()
    for needle in ("model sha256", "master seed 0", "## Privacy audit", "## Curation", "mocap.cs.cmu.edu", "anny",
                   "draws from a Gaussian fitted to the generator's identity space"):
        assert needle in card
    assert (root / "previews" / "contact_sheet.png").is_file()
    gifs = [g.stem.split("-") for g in (root / "previews").glob("*.gif")]  # syn0001-nm-01-090
    assert len(gifs) == 4 and {g[-1] for g in gifs} == {"000", "090"}  # the previews show both views
    # view folders hold only the pkl (OpenGait loads every file there)
    assert {p.name for p in root.glob("syn*/*/*/*")} == {"000.pkl", "090.pkl"}


def test_preview_picks_spread_over_views_and_types():
    views = (0.0, 36.0, 72.0, 108.0, 144.0, 180.0)
    labels = [SequenceLabels(f"syn{i:04d}", t, v, "normal", "none", "x") for i in range(1, 6)
              for t in ("nm-01", "bg-01", "cl-01") for v in views]
    picks = pick_previews(labels, per_subject=3, subjects=4)
    assert len({lab.key for lab in picks}) == 12 and {lab.subject for lab in picks} == {"syn0001", "syn0002",
                                                                                         "syn0003", "syn0004"}
    assert {lab.view for lab in picks} == set(views)
    for subject in {lab.subject for lab in picks}:
        assert {lab.seq_type for lab in picks if lab.subject == subject} == {"nm-01", "bg-01", "cl-01"}
    # a subject missing the wanted view gets its nearest one (the lower on a tie)
    sparse = [lab for lab in labels if lab.subject == "syn0001" or (lab.subject == "syn0002" and lab.view != 108.0)]
    assert [lab.view for lab in pick_previews(sparse, per_subject=3) if lab.subject == "syn0002"] == [72.0, 144.0,
                                                                                                     180.0]


def test_guidance_in_specs_and_flags():
    assert parse_guidance("2.5") == 2.5
    assert parse_guidance("identity=8, view=4") == {"identity": 8.0, "view": 4.0}
    assert format_guidance(parse_guidance("identity=8,view=4")) == "identity=8,view=4" and format_guidance(4.0) == "4"
    with pytest.raises(ValueError, match="expected FACTOR=SCALE"):
        parse_guidance("identity=8,=2")
    spec = GeneratedSpec.from_json({"guidance": "identity=8,carry=6"})
    assert spec.guidance == {"identity": 8.0, "carry": 6.0} and spec.to_json()["guidance"] == spec.guidance
    with pytest.raises(ConfigError, match=r"unknown factors \['hat'\] in guidance_scale; valid: identity"):
        GeneratedSpec(guidance={"hat": 2.0})
    # a joint base with a factor set apart round-trips through the flag form and a spec
    assert parse_guidance("all=4,identity=8") == {"all": 4.0, "identity": 8.0}
    assert GeneratedSpec.from_json({"guidance": "all=4,identity=8"}).guidance == {"all": 4.0, "identity": 8.0}


def test_bags_spread_over_identities_like_the_procedural_subjects():
    known = {"clothing": ["coat", "normal"], "carry": ["backpack", "handbag", "none", "shoulder_bag"],
             "num_frames": 30, "max_frames": 30}
    spec = resolve_spec(GeneratedSpec(types=("bg-01", "bg-02")), known)
    assert spec.bags == ["shoulder_bag", "backpack", "handbag"]
    assert [spec.conditions(i, "bg-01")["carry"] for i in (1, 2, 3, 4)] == ["shoulder_bag", "backpack", "handbag",
                                                                       "shoulder_bag"]
    assert spec.conditions(1, "bg-02") == {"clothing": "normal", "carry": "backpack"}
    assert spec.conditions(5, "cl-01") == {"clothing": "coat", "carry": "none"}
    assert resolve_spec(GeneratedSpec(bag="handbag"), known).conditions(2, "bg-01") == {"clothing": "normal",
                                                                                           "carry": "handbag"}
    with pytest.raises(ConfigError, match="carry bag, tote but the model knows only"):
        resolve_spec(GeneratedSpec(bag="backpack, tote,bag", types=("bg-01",)), known)


def test_spec_file_flags_and_refusals(model, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("identities: 1\ntypes: nm:1\nviews: [90]\nframes: 6\nsteps: 2\n")
    assert synth(model, tmp_path / "d", "--spec", str(spec)) == 0
    assert synth(model, tmp_path / "d", "--spec", str(spec)) == 0  # same spec: resumes (nothing to do)
    capsys.readouterr()
    assert synth(model, tmp_path / "d", "--spec", str(spec), "--seed", "1") == 2
    assert "holds a different synthetic dataset (differs in ['seed'])" in capsys.readouterr().err
    # conditions the model lacks are refused before any work, listing the valid values
    assert synth(model, tmp_path / "n", "--spec", str(spec), "--bag", "backpack", "--types", "bg:1") == 2
    assert "carry backpack but the model knows only: bag, none" in capsys.readouterr().err
    assert synth(model, tmp_path / "n", "--spec", str(spec), "--frames", "40") == 2
    assert "frames=40 is not supported by this model: it takes 1..12" in capsys.readouterr().err
    spec.write_text("identities: 1\ncolour: red\n")
    assert synth(model, tmp_path / "n", "--spec", str(spec)) == 2
    assert "unknown spec keys ['colour']" in capsys.readouterr().err
    spec.write_text("identities: many\n")
    assert synth(model, tmp_path / "n", "--spec", str(spec)) == 2
    assert "bad spec value" in capsys.readouterr().err
    spec.write_text("types: [xx-01]\n")
    assert synth(model, tmp_path / "n", "--spec", str(spec)) == 2
    assert "sequence types must look like nm-01" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()


def test_resume_and_shards_give_identical_files(model, tmp_path):
    args = [*SMALL, "--batch", "1"]
    assert synth(model, tmp_path / "full", *args) == 0
    # a partial folder: two sequences lost entirely, one lost its row (the pkl was written, the row was not)
    assert synth(model, tmp_path / "part", *args) == 0
    part = tmp_path / "part"
    for key in (("syn0001", "nm-02", "090"), ("syn0002", "cl-01", "000")):
        (part.joinpath(*key) / f"{key[2]}.pkl").unlink()
        row_path(part, key).unlink()
    row_path(part, ("syn0002", "bg-01", "090")).unlink()
    (part / "syn0001" / "nm-01" / "000" / ".000.pkl.k1ll3d.tmp").write_bytes(b"half")  # a killed atomic write
    assert synth(model, part, *args) == 0
    assert files(part) == files(tmp_path / "full")
    # two shards written one after the other into one folder = the single-process run
    spec = GeneratedSpec(identities=2, types=("nm-01", "nm-02", "bg-01", "cl-01"), views=(0.0, 90.0), frames=6, steps=2)
    pipe, spec, record, jobs = prepare(spec, model)
    sharded = tmp_path / "sharded"
    (sharded / META).mkdir(parents=True)
    (sharded / META / "spec.json").write_text((tmp_path / "full" / META / "spec.json").read_text())
    for rank in range(2):
        generate_jobs(pipe, sharded, shard(jobs, rank, 2), lambda j: j.labels(spec.seed, record["model_sha256"]),
                      spec.seed, spec.frames, spec.steps, spec.guidance, 1, progress=False)
    assert synth(model, sharded, *args) == 0
    assert files(sharded) == files(tmp_path / "full")


def test_sigkill_mid_run_then_resume_is_byte_identical(model, tmp_path):
    args = ["--identities", "2", "--types", "nm:2,bg:1,cl:1", "--views", "0,90", "--frames", "8", "--steps", "6",
            "--batch", "2"]
    assert synth(model, tmp_path / "ref", *args) == 0
    out = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-m", "gaitcraft.cli", "synth", "--model", str(model), "--out", str(out), *args]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while len(list(out.glob("syn*/*/*/*.pkl"))) < 3 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the generation finished before it could be killed"
    assert not (out / "manifest.jsonl").exists()
    assert synth(model, out, *args) == 0
    assert files(out) == files(tmp_path / "ref")  # also: no half-written temp file is left


def test_accelerate_launch_two_processes_writes_the_single_process_dataset(model, tmp_path):
    """Two real CPU processes under `accelerate launch` (gloo), each writing its shard, then the main process
    finalizing: the same files as one process."""
    assert synth(model, tmp_path / "single", *SMALL, "--batch", "1") == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "gaitcraft.cli", "synth", "--model", str(model),
           "--out", str(tmp_path / "launched"), *SMALL, "--batch", "1"]
    proc = subprocess.run(cmd, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert files(tmp_path / "launched") == files(tmp_path / "single")
