"""Every shipped config under configs/ loads with its loader; a typo'd key is refused by name."""

from __future__ import annotations

import pytest
import yaml

from diffusion.config import load_config as load_diffusion
from eval.training.recognizer_config import ClassifierConfig, RecognizerConfig
from eval.training.recognizer_config import load_config as load_recognizer
from gaitcraft.errors import ConfigError
from gaitcraft.paths import REPO_ROOT
from mesh.reconstruction.config import load_config as load_reconstruction

CONFIGS = sorted((REPO_ROOT / "configs").glob("*/*.yaml"))


def _load(path, kind):
    if kind == "diffusion":
        return load_diffusion(path)
    if kind == "recognizer":
        raw = yaml.safe_load(path.read_text())
        return load_recognizer(path, ClassifierConfig if "attributes" in raw else RecognizerConfig)
    if kind == "reconstruction":
        raw = yaml.safe_load(path.read_text())
        return (load_reconstruction(path) if "body_model" in raw else load_recognizer(path, RecognizerConfig))
    raise AssertionError(f"no loader for configs/{kind}")


@pytest.mark.parametrize("path", CONFIGS, ids=[f"{p.parent.name}/{p.name}" for p in CONFIGS])
def test_shipped_config_loads(path):
    cfg = _load(path, path.parent.name)
    assert cfg.name == yaml.safe_load(path.read_text())["name"]


@pytest.mark.parametrize("path", CONFIGS, ids=[f"{p.parent.name}/{p.name}" for p in CONFIGS])
def test_unknown_key_is_refused_by_name(path, tmp_path):
    raw = yaml.safe_load(path.read_text())
    raw["train"]["stepz"] = 3
    bad = tmp_path / path.name
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="stepz"):
        _load(bad, path.parent.name)
