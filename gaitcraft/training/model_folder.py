"""A trained model's folder: `model.safetensors` (the weights) + `meta.json` (config, classes, step, summary).

This is the format of the recognizer, the classifiers and the reconstructor, in a run's `model/` and in the
shipped `assets/models/<name>/`. It holds weights, not training state: checkpoints are for resuming, this folder is
for use. Loaders take either the model folder or the run folder around it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gaitcraft.errors import CheckpointError
from gaitcraft.training.checkpoints import replace_folder

WEIGHTS, META = "model.safetensors", "meta.json"


def model_folder(path: str | Path) -> Path:
    """The model folder of `path`: itself when it holds `meta.json`, else its `model/` when a run made one."""
    path = Path(path)
    if not (path / META).is_file() and (path / "model").is_dir():
        return path / "model"
    return path


def save_model(folder: str | Path, model: torch.nn.Module, meta: dict[str, Any]) -> Path:
    """Write `model`'s weights (bf16 when `meta['dtype'] == 'bfloat16'`) and `meta` as the model folder `folder`,
    replacing it in one step (a killed write leaves the previous model whole)."""
    folder = Path(folder)
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if meta.get("dtype") == "bfloat16":
        weights = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in weights.items()}
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(weights, str(tmp / WEIGHTS))
    (tmp / META).write_text(json.dumps(meta, indent=1))
    return replace_folder(tmp, folder)


def read_model(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(float32 weights, meta) of a model folder or of the run folder that made it; a one-line
    `CheckpointError` when there is none."""
    path = Path(path)
    folder = model_folder(path)
    missing = [n for n in (WEIGHTS, META) if not (folder / n).is_file()]
    if missing:
        hint = " (training has not finished: checkpoints/ holds its progress)" if (path / "checkpoints").is_dir() else ""
        raise CheckpointError(f"no trained model here: missing {', '.join(missing)}{hint}", folder)
    try:
        weights = load_file(folder / WEIGHTS)
        meta = json.loads((folder / META).read_text())
    except (OSError, json.JSONDecodeError, SafetensorError) as e:
        raise CheckpointError(f"cannot read the model: {e}", folder) from None
    # every writer of a model folder records these; a meta.json without them is damaged or from another version
    missing = sorted({"kind", "config"} - set(meta)) if isinstance(meta, dict) else ["kind", "config"]
    if missing:
        raise CheckpointError(f"meta.json lacks {missing}: damaged, or written by another GaitCraft version; "
                              "retrain or use a model folder from this version", folder)
    return {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}, meta


def load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], where: str | Path) -> None:
    """`load_state_dict` with a one-line `CheckpointError` when names or shapes disagree."""
    own = model.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    shapes = [k for k in set(own) & set(weights) if own[k].shape != weights[k].shape]
    if missing or extra or shapes:
        raise CheckpointError(f"weights do not fit this model: missing {missing[:3]}, unexpected {extra[:3]}, "
                              f"wrong shapes {sorted(shapes)[:3]}", where)
    model.load_state_dict(weights)
