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
    """A few sequences of the first `subjects` subjects: each subject's picks cycle through its sequence types,
    and the view moves on from one pick to the next over the whole selection (taking the subject's nearest view
    where it lacks one), so a sheet shows the types and spreads over the views."""
    by_subject: dict[str, list[SequenceLabels]] = {}
    for lab in sorted(labels, key=lambda x: x.key):
        by_subject.setdefault(lab.subject, []).append(lab)
    views = sorted({lab.view for lab in labels})
    out = []
    for s, subj in enumerate(sorted(by_subject)[:subjects]):
        left = by_subject[subj]
        types = sorted({lab.seq_type for lab in left})
        for k in range(min(per_subject, len(left))):
            want_type, want_view = types[k % len(types)], views[(s * per_subject + k) % len(views)]
            pick = min(left, key=lambda lab: (lab.seq_type != want_type, abs(lab.view - want_view), lab.key))
            left = [lab for lab in left if lab is not pick]
            out.append(pick)
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
