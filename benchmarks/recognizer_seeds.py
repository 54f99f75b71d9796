"""How far is a synthetic-only recognizer from one trained on real people, and how much of that is its training
seed? Each arm is one recipe trained with several seeds; the reference is the same recipe and steps trained on the
real train ids. On the real test ids (CASIA-B protocol: gallery nm-01..04, probes NM/BG/CL, identical views
excluded) the report gives:

- every run's NM / BG / CL rank-1 and their mean (the headline), and its ratio to the reference's mean headline;
- each arm's mean, standard deviation and Student-t 95 % interval over its seeds;
- each later arm's gain over the first, paired by training seed where both arms have it (the seed's luck cancels);
- rank-1 per probe view of every arm's mean, as a table and a PNG.

    python benchmarks/recognizer_seeds.py --real ~/data/casiab \\
        --reference "real train ids=work/runs/recognizer_real" \\
        --arm "walker v3=work/runs/rec_v3_s0,work/runs/rec_v3_s1" \\
        --arm "walker v3 + randomization=work/runs/rec_v3aug_s0,work/runs/rec_v3aug_s1" \\
        --bf16 --cache work/real_casiab_cache --out benchmarks/results/recognizer_randomization_casiab.md

Real silhouettes are research data: the report holds numbers and plots of numbers only; keep --cache outside
anything you commit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report  # noqa: E402
from benchmarks.classifier_seeds import add_reading_args, parse_arm, spread_cell  # noqa: E402
from benchmarks.real_casiab_report import PROBE_SETS  # noqa: E402
from gaitcraft.errors import ConfigError  # noqa: E402

#: the columns of the summary table: (key, title)
COLUMNS = (("NM", "NM"), ("BG", "BG"), ("CL", "CL"), ("headline", "mean NM/BG/CL"), ("ratio", "ratio to reference"))


def run_scores(run: str, real, args) -> dict:
    """One recognizer run on the real test ids: rank-1 per probe set and per probe view, the headline, its seed."""
    from benchmarks.real_casiab import recognizer_result

    r = recognizer_result(run, real, Path(args.cache) if args.cache else True, args.frames_limit, args.bf16)
    seed = r["run"].get("seed")
    return {"run": run, "seed": seed, "headline": r["headline"], "views": r["views"],
            **{p: r["probe_sets"][p]["mean"] for p in PROBE_SETS},
            "per_view": {p: r["probe_sets"][p]["per_view"] for p in PROBE_SETS}}


def summarise(runs: list[dict], reference: float | None) -> dict:
    """An arm's runs with their ratios, the spread of each column over the runs, and its mean per-view rank-1."""
    from eval.evaluation.seed_summary import interval

    for r in runs:
        r["ratio"] = r["headline"] / reference if reference else None
    spread = {k: interval([r[k] for r in runs]) for k, _ in COLUMNS if all(r[k] is not None for r in runs)}
    per_view = {p: np.mean([r["per_view"][p] for r in runs], 0).tolist() for p in PROBE_SETS}
    return {"runs": runs, "spread": spread, "per_view": per_view}


def paired_gain(arm: dict, base: dict) -> dict | None:
    """The headline gain of `arm` over `base` for the training seeds both have, with its 95 % interval; None when
    they share no seed."""
    from eval.evaluation.seed_summary import interval

    mine = {r["seed"]: r["headline"] for r in arm["runs"] if r["seed"] is not None}
    theirs = {r["seed"]: r["headline"] for r in base["runs"] if r["seed"] is not None}
    seeds = sorted(set(mine) & set(theirs))
    if not seeds:
        return None
    return {"seeds": seeds, **interval([mine[s] - theirs[s] for s in seeds])}


def digits(column: str) -> int:
    """Decimals a column is shown with: ratios to 3, rank-1 % to 1."""
    return 3 if column == "ratio" else 1


def fmt(v: float | None, column: str) -> str:
    return "–" if v is None else f"{v:.{digits(column)}f}"


