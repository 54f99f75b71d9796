"""Do a synthetic set's identities look like identities to a recognizer trained on real people? Synthetic people
only teach a recognizer when each one stays the same person across views and conditions; this benchmark measures
that for several sets side by side, with real test people as the reference.

For every set (and the real test ids of --real), on one footing: the sequence types of --types only, every
sequence embedded by --recognizer from up to --frames-limit frames, and

- cross-view rank-1: each sequence is a probe against every other sequence of the set that is at another view
  (so a match must cross views, and usually conditions);
- the same with --ids identities drawn at random, --draws times (mean and sd), so sets of different sizes
  compare at one gallery size;
- the naive baseline: the same rank-1 with identity labels shuffled over the set's sequences (chance);
- a PNG of the --ids rank-1 per set.

    python benchmarks/identity_consistency.py --real ~/data/casiab --partition casia-b \\
        --recognizer work/runs/real/recognizer_real \\
        --set "generator, 11 views=work/data/syn_real74_11v" --set "procedural walkers=work/data/procedural50v2_p" \\
        --out benchmarks/results/identity_consistency_casiab74.md

Real silhouettes are research data: the report holds numbers and plots of numbers only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report_with_figure  # noqa: E402
from gaitcraft.errors import ConfigError, DataError  # noqa: E402

REAL_LABEL = "real test ids (reference)"


def parse_set(text: str) -> tuple[str, str]:
    """'LABEL=TREE' -> (label, tree)."""
    label, sep, tree = text.partition("=")
    if not sep or not label.strip() or not tree.strip():
        raise ConfigError(f"--set takes LABEL=TREE, got {text!r}")
    return label.strip(), tree.strip()


def cross_view_rank1(emb: np.ndarray, subjects: np.ndarray, views: np.ndarray) -> float:
    """Leave-one-out rank-1 (%) of `emb` `[n, c, p]` among themselves, neighbours at the probe's own view excluded."""
    from eval.evaluation.generation_metrics import novel_consistency

    return novel_consistency(emb, subjects, np.array([f"{v:g}" for v in views]))["rank1"]


def score_set(emb, ids: int, draws: int, seed: int) -> dict:
    """Cross-view rank-1 of an `EmbeddingSet`: all of it, `draws` random `ids`-identity subsets, and shuffled labels."""
    subjects, views = emb.subjects, emb.views
    people = np.unique(subjects)
    rng = np.random.default_rng(seed)
    out = {"identities": len(people), "sequences": len(emb), "views": sorted({float(v) for v in views}),
           "rank1_all": cross_view_rank1(emb.embeddings, subjects, views)}
    if len(people) >= ids:
        sub = []
        for _ in range(draws):
            keep = np.isin(subjects, rng.choice(people, ids, replace=False))
            sub.append(cross_view_rank1(emb.embeddings[keep], subjects[keep], views[keep]))
        out["rank1_ids"] = {"mean": float(np.mean(sub)), "sd": float(np.std(sub, ddof=1)) if draws > 1 else 0.0,
                            "draws": sub}
    out["rank1_shuffled"] = cross_view_rank1(emb.embeddings, rng.permutation(subjects), views)
    return out


def markdown(result: dict, figure: str) -> str:
    """The report: one row per set, then the figure (file name `figure`)."""
    a = result["args"]
    lines = [header("Identity consistency of synthetic sets, read by a recognizer trained on real people"),
             f"- recognizer: `{a['recognizer']}`; frames read per sequence: {a['frames_limit']}; sequence types: "
             f"{', '.join(a['types'])}",
             "- rank-1: every sequence a probe against the set's other sequences at other views (leave one out)", "",
             f"| set | identities | sequences | views | cross-view rank-1, all (%) | rank-1, {a['ids']} identities "
             f"({a['draws']} draws: mean ± sd) | naive baseline: labels shuffled (%) |",
             "|---|---|---|---|---|---|---|"]
    for label, r in result["sets"].items():
        sub = r.get("rank1_ids")
        lines.append(f"| {label} | {r['identities']} | {r['sequences']} | {len(r['views'])} | {r['rank1_all']:.1f} | "
                     + (f"{sub['mean']:.1f} ± {sub['sd']:.1f}" if sub else "–") + f" | {r['rank1_shuffled']:.1f} |")
    lines += ["", f"![rank-1 per set]({figure})", ""]
    return "\n".join(lines)


