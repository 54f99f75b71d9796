"""Assemble a generated tree: drop excluded sequences, write manifest.jsonl, partition.json, previews and the
card from the per-sequence rows on disk (resumed and uninterrupted runs give identical files)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from gaitcraft.io.manifest import write_manifest
from gaitcraft.io.opengait_tree import write_partition
from gaitcraft.types import SequenceLabels
from synth_datasets.generated.card import write_generated_card
from synth_datasets.generated.previews import write_previews
from synth_datasets.generated.store import (
    META,
    is_excluded,
    pkl_path,
    read_checks,
    read_excluded,
    read_rows,
    read_training_data_copy,
    row_path,
)


def _remove(root: Path, key: tuple[str, str, str]) -> None:
    """Delete a sequence's pkl and row, and its now-empty folders."""
    for f in (pkl_path(root, key), row_path(root, key)):
        f.unlink(missing_ok=True)
    folder = pkl_path(root, key).parent
    for d in (folder, folder.parent, folder.parent.parent):
        with contextlib.suppress(OSError):
            d.rmdir()  # only succeeds when empty


def assemble(root: str | Path) -> list[SequenceLabels]:
    """Apply exclusions, write `manifest.jsonl` and `partition.json` (every subject in TRAIN_SET); return labels."""
    root = Path(root)
    excluded = read_excluded(root)
    rows = read_rows(root)
    for key in [k for k in rows if is_excluded(excluded, k)]:
        _remove(root, key)
        del rows[key]
    write_manifest(root, list(rows.values()))
    labels = [SequenceLabels.from_json(json.loads(r)["labels"]) for r in rows.values()]
    write_partition(root / "partition.json", sorted({lab.subject for lab in labels}), [])
    return labels


def finalize(root: str | Path) -> dict[str, Any]:
    """Manifest, partition, previews and card of a finished generation; privacy and curation results are read
    from `.synth/privacy.json` / `.synth/curation.json` when the check step recorded them."""
    root = Path(root)
    labels = assemble(root)
    record = json.loads((root / META / "spec.json").read_text())
    previews = write_previews(root, labels)
    checks = read_checks(root)
    card = write_generated_card(root, labels, record, previews, checks.get("privacy"), checks.get("curation"),
                                read_training_data_copy(root))
    return {"root": str(root), "sequences": len(labels), "subjects": len({lab.subject for lab in labels}),
            "excluded": len(read_excluded(root)), "card": str(card), "previews": previews}