def markdown(result: dict) -> str:
    """The summary table (reference first), the paired gains and the per-view table."""
    ref = result["reference"]
    every = [(ref["label"], ref), *result["arms"].items()]  # reference first, then the arms
    lines = [header("Recognizer seeds on real silhouettes"),
             f"- real test sequences: {result['test_sequences']} (`{result['real']}`, test ids of "
             f"{result['partition']}), each read as up to {result['frames_limit']} frames spread over it"
             + (", under bf16 autocast" if result["bf16"] else ""),
             f"- reference ({ref['label']}): the same recipe and steps trained on real train ids; its mean headline "
             f"over {len(ref['runs'])} run(s) is {ref['spread']['headline']['mean']:.1f} %, the denominator of "
             "every ratio",
             "- rank-1 %, CASIA-B protocol (gallery nm-01..04, identical views excluded); mean ± sd [95 % interval "
             "of the mean] over an arm's seeds", "",
             "| arm | run | " + " | ".join(t for _, t in COLUMNS) + " |", "|---|---|" + "---:|" * len(COLUMNS)]
    for label, arm in every:
        for r in arm["runs"]:
            lines.append(f"| {label} | seed {r['seed']} (`{r['run']}`) | "
                         + " | ".join(fmt(r[k], k) for k, _ in COLUMNS) + " |")
        if len(arm["runs"]) > 1:
            lines.append(f"| {label} | **mean over {len(arm['runs'])} seeds** | "
                         + " | ".join(spread_cell(arm["spread"].get(k), digits(k)) for k, _ in COLUMNS) + " |")
    gains = [(label, arm["gain"]) for label, arm in result["arms"].items() if arm.get("gain")]
    if gains:
        first = next(iter(result["arms"]))
        lines += ["", f"Headline gain over {first}, paired by training seed (rank-1 points):", "",
                  "| arm | seeds | mean gain | sd | 95 % interval |", "|---|---|---:|---:|---|"]
        for label, g in gains:
            spread = (f"{g['sd']:.1f} | {g['low']:+.1f} to {g['high']:+.1f}" if g["n"] > 1
                      else "– | – (one seed)")
            lines.append(f"| {label} | {', '.join(str(s) for s in g['seeds'])} | {g['mean']:+.1f} | {spread} |")
    views = result["views"]
    lines += ["", "Rank-1 per probe view, mean over each arm's runs (%):", "",
              "| probe | arm | " + " | ".join(views) + " |", "|---|---|" + "---:|" * len(views)]
    for p in PROBE_SETS:
        for label, arm in every:
            lines.append(f"| {p} | {label} | " + " | ".join(f"{x:.1f}" for x in arm["per_view"][p]) + " |")
    lines += ["", f"![rank-1 per probe view]({Path(result['figure']).name})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", required=True, help="a real OpenGait tree, e.g. CASIA-B")
    ap.add_argument("--reference", required=True, metavar="LABEL=RUN[,RUN...]",
                    help="recognizer run(s) of the same recipe and steps trained on real train ids: the ratio's "
                         "denominator is their mean headline")
    ap.add_argument("--arm", action="append", required=True, metavar="LABEL=RUN[,RUN...]",
                    help="a recipe and its recognizer runs, one per training seed (repeat for more arms; later "
                         "arms are compared with the first)")
    ap.add_argument("--partition", default="casia-b", help="the split whose test ids are scored (default casia-b)")
    add_reading_args(ap, "embed", "embedding")
    args = ap.parse_args(argv)

    def work() -> Path:
        from benchmarks.real_casiab import open_real_test
        from eval.evaluation.report_figures import write_per_view_png
        from gaitcraft.types import view_name

        ref_label, ref_runs = parse_arm(args.reference)
        arms = dict(parse_arm(a) for a in args.arm)
        if ref_label in arms:
            raise ConfigError(f"--reference and --arm share the label {ref_label!r}; give each its own")
        real, _ = open_real_test(args.real, args.partition)
        ref = summarise([run_scores(r, real, args) for r in ref_runs], None)
        ref_mean = ref["spread"]["headline"]["mean"]
        ref["label"] = ref_label
        scored = {label: summarise([run_scores(r, real, args) for r in runs], ref_mean) for label, runs in arms.items()}
        base = next(iter(scored.values()))
        for arm in list(scored.values())[1:]:
            arm["gain"] = paired_gain(arm, base)
        views = [view_name(v) for v in ref["runs"][0]["views"]]
        out = Path(args.out)
        result = {"real": args.real, "partition": args.partition, "test_sequences": len(real),
                  "frames_limit": args.frames_limit, "bf16": args.bf16, "reference": ref, "arms": scored,
                  "views": views, "figure": str(out.with_suffix(".png"))}
        out.parent.mkdir(parents=True, exist_ok=True)
        panels = {p: {label: arm["per_view"][p] for label, arm in [(ref_label, ref)] + list(scored.items())}
                  for p in PROBE_SETS}
        write_per_view_png(out.with_suffix(".png"), views, panels,
                           "CASIA-B rank-1 (%) per probe view on the real test ids, mean over seeds")
        write_report(out, result, markdown(result))
        return out

    return report_main(work)


if __name__ == "__main__":
    sys.exit(main())
