"""The augmentation experiment over training seeds: pools the reports of `gaitcraft augment-experiment` run with
several `--seed`s (same data, recipe and steps; refused otherwise) and writes the mean gain of real+synthetic over
real-only per probe set (NM/BG/CL) and overall, with its standard deviation, standard error and Student-t 95 %
interval, a per-seed table and a plot.

    python benchmarks/augment_seeds.py work/bench/augment_real10/seed* --out benchmarks/results/augment_real10.md

Each seed's gain is measured against the real-only run of the same seed, so seeds are not mixed across arms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report_with_figure  # noqa: E402
from eval.evaluation.seed_summary import read_reports, summarise  # noqa: E402
from gaitcraft.io.atomic import atomic_save  # noqa: E402


def spread(g: dict, f) -> str:
    """The sd, standard error and interval cells of one `interval` summary; dashes for a single seed, which has no
    spread to measure (its interval is not a zero-width one)."""
    if g["n"] < 2:
        return "– | – | – (one seed)"
    return f"{g['sd']:.1f} | {g['se']:.1f} | {f(g['low'])} to {f(g['high'])}"


def markdown(s: dict, figure: str) -> str:
    """The report: setup, the per-seed table and the interval table."""
    sets, pct = s["sets"], f"{s['level'] * 100:.0f} %"
    f = lambda x: f"{x:+.1f}"  # noqa: E731
    lines = [header("Augmentation over training seeds"),
             f"- real: `{s['real']}` ({s['split'] or 'its partition.json'}); synthetic: `{s['synthetic']}`",
             f"- recipe `{s['recipe']}`, {s['steps']} steps per run; real+synthetic batches add "
             f"{s['synthetic_per_batch'] or 0} synthetic identities; {len(s['seeds'])} seed{'s' if len(s['seeds']) != 1 else ''}", "",
             "| seed | real only: " + " / ".join(sets) + " (mean) | real + synthetic: " + " / ".join(sets)
             + " (mean) | gain: " + " / ".join(sets) + " (mean) |", "|---|---|---|---|"]
    for x in s["seeds"]:
        cells = [" / ".join(f"{x[arm][k]:.1f}" for k in sets) + f" ({x[arm]['mean']:.1f})"
                 for arm in ("real", "real+synthetic")]
        gain = " / ".join(f(x["gain"][k]) for k in sets) + f" ({f(x['gain']['mean'])})"
        lines.append(f"| {x['seed']} | {cells[0]} | {cells[1]} | {gain} |")
    lines += ["", f"| gain over seeds | mean | sd | standard error | {pct} interval |", "|---|---|---|---|---|"]
    for k in [*sets, "mean"]:
        g = s["gain"][k]
        label = "**mean of NM/BG/CL**" if k == "mean" else k
        lines.append(f"| {label} | {f(g['mean'])} | " + spread(g, f) + " |")
    for arm in ("real", "real+synthetic"):
        a = s["arms"][arm]
        lines.append(f"| (mean rank-1, {arm}) | {a['mean']:.1f} | " + spread(a, lambda x: f"{x:.1f}") + " |")
    lines += ["", f"![gain per seed and its interval]({figure})", ""]
    return "\n".join(lines)


def write_figure(path: Path, s: dict) -> None:
    """Per-seed gains (dots) per probe set and overall, with the mean and its interval (bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [*s["sets"], "mean"]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for i, k in enumerate(keys):
        g = s["gain"][k]
        ax.scatter([i + 0.12] * len(s["seeds"]), [x["gain"][k] for x in s["seeds"]], s=14, color="grey", zorder=3)
        ax.errorbar([i - 0.12], [g["mean"]], yerr=[[g["mean"] - g["low"]], [g["high"] - g["mean"]]], fmt="o",
                    color="C0" if k != "mean" else "C3", capsize=4)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(keys)), [*s["sets"], "NM/BG/CL mean"])
    ax.set_ylabel("rank-1 gain (points)")
    ax.set_title(f"real + synthetic minus real only: seeds (grey), mean and {s['level'] * 100:.0f} % interval",
                 fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"), ".png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="augment-experiment --out folders, one per seed")
    ap.add_argument("--out", required=True, help="Markdown report (its .json twin and .png figure beside it)")
    ap.add_argument("--level", type=float, default=0.95, help="confidence level of the interval (default 0.95)")
    args = ap.parse_args(argv)
    out = Path(args.out)

    def work() -> Path:
        summary = summarise(read_reports(args.folders), args.level)
        return write_report_with_figure(out, summary, lambda png: write_figure(png, summary),
                                        lambda name: markdown(summary, name))

    return report_main(work)

if __name__ == "__main__":
    sys.exit(main())
