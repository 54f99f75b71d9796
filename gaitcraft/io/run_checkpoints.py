"""Atomic, resumable training checkpoints of the recognizers (`eval/`) and the reconstructor (`mesh/`):
safetensors for tensors, JSON for everything else.

A run folder holds `checkpoints/step-0000100/{model,optimizer,rng}.safetensors + state.json` (each written into
a temp folder, then renamed, so a killed run never leaves a half checkpoint) and, when training ends,
`model.safetensors` + `meta.json` (a finished run, read by `read_final`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gaitcraft.errors import CheckpointError
from gaitcraft.io.atomic import atomic_save, atomic_write_text

CKPT_DIR = "checkpoints"


def _split_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Optimizer state dict -> (tensors keyed 'state.<param>.<name>', JSON-able rest)."""
    tensors, scalars = {}, {}
    for pid, st in state["state"].items():
        for name, val in st.items():
            if isinstance(val, torch.Tensor):
                tensors[f"state.{pid}.{name}"] = val.detach().cpu().contiguous()
            else:
                scalars[f"{pid}.{name}"] = val
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _join_optimizer(tensors: dict[str, torch.Tensor], rest: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, val in tensors.items():
        _, pid, name = key.split(".", 2)
        state.setdefault(int(pid), {})[name] = val
    for key, val in rest["scalars"].items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = val
    return {"state": state, "param_groups": rest["param_groups"]}


def save_checkpoint(run_dir: str | Path, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    state: dict[str, Any], keep: int = 2) -> Path:
    """Write checkpoint `step` atomically (model, optimizer, JSON `state`), keeping the newest `keep`."""
    root = Path(run_dir) / CKPT_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:07d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".step-{step:07d}.", dir=root))
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, tmp / "model.safetensors")
        opt_tensors, opt_rest = _split_optimizer(optimizer.state_dict())
        save_file(opt_tensors, tmp / "optimizer.safetensors")
        rng = torch.get_rng_state()
        save_file({"torch": rng}, tmp / "rng.safetensors")
        (tmp / "state.json").write_text(json.dumps({"step": step, "optimizer": opt_rest, **state}))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in sorted(p for p in root.glob("step-*") if p.is_dir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint folder of a run, or None."""
    root = Path(run_dir) / CKPT_DIR
    done = sorted(p for p in root.glob("step-*") if (p / "state.json").is_file()) if root.is_dir() else []
    return done[-1] if done else None


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


def load_checkpoint(ckpt: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    load: Callable[[torch.nn.Module, dict[str, torch.Tensor], str], None] = load_weights
                    ) -> dict[str, Any]:
    """Restore model (through `load`, which names mismatches), optimizer and torch RNG from a checkpoint folder;
    returns its JSON state."""
    try:
        state = json.loads((ckpt / "state.json").read_text())
        weights = load_file(ckpt / "model.safetensors")
        opt = _join_optimizer(load_file(ckpt / "optimizer.safetensors"), state["optimizer"])
        rng = load_file(ckpt / "rng.safetensors")["torch"]
    except (OSError, json.JSONDecodeError, KeyError, SafetensorError) as e:
        raise CheckpointError(f"cannot resume: {type(e).__name__}: {e}", ckpt) from None
    load(model, weights, str(ckpt))
    optimizer.load_state_dict(opt)
    torch.set_rng_state(rng)
    return state


def save_final(run_dir: str | Path, model: torch.nn.Module, meta: dict[str, Any]) -> None:
    """Write the trained weights `model.safetensors` (bf16 when `meta['dtype'] == 'bfloat16'`) and `meta.json`
    (config, classes, step) atomically."""
    run_dir = Path(run_dir)
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if meta.get("dtype") == "bfloat16":
        weights = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in weights.items()}
    atomic_save(run_dir / "model.safetensors", lambda tmp: save_file(weights, tmp))
    atomic_write_text(run_dir / "meta.json", json.dumps(meta, indent=1))


def read_final(run_dir: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(float32 weights, meta) of a finished run folder; a clear `CheckpointError` when it is not one."""
    run_dir = Path(run_dir)
    missing = [n for n in ("model.safetensors", "meta.json") if not (run_dir / n).is_file()]
    if missing:
        hint = " (training has not finished; checkpoints/ holds its progress)" if (run_dir / CKPT_DIR).is_dir() else ""
        raise CheckpointError(f"not a finished run folder: missing {missing}{hint}", run_dir)
    try:
        weights = load_file(run_dir / "model.safetensors")
        meta = json.loads((run_dir / "meta.json").read_text())
    except (OSError, json.JSONDecodeError, SafetensorError) as e:
        raise CheckpointError(f"cannot read run: {e}", run_dir) from None
    # every writer of save_final records these; a meta.json without them is damaged or from another version
    missing = sorted({"kind", "config"} - set(meta)) if isinstance(meta, dict) else ["kind", "config"]
    if missing:
        raise CheckpointError(f"meta.json lacks {missing}: damaged, or written by another GaitCraft version; "
                              "retrain or use a run folder from this version", run_dir)
    return {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}, meta
