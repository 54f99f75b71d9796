"""GaitCraft's own tree = the OpenGait layout plus `manifest.jsonl` (one labels row per sequence)."""

from __future__ import annotations

import json
from pathlib import Path

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.types import SequenceLabels

MANIFEST = "manifest.jsonl"


def read_manifest(root: str | Path) -> dict[tuple[str, str, str], SequenceLabels]:
    """Labels keyed by (subject, type, view folder); bad rows raise DataError naming the line."""
    path = Path(root) / MANIFEST
    out: dict[tuple[str, str, str], SequenceLabels] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise DataError(f"cannot read manifest ({e.strerror})", path) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels = SequenceLabels.from_json(row["labels"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataError(f"line {n}: bad manifest row ({type(e).__name__}: {e})", path) from None
        except DataError as e:
            raise DataError(f"line {n}: {e.reason}", path) from None
        out[labels.key] = labels
    return out


def manifest_row(labels: SequenceLabels, n_frames: int) -> str:
    """One JSON line for `labels` (with the relative folder and frame count)."""
    rel = "/".join(labels.key)
    return json.dumps({"path": rel, "frames": int(n_frames), "labels": labels.to_json()}, sort_keys=True)


def write_manifest(root: str | Path, rows: list[str]) -> None:
    """Write manifest rows, sorted as text (so resumed and uninterrupted runs write identical files)."""
    atomic_write_text(Path(root) / MANIFEST, "".join(r + "\n" for r in sorted(rows)))
