"""Atomic, resumable reconstructor checkpoints (safetensors + JSON) and the finished-run format.

Layout of a run folder: `checkpoints/step-0000250/{model,optimizer}.safetensors + state.json` while training
(each written to a temp folder, then renamed), and `model.safetensors` + `meta.json` when done (what
`mesh.reconstruction.api.load_reconstructor` reads). Same layout as the recognizer runs in `eval/`, kept
separate because `mesh` must not import `eval` (the data flows one way).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gaitcraft.errors import CheckpointError
from gaitcraft.io.atomic import atomic_save, atomic_write_text

CKPT_DIR = "checkpoints"


def _tensors(sd: dict) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def save_checkpoint(run_dir: str | Path, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    state: dict[str, Any], keep: int = 2) -> Path:
    """Write checkpoint `step` atomically (weights, optimizer tensors, JSON state), keeping the newest `keep`."""
    root = Path(run_dir) / CKPT_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:07d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".step-{step:07d}.", dir=root))
    try:
        save_file(_tensors(model.state_dict()), tmp / "model.safetensors")
        opt = optimizer.state_dict()
        tensors = {f"{pid}.{name}": v for pid, st in opt["state"].items() for name, v in st.items()
                   if isinstance(v, torch.Tensor)}
        scalars = {f"{pid}.{name}": v for pid, st in opt["state"].items() for name, v in st.items()
                   if not isinstance(v, torch.Tensor)}
        save_file(_tensors(tensors) | {"torch_rng": torch.get_rng_state()}, tmp / "optimizer.safetensors")
        meta = {"step": step, "param_groups": opt["param_groups"], "scalars": scalars, **state}
        (tmp / "state.json").write_text(json.dumps(meta))
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


def load_checkpoint(ckpt: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore weights, optimizer and torch RNG from a checkpoint folder; returns its JSON state."""
    try:
        state = json.loads((ckpt / "state.json").read_text())
        weights = load_file(ckpt / "model.safetensors")
        opt_t = load_file(ckpt / "optimizer.safetensors")
    except (OSError, json.JSONDecodeError, SafetensorError) as e:
        raise CheckpointError(f"cannot resume: {type(e).__name__}: {e}", ckpt) from None
    torch.set_rng_state(opt_t.pop("torch_rng"))
    per: dict[int, dict[str, Any]] = {}
    for key, val in list(opt_t.items()) + list(state["scalars"].items()):
        pid, name = key.split(".", 1)
        per.setdefault(int(pid), {})[name] = val
    load_weights(model, weights, ckpt)
    optimizer.load_state_dict({"state": per, "param_groups": state["param_groups"]})
    return state


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


def save_final(run_dir: str | Path, model: torch.nn.Module, meta: dict[str, Any]) -> None:
    """Write `model.safetensors` (bf16 when `meta['dtype'] == 'bfloat16'`) and `meta.json`, atomically."""
    weights = _tensors(model.state_dict())
    if meta.get("dtype") == "bfloat16":
        weights = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in weights.items()}
    run_dir = Path(run_dir)
    atomic_save(run_dir / "model.safetensors", lambda tmp: save_file(weights, tmp))
    atomic_write_text(run_dir / "meta.json", json.dumps(meta, indent=1))


def read_final(run_dir: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(float32 weights, meta) of a finished run; a clear `CheckpointError` when it is not one."""
    run_dir = Path(run_dir)
    missing = [n for n in ("model.safetensors", "meta.json") if not (run_dir / n).is_file()]
    if missing:
        hint = " (training has not finished; checkpoints/ holds its progress)" if (run_dir / CKPT_DIR).is_dir() else ""
        raise CheckpointError(f"not a finished reconstructor run: missing {missing}{hint}", run_dir)
    try:
        weights = load_file(run_dir / "model.safetensors")
        meta = json.loads((run_dir / "meta.json").read_text())
    except (OSError, json.JSONDecodeError, SafetensorError) as e:
        raise CheckpointError(f"cannot read run: {e}", run_dir) from None
    return {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}, meta
