"""Warm start: begin phase 2 from a trained model folder (e.g. the shipped generator) instead of from scratch.

The folder's autoencoder, UNet and condition encoder must have exactly the architecture the run's config and
training vocabulary build; the run then skips phase 1 and trains the UNet and encoder on from their weights
with a fresh optimizer, learning-rate schedule and EMA.
"""

from __future__ import annotations

from pathlib import Path

import torch

from conditioning.encoder import ConditionEncoder
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.pipeline import GaitCraftPipeline
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import CheckpointError
from gaitcraft.paths import REPO_ROOT

# config entries that describe how a component was trained or stored, not its architecture
_NON_ARCH = {"scaling_factor"}


def _arch(model: torch.nn.Module) -> dict:
    """The architecture part of a diffusers ConfigMixin config."""
    return {k: v for k, v in dict(model.config).items() if not k.startswith("_") and k not in _NON_ARCH}


def warm_start(folder: str | Path, ae: SilhouetteAutoencoder, unet: SpatioTemporalUNet, enc: ConditionEncoder) -> None:
    """Copy the weights (and the autoencoder's latent scaling) of model `folder` into the freshly built models.

    Raises CheckpointError naming the component and the first differing config entries when the folder was
    trained with another architecture or vocabulary.
    """
    root = Path(folder)
    if not root.is_absolute() and not root.exists() and (REPO_ROOT / root).exists():
        root = REPO_ROOT / root  # configs name repository folders such as assets/models/generator
    saved_pipe = GaitCraftPipeline.from_pretrained(root)  # refuses folders missing a component, in one line
    for name, target in (("autoencoder", ae), ("unet", unet), ("condition_encoder", enc)):
        saved = getattr(saved_pipe, name)
        want, have = _arch(target), _arch(saved)
        diff = sorted(k for k in set(want) | set(have) if _norm(want.get(k)) != _norm(have.get(k)))
        if diff:
            shown = ", ".join(f"{k}: {have.get(k)!r} vs {want.get(k)!r}" for k in diff[:3])
            raise CheckpointError(f"component {name!r} was trained with another config or vocabulary "
                                  f"(saved vs this run: {shown}{' ...' if len(diff) > 3 else ''})", root)
        target.load_state_dict(saved.state_dict())  # copies into the run's float32 parameters
    ae.register_to_config(scaling_factor=saved_pipe.autoencoder.config.scaling_factor)


def _norm(value):
    """Lists and tuples compare equal (JSON round trips turn tuples into lists)."""
    return [_norm(v) for v in value] if isinstance(value, (list, tuple)) else value
