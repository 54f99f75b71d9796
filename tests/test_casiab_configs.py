"""The real-data generator configs (configs/diffusion/casiab_*.yaml) load with the generator's own loader, and
their header comments say how to train on a CASIA-B tree and state the settings the YAML below them holds."""

from __future__ import annotations

import re

import pytest

from diffusion.config import load_config
from gaitcraft.paths import REPO_ROOT

NAMES = ("casiab_cpu", "casiab_gpu")


def header(name: str) -> str:
    """The comment lines at the top of a config, without their '#'."""
    lines = (REPO_ROOT / "configs" / "diffusion" / f"{name}.yaml").read_text().splitlines()
    return "\n".join(line[1:] for line in lines if line.startswith("#"))


def stated(text: str, pattern: str) -> str:
    """The first group of `pattern` in `text` (whitespace runs match any whitespace)."""
    found = re.search(pattern.replace(" ", r"\s+"), text)
    assert found, f"header states no {pattern!r}"
    return found.group(1)


@pytest.mark.parametrize("name", NAMES)
def test_config_loads_and_its_header_states_its_settings_and_command(name):
    cfg = load_config(name)  # the loader `gaitcraft train --config` uses: unknown keys are refused by name
    text = header(name)
    command = " ".join(text.split())
    assert "gaitcraft train --data ~/data/casiab --partition casia-b" in command
    assert f"--config configs/diffusion/{name}.yaml" in command
    assert cfg.train.mixed_precision == "auto" and "bf16" in text
    assert stated(text, r"UNet (\[[\d, ]+\])") == str(list(cfg.unet["block_channels"]))
    assert int(stated(text, r"frames (\d+) per clip")) == cfg.train.num_frames
    assert int(stated(text, r"batch (\d+) clips")) == cfg.train.batch_size
    assert int(stated(text, r"steps autoencoder (\d+)")) == cfg.autoencoder_training.steps
    assert re.search(rf"UNet {cfg.train.steps}\b", text), "header states another UNet step count"
    assert "64x44" in text


def test_cpu_config_states_measured_step_times_and_the_machine_and_no_unmeasured_ones():
    text = " ".join(header("casiab_cpu").split())
    assert "AMD EPYC family 25 model 17" in text and "AVX512-BF16, no AMX" in text and "1 thread" in text
    assert re.search(r"phase 1 \(autoencoder\) [\d.]+(-[\d.]+)? s/step", text)
    assert re.search(r"phase 2 \(UNet\) [\d.]+(-[\d.]+)? s/step", text)
    assert "AVX2-only and AMX CPUs were not measured" in text
    assert "not measured" in " ".join(header("casiab_gpu").split())
