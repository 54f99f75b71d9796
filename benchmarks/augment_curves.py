"""Gain curves of the augmentation experiment: how the gain of real+synthetic over real-only moves with one
setting at a time, one `gaitcraft augment-experiment` folder per point (same training seed along a curve).

    python benchmarks/augment_curves.py \\
        --curve "synthetic identities a batch" 1=work/bench/share1/seed0 3=work/bench/default/seed0 \\
        --curve "synthetic identities" 30=work/bench/ids30/seed0 100=work/bench/default/seed0 \\
        --spread benchmarks/results/augment_casiab_real10.json --out benchmarks/results/augment_curves.md

--spread takes the JSON of benchmarks/augment_seeds.py at the default setting: its seed-to-seed standard
deviation of the gain is drawn as an error bar on every point, the noise a step along a curve has to beat.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report  # noqa: E402
from eval.evaluation.gain_curves import curve, parse_point  # noqa: E402
from gaitcraft.errors import DataError  # noqa: E402
from gaitcraft.io.atomic import atomic_save  # noqa: E402


def markdown(curves: list[dict], spread: dict | None, figure: str) -> str:
    """One table per curve: the setting, both arms' mean rank-1 and the gain per probe set and overall."""
    f = lambda x: f"{x:+.1f}"  # noqa: E731
    lines = [header("Augmentation gain curves")]
    if spread is not None:
        g = spread["gain"]["mean"]
        lines.append(f"- seed-to-seed spread of the mean gain at the default setting: sd {g['sd']:.1f} over "
                     f"{g['n']} seeds (95 % interval of its mean {f(g['low'])} to {f(g['high'])}); one point of a "
                     "curve is one seed, so steps smaller than that sd are within noise")
    for c in curves:
        sets = c["sets"]
        lines += ["", f"## {c['name']} (training seed {c['points'][0]['seed']})", "",
                  f"| {c['name']} | real only: mean rank-1 | real + synthetic: mean rank-1 | gain: "
                  + " / ".join(sets) + " | **gain: mean** | folder |", "|---|---|---|---|---|---|"]
        for p in c["points"]:
            lines.append(f"| {p['x']} | {p['real']['mean']:.1f} | {p['real+synthetic']['mean']:.1f} | "
                         + " / ".join(f(p["gain"][k]) for k in sets) + f" | **{f(p['gain']['mean'])}** | "
                         f"`{p['folder']}` |")
    lines += ["", f"![gain against each setting]({figure})", ""]
    return "\n".join(lines)


def write_figure(path: Path, curves: list[dict], spread: dict | None) -> None:
    """One panel per curve: the mean gain (with the seed sd as an error bar) and the CL gain against the setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sd = spread["gain"]["mean"]["sd"] if spread is not None else 0.0
    fig, axes = plt.subplots(1, len(curves), figsize=(3.2 * len(curves), 3.2), dpi=100, squeeze=False)
    for ax, c in zip(axes[0], curves):
        xs = range(len(c["points"]))
        ax.errorbar(xs, [p["gain"]["mean"] for p in c["points"]], yerr=sd, fmt="o-", color="C3", capsize=4,
                    label="NM/BG/CL mean")
        ax.plot(xs, [p["gain"]["CL"] for p in c["points"]], "s--", color="C0", label="CL")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(list(xs), [p["x"] for p in c["points"]])
        ax.set_xlabel(c["name"], fontsize=8)
        ax.set_ylabel("rank-1 gain (points)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("real + synthetic minus real only, one training seed a point"
                 + (" (bars: seed sd at the default)" if spread is not None else ""), fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"), ".png")
    plt.close(fig)


def read_spread(path: str | None) -> dict | None:
    """The augment_seeds.py summary at `path`, or None."""
    if path is None:
        return None
    try:
        spread = json.loads(Path(path).read_text())
        spread["gain"]["mean"]["sd"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise DataError(f"not a summary of benchmarks/augment_seeds.py ({type(e).__name__})", path) from None
    return spread


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curve", nargs="+", action="append", required=True, metavar="NAME X=FOLDER",
                    help="a curve: its name (the setting that moves), then one X=FOLDER per point, in plot order; "
                         "repeat for more curves")
    ap.add_argument("--spread", help="benchmarks/augment_seeds.py JSON at the default setting (default: none)")
    ap.add_argument("--out", required=True, help="Markdown report (its .json twin and .png figure beside it)")
    args = ap.parse_args(argv)
    out = Path(args.out)

    def work() -> Path:
        curves = [curve(name, [parse_point(p) for p in points]) for name, *points in args.curve]
        spread = read_spread(args.spread)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_figure(out.with_suffix(".png"), curves, spread)
        write_report(out, {"curves": curves}, markdown(curves, spread, out.with_suffix(".png").name))
        return out

    return report_main(work)

if __name__ == "__main__":
    sys.exit(main())
