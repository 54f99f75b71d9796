"""How much of a synthetic-trained classifier's score on real silhouettes is its training seed, and how much is the
data? Each arm is one recipe trained with several seeds; the report gives, on the real test ids:

- every run's view accuracy, coat recall, clothing accuracy and bag-vs-no-bag accuracy, and their mean, standard
  deviation and Student-t 95 % interval over the seeds;
- the ensemble of the arm's runs (softmax averaged): what is left when seed-to-seed variance is averaged away;
- with --adapt N, the same after each run's BatchNorm statistics are re-estimated on N unlabelled sequences of the
  real *train* ids (AdaBN; no label and no gradient step): how much of the gap is first-order feature statistics;
- view recall per true view for each run, the ensemble and the adapted ensemble, as a table and a PNG.

    python benchmarks/classifier_seeds.py --real ~/data/casiab \\
        --arm "walker v3=work/runs/classifiers_v3,work/runs/classifiers_v3_seed1" \\
        --arm "walker v4=work/runs/classifiers_v4,work/runs/classifiers_v4_seed1" \\
        --adapt 600 --bf16 --cache work/real_casiab_cache --out benchmarks/results/classifier_seeds.md

Real silhouettes are research data: the report holds numbers and plots of numbers only; keep --cache outside
anything you commit.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report  # noqa: E402
from gaitcraft.errors import ConfigError  # noqa: E402

#: the scores of the summary table: (key, column title)
MEASURES = (("view", "view accuracy (%)"), ("coat", "coat recall (%)"), ("clothing", "clothing accuracy (%)"),
            ("bag", "bag vs no bag (%)"))


def parse_arm(text: str) -> tuple[str, list[str]]:
    """'LABEL=RUN[,RUN...]' -> (label, runs)."""
    label, sep, runs = text.partition("=")
    paths = [r.strip() for r in runs.split(",") if r.strip()]
    if not sep or not label.strip() or not paths:
        raise ConfigError(f"--arm takes LABEL=RUN[,RUN...], got {text!r}")
    return label.strip(), paths


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits `[n, classes]`."""
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def measures(scores: dict) -> dict:
    """The summary numbers of `score_attributes`' output, plus view recall per true view."""
    return {"view": scores["view"]["accuracy"], "coat": scores["clothing"]["recall"].get("coat"),
            "clothing": scores["clothing"]["accuracy"], "bag": scores["carry"]["accuracy"],
            "view_recall": scores["view"]["recall"], "view_confusion": scores["view"]["confusion"]}


def predictions(classes: dict, probs: dict) -> dict:
    """Class names of the most probable class of each attribute."""
    return {a: [classes[a][i] for i in p.argmax(1)] for a, p in probs.items()}


def score_arm(runs: list[str], test, adapt_records: list, args) -> dict:
    """Every run's measures, their spread over the runs, the ensemble's, and (with adaptation records) the adapted
    runs' and adapted ensemble's."""
    from eval.evaluation.bn_adaptation import adapt_batchnorm
    from eval.evaluation.classifier_confusion import attribute_logits, score_attributes
    from eval.evaluation.classifiers import load_classifiers
    from eval.evaluation.embed import RecordFrames
    from eval.evaluation.seed_summary import interval

    out: dict = {"runs": []}
    plain, adapted, classes = [], [], None
    for run in runs:
        res = attribute_logits(run, test, args.cache or True, frames_limit=args.frames_limit, bf16=args.bf16)
        if classes is not None and res["classes"] != classes:
            raise ConfigError(f"{run} answers other classes than {runs[0]}; an arm's runs must share them")
        classes = res["classes"]
        probs = {a: softmax(v.astype(np.float64)) for a, v in res["logits"].items()}
        plain.append(probs)
        entry = {"run": run, "seed": res["meta"]["config"]["train"].get("seed"),
                 **measures(score_attributes(test, classes, predictions(classes, probs)))}
        if adapt_records:
            model, _ = load_classifiers(run)
            adapt_batchnorm(model, RecordFrames(adapt_records), args.frames_limit, progress=True)
            res = attribute_logits(run, test, False, frames_limit=args.frames_limit, bf16=args.bf16, model=model)
            probs = {a: softmax(v.astype(np.float64)) for a, v in res["logits"].items()}
            adapted.append(probs)
            entry["adapted"] = measures(score_attributes(test, classes, predictions(classes, probs)))
        out["runs"].append(entry)
    out["classes"] = classes
    out["spread"] = {k: interval([r[k] for r in out["runs"] if r[k] is not None]) for k, _ in MEASURES
                     if any(r[k] is not None for r in out["runs"])}

    def ensemble(members: list[dict]) -> dict:
        mean = {a: np.mean([m[a] for m in members], 0) for a in classes}
        return measures(score_attributes(test, classes, predictions(classes, mean)))

    out["ensemble"] = ensemble(plain)
    if adapted:
        out["adapted_spread"] = {k: interval([r["adapted"][k] for r in out["runs"] if r["adapted"][k] is not None])
                                 for k, _ in MEASURES if any(r["adapted"][k] is not None for r in out["runs"])}
        out["adapted_ensemble"] = ensemble(adapted)
    return out


