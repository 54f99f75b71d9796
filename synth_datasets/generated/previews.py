"""Previews of a generated tree: a contact sheet and GIFs, drawn from the files on disk (so resumed and
uninterrupted runs give the same images)."""

from __future__ import annotations

from pathlib import Path

from gaitcraft.io.opengait_tree import read_opengait_sequence
from gaitcraft.io.preview import caption, write_contact_sheet, write_preview
from gaitcraft.types import SequenceLabels
from synth_datasets.generated.store import pkl_path

PREVIEWS = "previews"


def pick_previews(labels: list[SequenceLabels], per_subject: int = 3, subjects: int = 4) -> list[SequenceLabels]:
    """A few sequences of the first `subjects` subjects, spread over their sequences (sorted key order)."""
    by_subject: dict[str, list[SequenceLabels]] = {}
    for lab in sorted(labels, key=lambda x: x.key):
        by_subject.setdefault(lab.subject, []).append(lab)
    out = []
    for subj in sorted(by_subject)[:subjects]:
        seqs = by_subject[subj]
        step = max(1, len(seqs) // per_subject)
        out += seqs[::step][:per_subject]
    return out


def write_previews(root: Path, labels: list[SequenceLabels], gifs: int | None = 4,
                   sheet_rows: int = 12) -> dict[str, list[str]]:
    """Write `previews/contact_sheet.png` (up to `sheet_rows` sequences) and GIFs (`gifs` of them, or one per
    sequence when None). Returns the written paths relative to `root`."""
    root = Path(root)
    chosen = pick_previews(labels) if gifs is not None else sorted(labels, key=lambda x: x.key)
    if not chosen:
        return {"sheet": [], "gifs": []}
    frames = {lab.key: read_opengait_sequence(pkl_path(root, lab.key)) for lab in chosen}  # each [t, 64, 64]
    sheet = root / PREVIEWS / "contact_sheet.png"
    rows = chosen[:sheet_rows]
    write_contact_sheet(sheet, [frames[lab.key] for lab in rows], [caption(lab) for lab in rows], scale=2)
    written = []
    for lab in chosen if gifs is None else chosen[:gifs]:
        gif = root / PREVIEWS / f"{'-'.join(lab.key)}.gif"
        write_preview(gif, frames[lab.key])
        written.append(gif.relative_to(root).as_posix())
    return {"sheet": [sheet.relative_to(root).as_posix()], "gifs": written}
