"""Does the view drift along a walk? A view classifier reads each sequence in parts (first, middle and last third by
default) and whole; the report gives, per labelled view, the mean view read in each part and the share read as
the label. Static cameras (CASIA-B's) see the walker at an angle that grows along the walk; a camera that follows
the walker does not.

    python benchmarks/view_drift.py --data ~/data/casiab --partition casia-b --classifiers assets/models/classifiers \\
        --out work/view_drift/shipped.md

Real silhouettes are research data: keep --out outside anything you commit. The report holds numbers only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report  # noqa: E402
from gaitcraft.errors import ConfigError  # noqa: E402

#: a part must hold at least this many frames to be read
MIN_PART_FRAMES = 8


def read_parts(model, view_classes: list, frames: np.ndarray, parts: int) -> list[float]:
    """The view read in each of `parts` consecutive parts of `frames` [t, h, w] (0/255), then over all frames,
    cut to the model's width as in training and evaluation."""
    import torch

    from gaitcraft.pretreat import cut_width

    frames = cut_width(frames) if frames.shape[-1] == 64 else frames  # [t, 64, 44]
    x = torch.from_numpy(frames.astype(np.float32) / 255.0)  # [t, h, w]
    bounds = np.linspace(0, len(frames), parts + 1).round().astype(int)
    clips = [x[a:b] for a, b in zip(bounds[:-1], bounds[1:])] + [x]
    with torch.no_grad():
        return [float(view_classes[int(model(c[None])["view"].float().argmax())]) for c in clips]


def drift(classifiers: str, index, parts: int, progress: bool = True) -> dict:
    """{view label: {'n', 'mean' [parts + 1], 'as_label' [parts + 1] (%)}} over the sequences of `index` long
    enough to split; the last entry of each list is the whole sequence."""
    from tqdm import tqdm

    from eval.evaluation.classifiers import load_classifiers

    model, meta = load_classifiers(classifiers)
    classes = [float(v) for v in meta["classes"]["view"]]
    reads: dict[float, list[list[float]]] = {}
    for rec in tqdm(list(index.records), desc="read views", disable=not progress):
        frames = rec.load()  # [t, 64, 64]
        if len(frames) < parts * MIN_PART_FRAMES:
            continue
        reads.setdefault(float(rec.labels.view), []).append(read_parts(model, classes, frames, parts))
    out = {}
    for view in sorted(reads):
        r = np.array(reads[view])  # [n, parts + 1]
        out[f"{view:g}"] = {"n": len(r), "mean": r.mean(0).round(1).tolist(),
                            "as_label": (100.0 * (r == view).mean(0)).round(1).tolist()}
    return out


def markdown(result: dict, parts: int) -> str:
    """The table: mean view read per part, and the share read as the label."""
    names = [f"part {i + 1}" for i in range(parts)] + ["whole"]
    lines = [header("View read along the walk"),
             f"- classifiers: `{result['classifiers']}`; data: `{result['data']}` ({result['sequences']} sequences "
             f"of {result['types']}, at least {parts * MIN_PART_FRAMES} frames)", "",
             "| view | n | mean view read: " + " / ".join(names) + " | read as the label (%): "
             + " / ".join(names) + " |", "|---|---|---|---|"]
    for view, r in result["views"].items():
        lines.append(f"| {view} | {r['n']} | " + " / ".join(f"{m:.0f}" for m in r["mean"]) + " | "
                     + " / ".join(f"{a:.0f}" for a in r["as_label"]) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="an OpenGait tree (real or synthetic)")
    ap.add_argument("--classifiers", required=True, help="a view classifier run (gaitcraft classifiers train)")
    ap.add_argument("--partition", help="read the TEST_SET of this split (e.g. casia-b; default: every sequence)")
    ap.add_argument("--types", default="nm-01,nm-02", help="sequence types to read (default nm-01,nm-02)")
    ap.add_argument("--parts", type=int, default=3, help="consecutive parts a sequence is read in (default 3)")
    ap.add_argument("--out", required=True, help="Markdown report (its .json twin beside it)")
    args = ap.parse_args(argv)
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.splits import evaluation_index

    def work() -> Path:
        if args.parts < 1:
            raise ConfigError(f"--parts must be at least 1, got {args.parts}")
        index = (evaluation_index(args.data, "test", args.partition) if args.partition
                 else DatasetIndex.open(args.data))
        types = [t.strip() for t in args.types.split(",") if t.strip()]
        index = index.filter(seq_types=types)
        result = {"classifiers": args.classifiers, "data": args.data, "types": types,
                  "sequences": len(index.records), "parts": args.parts,
                  "views": drift(args.classifiers, index, args.parts)}
        write_report(Path(args.out), result, markdown(result, args.parts))
        return Path(args.out)

    return report_main(work)

if __name__ == "__main__":
    sys.exit(main())
