"""Atomic, resumable training checkpoints: safetensors weights, optimizer state, RNG states and a JSON state.

A checkpoint is written into a hidden temp folder, fsynced and renamed into place; only then does
`latest.json` (itself written atomically) point at it. A killed run therefore resumes from the last
complete checkpoint and never sees a half-written one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from gaitcraft.errors import CheckpointError
from gaitcraft.io.atomic import atomic_write_text


def _fsync_dir(path: Path) -> None:
    """fsync every file in `path` and the folder itself."""
    for f in path.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rng_snapshot(generator: torch.Generator) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, JSON) holding the trainer generator, torch's global, numpy's and Python's RNG states."""
    tensors = {"trainer": generator.get_state(), "torch": torch.get_rng_state()}
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    py = random.getstate()
    return tensors, {"numpy": [kind, keys.tolist(), pos, has_gauss, gauss], "python": [py[0], list(py[1]), py[2]]}


def rng_restore(generator: torch.Generator, tensors: dict[str, torch.Tensor], js: dict[str, Any]) -> None:
    """Inverse of `rng_snapshot`."""
    generator.set_state(tensors["trainer"])
    torch.set_rng_state(tensors["torch"])
    kind, keys, pos, has_gauss, gauss = js["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    random.setstate((js["python"][0], tuple(js["python"][1]), js["python"][2]))


def save_checkpoint(root: Path, name: str, weights: dict[str, dict[str, torch.Tensor]], optimizer: dict[str, Any],
                    state: dict[str, Any], keep: int) -> Path:
    """Write checkpoint `root/name` (one safetensors file per entry of `weights`), point `latest.json` at it,
    and delete all but the newest `keep` checkpoints."""
    root.mkdir(parents=True, exist_ok=True)
    tmp, final = root / f".{name}.tmp", root / name
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for stem, sd in weights.items():
        save_file({k: v.detach().cpu().contiguous() for k, v in sd.items()}, str(tmp / f"{stem}.safetensors"))
    torch.save(optimizer, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state))
    _fsync_dir(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    atomic_write_text(root / "latest.json", json.dumps({"checkpoint": name}))
    done = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=os.path.getmtime)
    for old in done[:-keep] if keep > 0 else []:
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """(folder, state) of the checkpoint `latest.json` names, or None when there is none yet."""
    latest = root / "latest.json"
    if not latest.is_file():
        return None
    try:
        folder = root / json.loads(latest.read_text())["checkpoint"]
        return folder, json.loads((folder / "state.json").read_text())
    except (OSError, KeyError, json.JSONDecodeError) as e:
        raise CheckpointError(f"cannot read the latest checkpoint: {e}", latest) from None


def load_weights(folder: Path, stem: str) -> dict[str, torch.Tensor]:
    """The tensors of `folder/stem.safetensors` (CheckpointError if missing)."""
    path = folder / f"{stem}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"checkpoint has no {path.name}", folder)
    return load_file(str(path))


def load_optimizer(folder: Path) -> dict[str, Any]:
    """The optimizer / LR-scheduler states (plain tensors and numbers only: `weights_only` loading)."""
    return torch.load(folder / "optimizer.pt", weights_only=True)