def fmt(v) -> str:
    return "–" if v is None else f"{v:.1f}"


def spread_cell(s: dict | None, digits: int = 1) -> str:
    """'mean ± sd [low, high]' of an `interval` summary, to `digits` decimals ('mean' alone for one value)."""
    if not s:
        return "–"
    if s["n"] == 1:
        return f"{s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f} ± {s['sd']:.{digits}f} [{s['low']:.{digits}f}, {s['high']:.{digits}f}]"


def markdown(result: dict) -> str:
    """The summary table per arm and the per-view recall table."""
    lines = [header("Classifier seeds on real silhouettes"),
             f"- real test sequences: {result['test_sequences']} (`{result['real']}`, TEST_SET of "
             f"{result['partition']}), each read as up to {result['frames_limit']} frames spread over it"
             + (", under bf16 autocast" if result["bf16"] else ""),
             ("- adapted: each run's BatchNorm statistics re-estimated on "
              f"{result['adapt_sequences']} sequences of the real train ids drawn with seed {result['adapt_seed']} "
              "(labels unused, weights unchanged)") if result["adapt_sequences"] else "- no BatchNorm adaptation",
             "- mean ± sd [95 % interval of the mean] over an arm's runs; the ensemble averages the runs' softmax", "",
             "| arm | run | " + " | ".join(t for _, t in MEASURES) + " |", "|---|---|" + "---:|" * len(MEASURES)]
    for label, arm in result["arms"].items():
        for r in arm["runs"]:
            lines.append(f"| {label} | seed {r['seed']} (`{r['run']}`) | "
                         + " | ".join(fmt(r[k]) for k, _ in MEASURES) + " |")
        n = len(arm["runs"])
        if n > 1:  # one run is its own mean and ensemble
            lines.append(f"| {label} | **mean over {n} seeds** | "
                         + " | ".join(spread_cell(arm["spread"].get(k)) for k, _ in MEASURES) + " |")
            lines.append(f"| {label} | ensemble of {n} | "
                         + " | ".join(fmt(arm["ensemble"][k]) for k, _ in MEASURES) + " |")
        if "adapted_ensemble" in arm:
            lines.append(f"| {label} | adapted, mean over {n} seeds | "
                         + " | ".join(spread_cell(arm["adapted_spread"].get(k)) for k, _ in MEASURES) + " |")
            lines.append(f"| {label} | adapted ensemble of {n} | "
                         + " | ".join(fmt(arm["adapted_ensemble"][k]) for k, _ in MEASURES) + " |")
    views = result["views"]
    lines += ["", "View recall per true view (%):", "",
              "| arm | classifier | " + " | ".join(f"{v}°" for v in views) + " |", "|---|---|" + "---:|" * len(views)]
    for label, series in result["per_view"].items():
        for name, values in series.items():
            lines.append(f"| {label} | {name} | " + " | ".join(fmt(x) for x in values) + " |")
    lines += ["", f"![view recall per true view]({Path(result['figure']).name})", ""]
    for label, arm in result["arms"].items():
        n = len(arm["runs"])
        lines += confusion_lines(f"{label}, ensemble of {n}" if n > 1 else f"{label} run",
                                 arm["ensemble"]["view_confusion"])
    return "\n".join(lines)


