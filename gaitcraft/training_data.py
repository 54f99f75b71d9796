"""What data trained a generator: the tree, its split, the identities trained on and held out, and whether the
data is real. `gaitcraft train` records it in the run folder and in the exported model folder
(`training_data.json`), so a dataset drawn from the model can say where it comes from (its card), and the privacy
audit can take the generator's own training identities as its gallery.

Real data is any tree that is not wholly GaitCraft-made: a sequence whose manifest provenance names no GaitCraft
generator (the procedural walker, the diffusion generator) makes the tree real, third-party data. A model trained
on real data derives from it, and so does what it generates: it inherits the data's licence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.splits import TrainingSplit

#: The record's file name, in a run folder and in its exported model folder.
TRAINING_DATA_FILE = "training_data.json"
#: Prefix of the `provenance.generator` of every sequence GaitCraft makes ('gaitcraft-procedural', ...).
GAITCRAFT_GENERATORS = "gaitcraft-"
#: What a tree is: made by GaitCraft's walker, by a GaitCraft generator, or real (third-party, research-only).
KINDS = ("procedural", "synthetic", "real")


def data_kind(provenances: list[dict[str, Any] | None]) -> str:
    """'procedural', 'synthetic' or 'real' for the sequences whose manifest provenances are given: real unless
    every one names a GaitCraft generator; procedural when every one names the procedural walker."""
    makers = {str((p or {}).get("generator", "")) for p in provenances}
    if not makers or not all(m.startswith(GAITCRAFT_GENERATORS) for m in makers):
        return "real"
    return "procedural" if makers == {"gaitcraft-procedural"} else "synthetic"


def describe_training_data(data: str | Path, split: TrainingSplit) -> dict[str, Any]:
    """The record of a training run's data: the tree `data` (absolute path), the split it was chosen by (its
    words and, when from a file, the file), the identities trained on and those of the tree the split holds out,
    the number of sequences, and the kind of data (`KINDS`)."""
    index, part = split.index, split.partition
    return {
        "tree": str(Path(data).expanduser().resolve()),
        "split": part.source,
        "split_file": str(Path(part.path).resolve()) if part.path is not None else None,
        "train_ids": sorted({r.labels.subject for r in index.records}),
        "held_out_ids": split.held_out,
        "sequences": len(index),
        "kind": data_kind([r.labels.provenance for r in index.records]),
    }


def write_training_data(folder: str | Path, record: dict[str, Any]) -> Path:
    """Write `record` as `folder/training_data.json` (atomically); returns the file."""
    path = Path(folder) / TRAINING_DATA_FILE
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))
    return path


def find_training_data(folder: str | Path) -> Path | None:
    """The training-data record of a model folder or of the run folder it was exported from
    (`folder/training_data.json`, else `folder/model/training_data.json`); None when there is none (a model trained
    before GaitCraft recorded it, or outside `gaitcraft train`)."""
    folder = Path(folder)
    for path in (folder / TRAINING_DATA_FILE, folder / "model" / TRAINING_DATA_FILE):
        if path.is_file():
            return path
    return None


def read_training_data(folder: str | Path) -> dict[str, Any] | None:
    """The record `find_training_data` finds in `folder` (None when there is none); an unreadable one is a
    one-line `DataError` naming the file."""
    path = find_training_data(folder)
    if path is None:
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read the generator's training-data record ({type(e).__name__}: {e})", path) from None
    wanted = {"tree", "split", "train_ids", "held_out_ids", "kind"}
    if not isinstance(record, dict) or not wanted <= set(record) or record["kind"] not in KINDS:
        raise DataError(f"not a training-data record: expected the keys {', '.join(sorted(wanted))}", path)
    return record
