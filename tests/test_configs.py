"""Every shipped config under configs/ names its kind and loads with the one loader; a typo'd key, a missing or
unknown kind and a config of another kind are refused in one line naming the file and the key."""

from __future__ import annotations

import pytest
import yaml

from diffusion.config import ExperimentConfig
from eval.training.recognizer_config import ClassifierConfig, RecognizerConfig
from gaitcraft.errors import ConfigError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.training import KINDS, load_config
from mesh.reconstruction.config import ReconstructionConfig

CONFIGS = sorted((REPO_ROOT / "configs").glob("*/*.yaml"))
SCHEMAS = (ExperimentConfig, RecognizerConfig, ClassifierConfig, ReconstructionConfig)


@pytest.mark.parametrize("path", CONFIGS, ids=[f"{p.parent.name}/{p.name}" for p in CONFIGS])
def test_shipped_config_loads(path):
    raw = yaml.safe_load(path.read_text())
    cfg = load_config(path, *SCHEMAS)
    assert raw["kind"] in KINDS and cfg.kind == raw["kind"] and cfg.name == raw["name"]
    assert load_config(path.stem, *SCHEMAS) == cfg  # by its built-in name too


@pytest.mark.parametrize("path", CONFIGS, ids=[f"{p.parent.name}/{p.name}" for p in CONFIGS])
def test_unknown_key_is_refused_by_name(path, tmp_path):
    raw = yaml.safe_load(path.read_text())
    raw["train"]["stepz"] = 3
    bad = tmp_path / path.name
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=f"{bad}: unknown key 'train.stepz'") as err:
        load_config(bad, *SCHEMAS)
    assert "\n" not in str(err.value)


def test_kind_is_required_known_and_of_the_commands_kind(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    with pytest.raises(ConfigError, match=f"{bad}: missing key 'kind'"):
        load_config(bad, *SCHEMAS)
    bad.write_text("kind: denoiser\n")
    with pytest.raises(ConfigError, match=f"{bad}: kind 'denoiser' is not one of generator, recognizer"):
        load_config(bad, *SCHEMAS)
    with pytest.raises(ConfigError, match=r"small.yaml: a reconstructor config; `train` takes a generator config"):
        load_config("small", ExperimentConfig, command="train")
    with pytest.raises(ConfigError, match=r"fused_small.yaml: a fused_recognizer config; .* takes a recognizer config"):
        load_config("fused_small", RecognizerConfig, kinds=("recognizer",))
    bad.write_text("kind: generator\ntrain:\n  lr: fast\n")
    with pytest.raises(ConfigError, match=f"{bad}: train.lr must be a number, got 'fast'"):
        load_config(bad, ExperimentConfig)
    bad.write_text("kind: generator\ntrain:\n  snr_gamma: null\n")
    assert load_config(bad, ExperimentConfig).train.snr_gamma is None  # `float | None` keys take null


@pytest.mark.parametrize("command, other", [(["train"], "small"), (["recognizer", "train"], "attributes_cpu_small"),
                                            (["classifiers", "train"], "tiny"), (["mesh", "train"], "default"),
                                            (["recognizer", "train", "--reconstructor", "R"], "gaitbase_cpu_small")])
def test_each_trainer_refuses_a_config_of_another_kind_in_one_line(command, other, tmp_path, capsys):
    from gaitcraft.cli import main

    args = [*command, "--data", str(tmp_path / "no_data"), "--out", str(tmp_path / "run"), "--config", other]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert f"{other}.yaml: a " in err and f"`{' '.join(c for c in command if c != 'R')}` takes a" in err
    assert "\n" not in err and not (tmp_path / "run").exists()
