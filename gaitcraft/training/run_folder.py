"""The run folder: where a training run keeps its config, data identity, log, checkpoints and model.

`RunFolder.claim` is the resume rule's gate: a new folder gets the run's `config.yaml` and `data.json`; a folder
that holds a run already is taken only when both match (bar the config's `RESUMABLE` keys), and a folder of a
former GaitCraft layout is refused with a line that says what it is and what to do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from gaitcraft.errors import CheckpointError
from gaitcraft.io.atomic import atomic_write_text


def data_fingerprint(records: list) -> str:
    """A short hash of the labels of a list of records: which sequences a run trains on."""
    keys = sorted(json.dumps(r.labels.to_json(), sort_keys=True, default=str) for r in records)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        out.update(_flatten(v, key + ".") if isinstance(v, dict) and v else {key: v})
    return out


def _differences(old: dict[str, Any], new: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """'key: old -> new, ...' for the first differing keys of two nested dicts, or '' when they agree."""
    a, b = _flatten(old), _flatten(new)
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k) and k not in ignore)
    shown = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in diff[:5])
    return shown + (" ..." if len(diff) > 5 else "")


def _former_layout(root: Path) -> str | None:
    """What a run folder of a former GaitCraft layout is, or None."""
    ckpts = root / "checkpoints"
    if (ckpts / "latest.json").is_file() or (root / "run_config.json").is_file() or (root / "log.csv").is_file():
        return "a generator run of the former layout (run_config.json, log.csv, checkpoints/latest.json)"
    if any(ckpts.glob("step-*/rng.safetensors")) or (root / "train_log.jsonl").is_file():
        return "a run of the former layout (train_log.jsonl, checkpoints/step-N/rng.safetensors)"
    return None


class RunFolder:
    """The layout of a run folder (see `gaitcraft.training`): paths, and the checks that let a run resume."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.config = self.root / "config.yaml"
        self.data = self.root / "data.json"
        self.log = self.root / "log.jsonl"
        self.checkpoints = self.root / "checkpoints"
        self.model = self.root / "model"

    def has_progress(self) -> bool:
        """Whether a run has got anywhere here: a complete checkpoint or a model (a run that failed before its
        first checkpoint leaves nothing to resume, so its folder may be reused)."""
        return any(self.checkpoints.glob("step-*/run_state.json")) or self.model.exists()

    def claim(self, config: dict[str, Any], data: dict[str, Any], resumable: tuple[str, ...] = ()) -> None:
        """Make this folder the run of `config` on `data`, or check that it is: a folder whose run has progressed
        with another config (bar the `resumable` dotted keys) or other data, or of a former layout, is a
        `CheckpointError`."""
        former = None if self.config.is_file() else _former_layout(self.root)
        if former:
            raise CheckpointError(f"{former}, which this version cannot resume; train into a new --out folder "
                                  "(a finished run's model still loads for generation and evaluation)", self.root)
        if self.config.is_file() and self.has_progress():
            try:
                old_config = yaml.safe_load(self.config.read_text())
                old_data = json.loads(self.data.read_text()) if self.data.is_file() else {}
            except (OSError, yaml.YAMLError, json.JSONDecodeError) as e:
                raise CheckpointError(f"cannot read the run's config or data identity: {' '.join(str(e).split())}",
                                      self.root) from None
            diff = _differences(old_config if isinstance(old_config, dict) else {}, config, resumable)
            if diff:
                raise CheckpointError(f"the run folder was made with another config ({diff}); use a new --out folder "
                                      "or the run's own config.yaml", self.root)
            diff = _differences(old_data, data)
            if diff:
                raise CheckpointError(f"the run folder was made with another config or data ({diff}); use a new "
                                      "--out folder", self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config, yaml.safe_dump(config, sort_keys=False))
        atomic_write_text(self.data, json.dumps(data, indent=1))
