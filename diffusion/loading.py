"""Strict loading of saved components: a missing file, an unknown config key or a weight that does not fit the
config is a `CheckpointError` naming the component and the mismatch (never a silent partial load)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import torch
from diffusers import SchedulerMixin
from safetensors import SafetensorError
from safetensors.torch import load_file

from diffusion.schedule import SAMPLERS
from gaitcraft.errors import CheckpointError

WEIGHTS = "diffusion_pytorch_model.safetensors"


def _read_json(path: Path, name: str) -> dict:
    """A JSON file of component `name`, or a CheckpointError naming it."""
    if not path.is_file():
        raise CheckpointError(f"component {name!r} is missing {path.name}", path.parent)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"component {name!r}: unreadable {path.name}: {e}", path.parent) from None


def _mismatch_summary(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> str:
    """Human summary of how a state dict differs from a model's parameters (first few of each kind)."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in sorted(set(own) & set(state))
              if state[k].shape != own[k].shape]
    parts = [f"{label}: {', '.join(items[:3])}{' ...' if len(items) > 3 else ''}"
             for label, items in (("missing", missing), ("unexpected", unexpected), ("shape (saved vs config)", shapes))
             if items]
    return "; ".join(parts)


def config_keys(cls: type) -> set[str]:
    """The config entries model class `cls` takes: its own `config_keys()` where it has one (a constructor taking
    `**settings`, such as the condition encoder's per-factor entries), else its constructor's arguments."""
    own = getattr(cls, "config_keys", None)
    return set(own()) if own is not None else set(inspect.signature(cls.__init__).parameters) - {"self"}


def load_model(cls: type, folder: Path, name: str) -> torch.nn.Module:
    """Build `cls` from `folder/config.json` and load `folder/diffusion_pytorch_model.safetensors` strictly."""
    config = _read_json(folder / "config.json", name)
    if config.get("_class_name", cls.__name__) != cls.__name__:
        raise CheckpointError(f"component {name!r} is a {config['_class_name']}, expected {cls.__name__}", folder)
    valid = config_keys(cls)
    unknown = sorted(k for k in config if not k.startswith("_") and k not in valid)
    if unknown:
        raise CheckpointError(f"component {name!r} config has keys this version does not know: {unknown}", folder)
    try:
        model = cls.from_config({k: v for k, v in config.items() if k in valid})
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"component {name!r} config is invalid: {e}", folder) from None
    if not (folder / WEIGHTS).is_file():
        raise CheckpointError(f"component {name!r} is missing its weights {WEIGHTS}", folder)
    try:
        state = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"component {name!r}: unreadable weights: {e}", folder) from None
    diff = _mismatch_summary(model, state)
    if diff:
        raise CheckpointError(f"component {name!r} weights do not match its config ({diff})", folder)
    model.load_state_dict(state, strict=True)
    return model.eval()


def load_scheduler(folder: Path, name: str = "scheduler") -> SchedulerMixin:
    """A scheduler from `folder/scheduler_config.json`; only the GaitCraft samplers are accepted."""
    config = _read_json(folder / "scheduler_config.json", name)
    classes = {c.__name__: c for c in SAMPLERS.values()}
    cls = classes.get(config.get("_class_name"))
    if cls is None:
        raise CheckpointError(f"scheduler class {config.get('_class_name')!r} is not one of {sorted(classes)}", folder)
    return cls.from_config(config)
