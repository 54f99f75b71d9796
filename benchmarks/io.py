"""I/O benchmark: sequences/s read by GaitCraft's restricted unpickler beside plain `pickle.load`
(same files, same run), and OpenGait pretreatment frames/s.

    python benchmarks/io.py [--sequences 2000] [--frames 80] [--out benchmarks/results/io.md]

Silhouettes are crafted walking-shape masks at CASIA-B's raw size (320x240), pretreated and written by this
script into a temp folder: the unsafe `pickle.load` baseline only ever reads files the script wrote itself.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.io.safe_pickle import load_array_pickle  # noqa: E402
from gaitcraft.io.writers import write_opengait_tree  # noqa: E402
from gaitcraft.pretreat import pretreat_frames  # noqa: E402
from gaitcraft.types import Sequence, SequenceLabels  # noqa: E402
from tests.conftest import walker_blob  # noqa: E402


def _time_reads(paths, loader, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for p in paths:
            loader(p)
        best = min(best, time.perf_counter() - t0)
    return len(paths) / best


def _plain(p):
    """The unsafe baseline. Only ever called on the tree this script has just written into its own temp folder
    (there is deliberately no option to point it at other files)."""
    with open(p, "rb") as fh:
        return pickle.load(fh)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=2000)
    ap.add_argument("--frames", type=int, default=80)
    ap.add_argument("--out", default="benchmarks/results/io.md")
    args = ap.parse_args()

    raw = walker_blob(t=args.frames, h=240, w=320)  # [t, 240, 320]
    t0 = time.perf_counter()
    pre = pretreat_frames(raw)
    pre_fps = len(raw) / (time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seqs = (Sequence(pre, SequenceLabels(f"{i // 110:04d}", f"nm-{i // 11 % 10 + 1:02d}", i % 11 * 18.0))
                for i in range(args.sequences))
        write_opengait_tree(root, seqs, manifest=False)
        t0 = time.perf_counter()
        index = DatasetIndex.open(root)
        index_s = time.perf_counter() - t0
        paths = [r.path / r.files[0] for r in index]
        _time_reads(paths[:200], load_array_pickle, 1)  # warm the page cache for both
        plain = _time_reads(paths, _plain)
        safe = _time_reads(paths, load_array_pickle)
        n = len(paths)

    rows = [
        "| measure | value |", "|---|---|",
        f"| index a {n}-sequence tree (lazy, no file opened) | {index_s:.2f} s |",
        f"| read, plain `pickle.load` (baseline, unsafe) | {plain:,.0f} seq/s |",
        f"| read, GaitCraft restricted unpickler | {safe:,.0f} seq/s |",
        f"| ratio plain / safe (target ≤ 1.5) | {plain / safe:.2f} |",
        f"| OpenGait pretreatment (320x240 -> 64x64) | {pre_fps:,.0f} frames/s |",
    ]
    text = header("I/O") + f"\n{n} sequences of {pre.shape[0]} frames (64x64 uint8); best of 3 passes.\n\n" + "\n".join(rows) + "\n"
    print(text)
    atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
