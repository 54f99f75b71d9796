"""`gaitcraft preview DIR --out sheet.png`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from gaitcraft.dataset import MODEL_FRAME_SIZE, DatasetIndex
from gaitcraft.errors import ConfigError
from gaitcraft.io.preview import caption, write_contact_sheet, write_preview


def add_parser(sub, name: str, summary: str):
    """Register `preview`."""
    p = sub.add_parser(name, help=summary, description=(
        "Write a contact sheet PNG: one row per sequence (evenly spaced frames) captioned with its labels. "
        "Sequences are chosen evenly across the dataset; filter with --subject/--type/--view. Any frame size "
        "is shown; sizes other than the 64x64 that models take are noted."))
    p.add_argument("path", help="dataset folder, frame folder or video")
    p.add_argument("--out", required=True, help="output PNG path")
    p.add_argument("--max", type=int, default=12, help="rows in the sheet (default 12)")
    p.add_argument("--frames", type=int, default=10, help="frames per row, at least 1 (default 10)")
    p.add_argument("--subject", action="append", help="only this subject (repeatable)")
    p.add_argument("--type", action="append", dest="types", help="only this type or prefix, e.g. nm- (repeatable)")
    p.add_argument("--view", action="append", type=float, help="only this view in degrees (repeatable)")
    p.add_argument("--gif", action="store_true", help="also write one GIF per row beside the sheet")
    return p


def size_notes(seqs) -> list[str]:
    """One line per frame size other than the models' 64x64 among the previewed `[t, h, w]` sequences."""
    sizes = Counter(f"{s.shape[1]}x{s.shape[2]}" for s in seqs)
    want = "x".join(map(str, MODEL_FRAME_SIZE))
    return [f"{n} of {len(seqs)} previewed sequences are {size}, not the {want} the models take "
            "(`gaitcraft pretreat` makes 64x64 from raw frames)" for size, n in sorted(sizes.items()) if size != want]


def run(args) -> int:
    """Build and write the sheet."""
    if args.max < 1:
        raise ConfigError("--max must be at least 1")
    if args.frames < 1:
        raise ConfigError("--frames must be at least 1")
    index = DatasetIndex.open(args.path).filter(subjects=args.subject, seq_types=args.types, views=args.view)
    if not len(index):
        raise ConfigError(f"{args.path}: no sequences match the filters")
    picks = np.unique(np.linspace(0, len(index) - 1, num=min(args.max, len(index))).round().astype(int))
    recs = [index[int(i)] for i in picks]
    seqs = [r.load(frame_size=None) for r in recs]  # a preview shows any size; the note below says so
    write_contact_sheet(args.out, seqs, [caption(r.labels) for r in recs], frames_per_row=args.frames, scale=2)
    print(f"contact sheet: {args.out} ({len(recs)} sequences)")
    for note in size_notes(seqs):
        print(f"note: {note}")
    if args.gif:
        out = Path(args.out)
        for r, s in zip(recs, seqs):
            gif = out.with_name(f"{out.stem}_{'_'.join(r.labels.key)}.gif")
            write_preview(gif, s)
        print(f"GIFs: {out.parent}/{out.stem}_*.gif")
    return 0
