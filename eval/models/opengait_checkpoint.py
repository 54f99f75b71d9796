"""Load OpenGait GaitBase checkpoints (`torch.save({'model': state_dict, ...})`) into `eval.models.gaitbase.GaitBase`.

Loading uses `torch.load(weights_only=True)`: tensors and plain containers only, never arbitrary pickle code.
The architecture (channels, blocks per stage, strips, embedding width, classes) is read from the tensor
shapes; strides are OpenGait's (1, 2, 2, 1). Anything else is a `CheckpointError` naming the keys at fault.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from eval.models.gaitbase import GaitBase
from eval.models.gaitbase_config import GaitBaseConfig
from gaitcraft.errors import CheckpointError

_PREFIX = "Backbone.forward_block."
_ANCHORS = ("FCs.fc_bin", "BNNecks.fc_bin", f"{_PREFIX}conv1.conv.weight")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The model state dict of an OpenGait `.pt` file (its 'model' entry, or the file itself if flat)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("checkpoint file not found", path)
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:  # torch raises many types (UnpicklingError, RuntimeError, EOFError) for bad files
        raise CheckpointError(f"cannot load as a weights-only torch checkpoint: {type(e).__name__}: {e}", path) from None
    state = obj.get("model", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError("no state dict of tensors (expected a dict with a 'model' entry)", path)
    # checkpoints saved from a DistributedDataParallel wrapper carry a 'module.' prefix
    return {k.removeprefix("module."): v for k, v in state.items()}


def infer_config(state: dict[str, torch.Tensor], where: str = "state dict") -> GaitBaseConfig:
    """The `GaitBaseConfig` whose parameters have the shapes found in `state`."""
    missing = [k for k in _ANCHORS if k not in state]
    if missing:
        sample = sorted(state)[:8]
        raise CheckpointError(
            f"not a GaitBase checkpoint: missing {missing}; its first keys are {sample}", where
        )
    layers, channels = [], []
    for i in range(1, 5):
        blocks = {int(m.group(1)) for k in state if (m := re.match(rf"{_PREFIX}layer{i}\.(\d+)\.conv1\.weight$", k))}
        if not blocks:
            raise CheckpointError(f"not a GaitBase checkpoint: no blocks found for {_PREFIX}layer{i}", where)
        layers.append(max(blocks) + 1)
        channels.append(int(state[f"{_PREFIX}layer{i}.0.conv1.weight"].shape[0]))
    parts, c_in, embed_dim = state["FCs.fc_bin"].shape
    class_num = int(state["BNNecks.fc_bin"].shape[2])
    return GaitBaseConfig(channels=tuple(channels), layers=tuple(layers), strides=(1, 2, 2, 1), parts=int(parts),
                          embed_dim=int(embed_dim), class_num=class_num)


def check_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor], where: str = "state dict") -> None:
    """Raise `CheckpointError` listing missing, unexpected and wrongly shaped keys of `state` for `model`."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
              for k in sorted(set(own) & set(state)) if state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        parts = []
        for name, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
            if keys:
                more = f" (+{len(keys) - 10} more)" if len(keys) > 10 else ""
                parts.append(f"{name} {keys[:10]}{more}")
        raise CheckpointError("checkpoint does not match the GaitBase architecture: " + "; ".join(parts), where)


def load_opengait_checkpoint(path: str | Path, config: GaitBaseConfig | None = None) -> GaitBase:
    """A `GaitBase` in eval mode with the weights of an OpenGait checkpoint.

    `config` pins the expected architecture; by default it is inferred from the tensor shapes.
    """
    state = read_state_dict(path)
    cfg = config or infer_config(state, str(path))
    model = GaitBase(cfg)
    check_state_dict(model, state, str(path))
    model.load_state_dict(state, strict=True)
    return model.eval()
