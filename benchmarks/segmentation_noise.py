"""Segmentation quality of silhouette trees side by side: real background-subtraction masks against rendered ones,
clean and with the segmentation-noise model.

    python benchmarks/segmentation_noise.py --tree real=~/data/casiab:001-074:5 --tree clean=/tmp/proc3 \
        --tree noisy=/tmp/proc3n [--views 0,36,72,108,144,180] [--out benchmarks/results/segmentation_noise.md]

Each `--tree NAME=PATH[:FIRST-LAST[:STEP]]` is an OpenGait tree; the optional id range keeps subjects FIRST..LAST
(every STEP-th), e.g. `001-074:5` = 001, 006, ..., 071. `--views` keeps those view folders in every tree (default:
the views all trees share), so that view-dependent measures compare like with like. The measures are those of
`gaitcraft.silhouette_quality`; the table gives each tree's mean and 10th-90th percentile over sequences.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.io.opengait_tree import read_opengait_sequence, scan_tree  # noqa: E402
from gaitcraft.silhouette_quality import MEASURES, measure_sequence, summarize  # noqa: E402


def parse_tree(text: str) -> tuple[str, Path, set[str] | None]:
    """'NAME=PATH[:FIRST-LAST[:STEP]]' -> (name, path, kept subject ids or None for all)."""
    name, _, rest = text.partition("=")
    path, _, ids = rest.partition(":")
    keep = None
    if ids:
        span, _, step = ids.partition(":")
        first, _, last = span.partition("-")
        width = len(first)
        keep = {f"{i:0{width}d}" for i in range(int(first), int(last or first) + 1, int(step or 1))}
    return name, Path(path).expanduser(), keep


def measure_tree(root: Path, keep: set[str] | None, views: set[str] | None, desc: str):
    """Measures of every kept sequence: list of (subject, type, view, SilhouetteQuality)."""
    entries, _ = scan_tree(root)
    entries = [e for e in entries if (keep is None or e.subject in keep) and (views is None or e.view in views)]
    out = []
    for e in tqdm(entries, desc=desc, unit="seq"):
        out.append((e.subject, e.seq_type, e.view, measure_sequence(read_opengait_sequence(e.folder / e.files[0]))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH[:FIRST-LAST[:STEP]] (repeatable)")
    ap.add_argument("--views", default=None, help="comma-separated view folders to keep (default: shared views)")
    ap.add_argument("--out", default=None, help="write the Markdown table here (and the numbers as .json)")
    args = ap.parse_args()
    trees = [parse_tree(t) for t in args.tree]
    if args.views:
        views = {f"{int(float(v)):03d}" for v in args.views.split(",")}
    else:
        per_tree = [{e.view for e in scan_tree(p)[0]} for _, p, _ in trees]
        views = set.intersection(*per_tree)
    t0 = time.time()
    results = {name: measure_tree(p, keep, views, name) for name, p, keep in trees}
    summary = {name: summarize([q for *_, q in r]) for name, r in results.items()}
    names = list(results)
    lines = [f"views: {', '.join(sorted(views))}; sequences: "
             + ", ".join(f"{n} {len(results[n])}" for n in names), "",
             "| measure | " + " | ".join(f"{n} mean (p10-p90)" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for m in MEASURES:
        cells = [f"{summary[n][m]['mean']:.4f} ({summary[n][m]['p10']:.4f}-{summary[n][m]['p90']:.4f})" for n in names]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    by_view = ["", "Mean per view:", "", "| measure | view | " + " | ".join(names) + " |",
               "|---|---|" + "---|" * len(names)]
    for m in MEASURES:
        for v in sorted(views):
            cells = []
            for n in names:
                vals = [getattr(q, m) for _, _, vw, q in results[n] if vw == v]
                cells.append(f"{np.nanmean(vals):.4f}" if vals else "-")
            by_view.append(f"| {m} | {v} | " + " | ".join(cells) + " |")
    text = "\n".join(lines + by_view)
    print(text)
    print(f"({time.time() - t0:.0f} s)")
    if args.out:
        out = Path(args.out)
        atomic_write_text(out, header("Segmentation quality: real vs rendered silhouettes") + "\n" + text + "\n")
        atomic_write_text(out.with_suffix(".json"), json.dumps(summary, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