def write_figure(path: Path, result: dict) -> None:
    """Bars of the equal-size rank-1 (mean ± sd) per set, chance marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gaitcraft.io.atomic import atomic_save

    sets = {k: v for k, v in result["sets"].items() if "rank1_ids" in v}
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(sets), 3.5), dpi=100)
    x = np.arange(len(sets))
    ax.bar(x, [v["rank1_ids"]["mean"] for v in sets.values()], yerr=[v["rank1_ids"]["sd"] for v in sets.values()],
           color="tab:blue", capsize=4, label="cross-view rank-1")
    ax.scatter(x, [v["rank1_shuffled"] for v in sets.values()], color="tab:red", zorder=3, label="labels shuffled")
    ax.set_xticks(x, list(sets), fontsize=8, rotation=15)
    ax.set_ylabel(f"rank-1 (%), {result['args']['ids']} identities")
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Parse, embed every set, score and write the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", required=True, metavar="LABEL=TREE",
                    help="a synthetic tree (its partition.json's TRAIN_SET, else all of it); repeat for several")
    ap.add_argument("--real", help="real OpenGait tree whose test ids are the reference (optional)")
    ap.add_argument("--partition", help="split of --real (a partition JSON or casia-b; default: its partition.json)")
    ap.add_argument("--recognizer", required=True, help="recognizer run folder, trained on real train ids")
    ap.add_argument("--types", default="nm-01,bg-01,cl-01",
                    help="sequence types every set is cut to (default nm-01,bg-01,cl-01: one walk per condition)")
    ap.add_argument("--ids", type=int, default=40, help="identities per random draw (default 40)")
    ap.add_argument("--draws", type=int, default=5, help="random draws of --ids identities (default 5)")
    ap.add_argument("--frames-limit", type=int, default=30, help="frames read per sequence (default 30)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the draws and the shuffle (default 0)")
    ap.add_argument("--cache", help="embedding cache folder (default: the GaitCraft cache)")
    ap.add_argument("--out", default="benchmarks/results/identity_consistency.md")
    args = ap.parse_args(argv)

    def work() -> Path:
        from eval.evaluation.recognizer import embed
        from gaitcraft.partition import ALL
        from gaitcraft.splits import evaluation_index, select_training

        if args.ids < 2 or args.draws < 1 or args.frames_limit < 1:
            raise ConfigError(f"--ids must be at least 2 and --draws, --frames-limit at least 1; got {args.ids}, "
                              f"{args.draws}, {args.frames_limit}")
        types = [t.strip() for t in args.types.split(",") if t.strip()]
        sets = [(*parse_set(s), False) for s in args.set] + ([(REAL_LABEL, args.real, True)] if args.real else [])
        labels = [label for label, _, _ in sets]
        if len(set(labels)) < len(labels):
            raise ConfigError(f"every set needs its own label, got {', '.join(labels)}")
        result = {"args": {**vars(args), "types": types}, "sets": {}}
        for label, tree, real in sets:
            index = (evaluation_index(tree, "test", args.partition) if real
                     else select_training(tree, default=ALL).index)
            index = index.filter(seq_types=types)
            if not len(index):
                raise DataError(f"no sequences of types {', '.join(types)}", tree)
            print(f"{label}: embedding {len(index)} sequences")
            emb = embed(args.recognizer, index, cache=args.cache or True, frames_limit=args.frames_limit)
            result["sets"][label] = {"tree": str(tree), **score_set(emb, args.ids, args.draws, args.seed)}
        return write_report_with_figure(Path(args.out), result, lambda png: write_figure(png, result),
                                        lambda name: markdown(result, name))

    return report_main(work)


if __name__ == "__main__":
    sys.exit(main())