def confusion_lines(title: str, confusion: dict) -> list[str]:
    """A view confusion (rows: true view, columns: view read) as a table of % of each row."""
    cols = [f"{float(c):g}" for c in confusion["cols"]]
    lines = [f"View read by the {title}: rows are the true view, columns the view read, % of each row:", "",
             "| true view | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for row, counts in zip(confusion["rows"], confusion["matrix"]):
        total = max(sum(counts), 1)
        lines.append(f"| {float(row):g} | " + " | ".join(f"{100 * c / total:.0f}" for c in counts) + " |")
    return lines + [""]


def add_reading_args(ap: argparse.ArgumentParser, verb: str, cached: str) -> None:
    """The options every real-data seed benchmark shares: how a sequence is read, the cache, the report."""
    ap.add_argument("--frames-limit", type=int, default=30,
                    help="frames read per sequence, spread over it (default 30, as the real benchmark)")
    ap.add_argument("--bf16", action="store_true", help=f"{verb} under bf16 autocast (as the real benchmark)")
    ap.add_argument("--cache", help=f"{cached} cache folder (default: the GaitCraft cache)")
    ap.add_argument("--out", required=True, help="Markdown report (its .json and .png twins beside it)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", required=True, help="a real OpenGait tree, e.g. CASIA-B")
    ap.add_argument("--arm", action="append", required=True, metavar="LABEL=RUN[,RUN...]",
                    help="a recipe and its classifier runs, one per training seed (repeat for more arms)")
    ap.add_argument("--partition", default="casia-b",
                    help="the split: its TEST_SET is scored, its TRAIN_SET feeds --adapt (default casia-b)")
    ap.add_argument("--adapt", type=int, default=0, metavar="N",
                    help="also score each run with BatchNorm statistics of N unlabelled train-id sequences "
                         "(default 0: not)")
    ap.add_argument("--adapt-seed", type=int, default=0, help="seed of the draw of those sequences (default 0)")
    add_reading_args(ap, "classify", "classifier-output")
    args = ap.parse_args(argv)

    def work() -> Path:
        from eval.evaluation.report_figures import write_per_view_png
        from gaitcraft.splits import evaluation_index, open_split

        arms = dict(parse_arm(a) for a in args.arm)
        if args.adapt < 0:
            raise ConfigError(f"--adapt must be 0 or more, got {args.adapt}")
        test = list(evaluation_index(args.real, "test", args.partition).records)
        adapt_records: list = []
        if args.adapt:
            train = list(open_split(args.real, "train", args.partition).records)
            random.Random(args.adapt_seed).shuffle(train)
            adapt_records = train[:args.adapt]
        result = {"real": args.real, "partition": args.partition, "test_sequences": len(test),
                  "frames_limit": args.frames_limit, "bf16": args.bf16, "adapt_sequences": len(adapt_records),
                  "adapt_seed": args.adapt_seed,
                  "arms": {label: score_arm(runs, test, adapt_records, args) for label, runs in arms.items()}}
        views = [f"{float(v):g}" for v in next(iter(result["arms"].values()))["classes"]["view"]]
        per_view = {}
        for label, arm in result["arms"].items():
            rows = {}
            for i, r in enumerate(arm["runs"], 1):
                name = f"seed {r['seed']}"
                rows[name if name not in rows else f"{name} (run {i})"] = r["view_recall"]
            if len(arm["runs"]) > 1:
                rows["ensemble"] = arm["ensemble"]["view_recall"]
            if "adapted_ensemble" in arm:
                rows["adapted ensemble"] = arm["adapted_ensemble"]["view_recall"]
            per_view[label] = {name: [rec.get(str(float(v))) for v in views] for name, rec in rows.items()}
        out = Path(args.out)
        result.update(views=views, per_view=per_view, figure=str(out.with_suffix(".png")))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_per_view_png(out.with_suffix(".png"), views, per_view, "view recall on real test ids, per true view")
        write_report(out, result, markdown(result))
        return out

    return report_main(work)


if __name__ == "__main__":
    sys.exit(main())
