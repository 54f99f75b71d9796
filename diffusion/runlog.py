"""The run folder: its config (checked on resume), the CSV log, and model export."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.io.atomic import atomic_write_text

PHASES = ("autoencoder", "diffusion")
EXPORT_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
LOG_FIELDS = ("phase", "step", "loss", "metric", "lr", "grad_norm", "steps_per_s", "samples_per_s", "elapsed_s")
#: Settings that may change when a run is resumed (how long and how often, not what is trained).
RESUMABLE_CHANGES = {f"config.train.{k}" for k in ("steps", "checkpoint_every", "sample_every", "log_every",
                                                   "keep_checkpoints", "export_dtype", "num_threads",
                                                   "latent_cache_mb")}
#: Settings added after run folders existed: a folder that lacks one was made with this value.
ADDED_SETTINGS = {"config.train.lr_schedule": "constant_with_warmup", "config.train.init_from": None}


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        out.update(_flatten(v, key + ".") if isinstance(v, dict) else {key: v})
    return out


def check_run_config(out_dir: Path, run_config: dict[str, Any]) -> None:
    """Write `run_config` to `out_dir/run_config.json`, or, if the folder holds a run already, refuse a config
    that differs in anything but `RESUMABLE_CHANGES` (CheckpointError listing the differing keys)."""
    path = out_dir / "run_config.json"
    if path.is_file():
        old = {**ADDED_SETTINGS, **_flatten(json.loads(path.read_text()))}
        new = _flatten(json.loads(json.dumps(run_config)))
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k not in RESUMABLE_CHANGES)
        if diff:
            shown = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff[:5])
            raise CheckpointError(f"the run folder was made with another config or data vocabulary ({shown}"
                                  f"{' ...' if len(diff) > 5 else ''}); use a new --out folder", out_dir)
    atomic_write_text(path, json.dumps(run_config, indent=2))


class CsvLog:
    """Append-only CSV training log that, on resume, drops rows past the resumed (phase, step)."""

    def __init__(self, path: Path, phase: str, step: int):
        self.path = path
        rows = []
        if path.is_file():
            with open(path, newline="") as fh:
                rows = [r for r in csv.DictReader(fh)
                        if (PHASES.index(r["phase"]), int(r["step"])) <= (PHASES.index(phase), step)]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, LOG_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(path, buf.getvalue())

    def write(self, **row: Any) -> None:
        """Append one row (missing fields are left empty) and flush it to disk."""
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, LOG_FIELDS).writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                                                     for k, v in row.items()})
            fh.flush()
            os.fsync(fh.fileno())


def export_pipeline(pipe, target: Path, dtype: str = "float32") -> Path:
    """`save_pretrained` (weights stored as `dtype`) into a temp folder, then swap it into `target`.

    Loading casts the weights back to float32; with bf16 autocast at inference, float16 storage halves
    the model's size at no visible cost.
    """
    if dtype not in EXPORT_DTYPES:
        raise ConfigError(f"unknown export dtype {dtype!r}; valid: {', '.join(EXPORT_DTYPES)}")
    if dtype != "float32":
        parts = {}
        for name, module in pipe.components.items():
            if isinstance(module, torch.nn.Module):
                module = copy.deepcopy(module)
                for p in module.parameters():
                    p.data = p.data.to(EXPORT_DTYPES[dtype])
            parts[name] = module
        pipe = type(pipe)(**parts)
    tmp, old = target.with_name(f".{target.name}.tmp"), target.with_name(f".{target.name}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(str(tmp))
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target
