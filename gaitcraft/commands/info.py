"""`gaitcraft info DIR`."""

from __future__ import annotations

import json

from gaitcraft.info import format_info, inspect_dataset


def add_parser(sub, name: str, summary: str):
    """Register `info`."""
    p = sub.add_parser(name, help=summary, description=(
        "Summarise a dataset: subjects, sequences, types, views, frame-count statistics, and a list of every "
        "problem found (file + reason): corrupt or malicious pkl, unreadable PNG, RGB frames, mixed frame "
        "sizes, zero-frame sequences, NaN/negative/out-of-range values, stray files. What holds for many files "
        "is said once with a count: values read as binary (grayscale 0-255 at 127, float 0-1 at 0.5), frame "
        "sizes other than the 64x64 models take. A summary table lists sequences under 5 frames and the "
        "subject/type/view cells missing from the grid of the subjects, types and views the tree uses. "
        "Labels a lone video or frame folder's path does not state are shown as unknown."))
    p.add_argument("path", help="dataset folder (OpenGait / GaitCraft / PNG tree), frame folder or video")
    p.add_argument("--json", action="store_true", help="print JSON instead of text (every table row, not only the first 25)")
    p.add_argument("--quick", action="store_true",
                   help="index only; do not open every sequence (no values, sizes or short sequences)")
    return p


def run(args) -> int:
    """Print the summary; exit 0 even when problems are listed (they are findings, not failures)."""
    info = inspect_dataset(args.path, check_frames=not args.quick, progress=not args.json)
    print(json.dumps(info, indent=1) if args.json else format_info(info))
    return 0
