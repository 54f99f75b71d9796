"""Warm start: begin phase 2 from a trained model folder (e.g. the shipped generator) instead of from scratch.

The folder's autoencoder and UNet must have exactly the architecture the run's config builds, and its condition
encoder the same sizes; the condition *vocabularies* may differ, so a model trained on one dataset can be trained
on in another's (the procedural generator moved onto real CASIA-B, whose carry labels are 'bag' / 'none'):
- a categorical value both know keeps its trained row ('none', 'coat', 'normal');
- a value new to the saved model starts from the mean of the saved rows of values the run does not know
  ('bag' from 'backpack', 'handbag' and 'shoulder_bag'), or from the mean of all saved rows when there are none;
- identity rows are copied only when both models know the same identities in the same order: an identity of
  another dataset is another person even when its name is the same ('001'), so new identities start from the
  fresh draws of a from-scratch run.
The run then skips phase 1 and trains the UNet and encoder on from these weights with a fresh optimizer,
learning-rate schedule and EMA.
"""

from __future__ import annotations

from pathlib import Path

import torch

from conditioning.encoder import ConditionEncoder
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.pipeline import GaitCraftPipeline
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import CheckpointError
from gaitcraft.factors import vocabulary_factors
from gaitcraft.paths import REPO_ROOT

# config entries that describe how a component was trained or stored, not its architecture
_NON_ARCH = {"scaling_factor"}


def _arch(model: torch.nn.Module, skip: set[str] = frozenset()) -> dict:
    """The architecture part of a diffusers ConfigMixin config, without the entries in `skip`."""
    return {k: v for k, v in dict(model.config).items()
            if not k.startswith("_") and k not in _NON_ARCH and k not in skip}


def warm_start(folder: str | Path, ae: SilhouetteAutoencoder, unet: SpatioTemporalUNet,
               enc: ConditionEncoder) -> list[str]:
    """Copy the weights (and the autoencoder's latent scaling) of model `folder` into the freshly built models,
    mapping the condition encoder's vocabulary rows by name (see the module docstring).

    Returns one line per factor whose vocabulary differs, saying what was copied and what starts new (empty when
    the vocabularies are equal). Raises CheckpointError naming the component and the first differing config
    entries when the folder was trained with another architecture.
    """
    root = Path(folder)
    if not root.is_absolute() and not root.exists() and (REPO_ROOT / root).exists():
        root = REPO_ROOT / root  # configs name repository folders such as assets/models/generator
    saved_pipe = GaitCraftPipeline.from_pretrained(root)  # refuses folders missing a component, in one line
    vocab_keys = {f.vocab_key for f in vocabulary_factors()}
    notes: list[str] = []
    for name, target in (("autoencoder", ae), ("unet", unet), ("condition_encoder", enc)):
        saved = getattr(saved_pipe, name)
        skip = vocab_keys if name == "condition_encoder" else set()
        want, have = _arch(target, skip), _arch(saved, skip)
        diff = sorted(k for k in set(want) | set(have) if _norm(want.get(k)) != _norm(have.get(k)))
        if diff:
            shown = ", ".join(f"{k}: {have.get(k)!r} vs {want.get(k)!r}" for k in diff[:3])
            raise CheckpointError(f"component {name!r} was trained with another config "
                                  f"(saved vs this run: {shown}{' ...' if len(diff) > 3 else ''})", root)
        state = saved.state_dict()
        if name == "condition_encoder":
            state, notes = _map_vocabulary(saved, target, state)
        target.load_state_dict(state)  # copies into the run's float32 parameters
    ae.register_to_config(scaling_factor=saved_pipe.autoencoder.config.scaling_factor)
    return notes


def _map_vocabulary(saved: ConditionEncoder, target: ConditionEncoder,
                    state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """`state` (the saved encoder's) with each vocabulary table rebuilt for the run's vocabulary, and the notes."""
    state = dict(state)
    fresh = target.state_dict()
    notes = []
    for f in vocabulary_factors():
        old, new = list(saved.config[f.vocab_key]), list(target.config[f.vocab_key])
        if old == new:
            continue
        key = f"{f.name}_bank.weight" if f.embedding == "bank" else f"{f.name}_emb.weight"
        rows = state[key]  # [len(old), dim]
        if f.kind == "identity":
            state[key] = fresh[key]  # [len(new), dim]: the run's own seeded draws
            notes.append(f"{f.name}: {len(new)} identities start new (the saved model knew {len(old)} others)")
            continue
        unused = [i for i, v in enumerate(old) if v not in new]
        start = rows[unused or list(range(len(old)))].mean(0)  # [dim]
        table = torch.stack([rows[old.index(v)] if v in old else start for v in new])  # [len(new), dim]
        state[key] = table.to(rows.dtype)
        kept = [v for v in new if v in old]
        added = [v for v in new if v not in old]
        source = ", ".join(old[i] for i in unused) if unused else "all saved values"
        notes.append(f"{f.name}: kept {', '.join(kept) or 'nothing'}; "
                     f"{', '.join(added) or 'nothing'} start{'s' if len(added) == 1 else ''} from the mean of "
                     f"{source}")
    return state, notes


def _norm(value):
    """Lists and tuples compare equal (JSON round trips turn tuples into lists)."""
    return [_norm(v) for v in value] if isinstance(value, (list, tuple)) else value
