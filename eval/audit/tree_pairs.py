"""Pairs for auditing a silhouette generator: each generated sequence against the real sequence with the same
(subject, type, view), from two OpenGait/GaitCraft trees. This is how GaitCraft's own generator is audited
as an "animation model" (restoration against real procedural references).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_text


def write_tree_pairs(reference_root: str | Path, generated_root: str | Path, out: str | Path,
                     subjects: list[str] | None = None) -> int:
    """Write a restoration pairs CSV (absolute paths) matching generated to reference sequences by
    (subject, type, view); returns the number of rows. Generated sequences without a reference are an error."""
    ref = {r.labels.key: r for r in DatasetIndex.open(reference_root).records}
    gen = DatasetIndex.open(generated_root)
    if subjects is not None:
        gen = gen.filter(subjects=subjects)
    rows = []
    for rec in gen.records:
        match = ref.get(rec.labels.key)
        if match is None:
            raise DataError(f"generated sequence {'/'.join(rec.labels.key)} has no reference in {reference_root}",
                            rec.path)
        rows.append({"pair_id": "-".join(rec.labels.key), "reference": str(_file(match)),
                     "generated": str(_file(rec)), "motion_id": rec.labels.subject,
                     "appearance_id": rec.labels.subject, "view": rec.labels.view})
    if not rows:
        raise DataError("no generated sequences to pair", generated_root)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(out, buf.getvalue())
    return len(rows)


def _file(rec) -> Path:
    """The file (pkl) or folder (frames) of a record, absolute."""
    return (rec.path / rec.files[0] if rec.files else rec.path).resolve()
