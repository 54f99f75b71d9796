"""How much does a view classifier's answer depend on edge thickness and body width? Real silhouettes come from
background subtraction, whose threshold grows or eats the edges, and from people of every width; a classifier
trained on rendered walkers may lean on both. Each run reads the same walks unchanged and after each change
(`eval.training.silhouette_augment`: an edge threshold after a 3x3 smoothing, a horizontal stretch); the report
gives view accuracy per change, as a table and a plot.

    python benchmarks/classifier_robustness.py --data ~/data/casiab --partition casia-b \\
        --run "shipped=assets/models/classifiers" --run "augmented=work/runs/classifiers_augment" \\
        --bf16 --out work/classifier_robustness/casiab.md

Real silhouettes are research data: keep --out outside anything you commit, or commit numbers and plots only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from benchmarks._report_files import report_main, write_report_with_figure  # noqa: E402
from gaitcraft.errors import ConfigError, DataError  # noqa: E402

DEFAULT_CHANGES = "none,edge:0.3,edge:0.4,edge:0.6,edge:0.7,stretch:0.85,stretch:1.15"


def parse_changes(text: str) -> list[tuple[str, float]]:
    """'none,edge:0.3,stretch:1.1' -> [('none', 0), ('edge', 0.3), ('stretch', 1.1)], checked."""
    out = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        kind, _, value = item.partition(":")
        if kind == "none" and not value:
            out.append(("none", 0.0))
            continue
        try:
            v = float(value)
        except ValueError:
            raise ConfigError(f"--changes: {item!r} is not none, edge:T or stretch:S") from None
        if kind == "edge" and 0.0 < v < 1.0 or kind == "stretch" and 0.5 < v < 2.0:
            out.append((kind, v))
        else:
            raise ConfigError(f"--changes: {item!r}; edge thresholds lie in (0, 1), stretches in (0.5, 2)")
    if not out:
        raise ConfigError("--changes names no change")
    return out


def change_frames(frames: np.ndarray, kind: str, value: float) -> np.ndarray:
    """Binary frames uint8 [t, h, w] (0/255) after one change, same shape and dtype."""
    import torch

    from eval.training.silhouette_augment import cut_edges, stretch_x

    if kind == "none":
        return frames
    x = torch.from_numpy((frames > 127).astype(np.float32))  # [t, h, w]
    y = cut_edges(x, value) if kind == "edge" else stretch_x(x, value)
    return (y.numpy() > 0.5).astype(np.uint8) * 255


def pick(index, per_view: int, seed: int) -> list:
    """Up to `per_view` records of each view label, drawn with `seed`."""
    by_view: dict[float, list] = {}
    for rec in index.records:
        by_view.setdefault(float(rec.labels.view), []).append(rec)
    rng = np.random.default_rng(seed)
    return [recs[i] for v in sorted(by_view) for recs in [by_view[v]]
            for i in sorted(rng.choice(len(recs), min(per_view, len(recs)), replace=False))]


def robustness(runs: dict[str, str], records: list, changes: list[tuple[str, float]], frames_limit: int,
               bf16: bool) -> dict:
    """{label: {change: {'accuracy', 'per_view'}}} for each run on `records`, read after each change."""
    from eval.evaluation.classifiers import load_classifiers
    from eval.evaluation.embed import even_frames, forward_sequences
    from gaitcraft.pretreat import cut_width

    truth = np.array([float(r.labels.view) for r in records])
    clips = []
    for rec in records:
        frames = rec.load()  # [t, 64, 64]
        clips.append(cut_width(frames[even_frames(len(frames), frames_limit)]))  # [t', 64, 44], as models read
    changed = {kind if kind == "none" else f"{kind} {value:g}": [change_frames(c, kind, value) for c in clips]
               for kind, value in changes}  # each change made once, read by every run
    out = {}
    for label, run in runs.items():
        model, meta = load_classifiers(run)
        classes = np.array([float(v) for v in meta["classes"]["view"]])
        out[label] = {}
        for name, changed_clips in changed.items():
            log(f"{label}: {name}")
            read = classes[forward_sequences(model, changed_clips, frames_limit, meta["config"]["eval"]["batch_frames"],
                                             bf16)["view"].argmax(1)]  # [n]
            out[label][name] = {"accuracy": round(float(np.mean(read == truth) * 100), 1),
                                "per_view": {f"{v:g}": round(float(np.mean(read[truth == v] == v) * 100), 1)
                                             for v in sorted(set(truth))}}
    return out


def markdown(result: dict, figure: str) -> str:
    """View accuracy per run and change."""
    names = list(next(iter(result["runs"].values())))
    lines = [header("View classifiers under silhouette changes"),
             f"- data: `{result['data']}` ({result['split']}; {result['sequences']} sequences, up to "
             f"{result['per_view']} per view drawn with seed {result['seed']}, up to {result['frames_limit']} frames "
             f"each{', bf16 autocast' if result['bf16'] else ''})",
             "- edge T: each frame smoothed over 3x3 pixels and cut at T (below 0.5 grows the silhouette, above "
             "shrinks it); stretch S: widened by S about the image centre", "",
             "| run | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, r in result["runs"].items():
        lines.append(f"| {label} (`{result['paths'][label]}`) | "
                     + " | ".join(f"{r[n]['accuracy']:.1f}" for n in names) + " |")
    lines += ["", "View accuracy (%).", "", f"![view accuracy under each change]({figure})", ""]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    """One line per run: accuracy against the change."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for label, r in result["runs"].items():
        ax.plot(list(r), [v["accuracy"] for v in r.values()], marker="o", label=label)
    ax.set_ylabel("view accuracy (%)")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="an OpenGait tree (real or synthetic)")
    ap.add_argument("--partition", help="read the TEST_SET of this split (e.g. casia-b; default: every sequence)")
    ap.add_argument("--run", action="append", required=True, metavar="LABEL=RUN",
                    help="a classifier run (gaitcraft classifiers train) and its label; repeat to compare")
    ap.add_argument("--changes", default=DEFAULT_CHANGES, help=f"changes to read under (default {DEFAULT_CHANGES})")
    ap.add_argument("--per-view", type=int, default=30, help="walks read per view label (default 30)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the draw of walks (default 0)")
    ap.add_argument("--frames-limit", type=int, default=30, help="frames read per walk, spread evenly (default 30)")
    ap.add_argument("--bf16", action="store_true", help="classify under bf16 autocast")
    ap.add_argument("--out", required=True, help="Markdown report (its .json and .png twins beside it)")
    args = ap.parse_args(argv)
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.splits import evaluation_index

    def work() -> Path:
        runs = {}
        for item in args.run:
            label, sep, run = item.partition("=")
            if not sep or not label.strip() or not run.strip():
                raise ConfigError(f"--run {item!r}: expected LABEL=RUN")
            runs[label.strip()] = run.strip()
        if args.per_view < 1 or args.frames_limit < 1:
            raise ConfigError("--per-view and --frames-limit must be at least 1")
        changes = parse_changes(args.changes)
        index = (evaluation_index(args.data, "test", args.partition) if args.partition
                 else DatasetIndex.open(args.data))
        records = pick(index, args.per_view, args.seed)
        if not records:
            raise DataError("no sequence to read", args.data)
        result = {"data": args.data, "split": f"TEST_SET of {args.partition}" if args.partition else "every sequence",
                  "sequences": len(records), "per_view": args.per_view, "seed": args.seed,
                  "frames_limit": args.frames_limit, "bf16": args.bf16, "paths": runs,
                  "runs": robustness(runs, records, changes, args.frames_limit, args.bf16)}
        return write_report_with_figure(Path(args.out), result, lambda p: plot(result, p),
                                        lambda fig: markdown(result, fig))

    return report_main(work)


if __name__ == "__main__":
    sys.exit(main())
