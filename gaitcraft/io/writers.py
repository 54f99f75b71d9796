"""Dataset writers: OpenGait tree, GaitCraft tree (OpenGait + manifest.jsonl) and PNG tree."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gaitcraft.io.frames import write_frame_folder
from gaitcraft.io.manifest import manifest_row, write_manifest
from gaitcraft.io.opengait_tree import write_opengait_sequence, write_partition
from gaitcraft.types import Sequence


def write_opengait_tree(root: str | Path, sequences: Iterable[Sequence], train: list[str] | None = None,
                        test: list[str] | None = None, partition_name: str = "partition.json",
                        manifest: bool = True) -> Path:
    """Write sequences as an OpenGait tree (plus `manifest.jsonl` when `manifest`, making it a GaitCraft tree).

    The partition JSON goes at the root; OpenGait ignores root entries that are not listed subjects.
    Returns the root.
    """
    root = Path(root)
    rows, subjects = [], set()
    for seq in sequences:
        write_opengait_sequence(root, seq.labels, seq.frames)
        rows.append(manifest_row(seq.labels, len(seq)))
        subjects.add(seq.labels.subject)
    if manifest:
        write_manifest(root, rows)
    if train is not None or test is not None:
        write_partition(root / partition_name, list(train or []), list(test or []))
    return root


def write_png_tree(root: str | Path, sequences: Iterable[Sequence]) -> Path:
    """Write sequences as a CASIA-B style PNG tree `<id>/<type>/<view>/<id>-<type>-<view>-NNN.png`."""
    root = Path(root)
    for seq in sequences:
        lab = seq.labels
        folder = root / lab.subject / lab.seq_type / lab.view_name
        write_frame_folder(folder, seq.frames, prefix=f"{lab.subject}-{lab.seq_type}-{lab.view_name}-")
    return root
