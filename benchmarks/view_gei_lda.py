"""A naive baseline for the view classifier, and a second opinion beside it.

Each sequence becomes its gait energy image (GEI: the mean of its binary frames, cut to 64x44 as the classifiers
see them and pooled to 32x22). A PCA and a shrinkage linear discriminant (scikit-learn), fitted on the GEIs of a
synthetic tree, read the view of every sequence of a real tree's test ids. Each classifier run's view head reads
the same sequences, alone and combined with the discriminant (a weighted geometric mean of the two posteriors:
weight w on the classifier, 1 - w on the discriminant). Nothing here sees a real label before scoring.

    python benchmarks/view_gei_lda.py --real ~/data/casiab --synthetic work/data/procedural50v3 \\
        --classifiers work/runs/cls_v3aug_s0 --out benchmarks/results/view_gei_lda_casiab.md

Real silhouettes are research data: the report holds numbers and a per-view plot only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from benchmarks._report_files import report_main, write_report_with_figure  # noqa: E402
from benchmarks.classifier_seeds import add_reading_args, softmax  # noqa: E402
from gaitcraft.errors import ConfigError, DataError  # noqa: E402

#: PCA components kept before the discriminant (of 704 pixels); enough for 11 views, few enough for its covariance
COMPONENTS = 60


def gei_vectors(records, progress: bool = True, desc: str = "GEIs") -> np.ndarray:
    """One row per record: its GEI cut to 64x44 and mean-pooled 2x2 to 32x22, flattened `[n, 704]` in [0, 1].
    A record with no frames gives an all-zero row."""
    from tqdm import tqdm

    from gaitcraft.pretreat import cut_width

    rows = []
    for rec in tqdm(records, desc=desc, disable=not progress):
        frames = rec.load()  # [t, 64, 64] or [t, 64, 44], 0/255
        if frames.shape[-1] == 64:
            frames = cut_width(frames)  # [t, 64, 44]
        gei = frames.astype(np.float32).mean(0) / 255.0 if len(frames) else np.zeros((64, 44), np.float32)
        rows.append(gei.reshape(32, 2, 22, 2).mean((1, 3)).ravel())
    return np.stack(rows)  # [n, 704]


def fit_view_reader(geis: np.ndarray, views: np.ndarray, components: int = COMPONENTS):
    """PCA (`components`, at most one fewer than the sequences) then a linear discriminant with Ledoit-Wolf
    shrinkage, fitted on GEIs `[n, d]` and their view labels `[n]`; its `classes_` are the views."""
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.pipeline import make_pipeline

    if len(set(views.tolist())) < 2:
        raise DataError("the synthetic tree holds fewer than two views; a view reader needs at least two")
    k = max(1, min(components, len(views) - 1, geis.shape[1]))
    return make_pipeline(PCA(k, random_state=0), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")).fit(
        geis, views)


def combine(classifier: np.ndarray, reader: np.ndarray, weight: float) -> np.ndarray:
    """Weighted geometric mean of two posteriors `[n, classes]` over the same classes, renormalized."""
    log = weight * np.log(classifier + 1e-9) + (1 - weight) * np.log(reader + 1e-9)
    log -= log.max(1, keepdims=True)
    p = np.exp(log)
    return p / p.sum(1, keepdims=True)


def scores(probs: np.ndarray, classes: np.ndarray, truth: np.ndarray) -> dict:
    """Accuracy (%) and recall per true view (%) of the most probable class."""
    read = classes[probs.argmax(1)]
    recall = {f"{v:g}": round(100 * float(np.mean(read[truth == v] == v)), 1) for v in np.unique(truth)}
    return {"accuracy": round(100 * float(np.mean(read == truth)), 1), "recall": recall}


def aligned_probs(reader, geis: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The reader's posteriors `[n, len(classes)]` in the order of `classes` (zero where it never saw a view)."""
    raw = reader.predict_proba(geis)
    out = np.zeros((len(geis), len(classes)))
    for j, c in enumerate(reader.classes_):
        out[:, int(np.flatnonzero(classes == c)[0])] = raw[:, j]
    return out


def markdown(result: dict, figure: str) -> str:
    views = result["views"]
    lines = [header("View read by a GEI discriminant fitted on synthetic walkers, beside the view classifiers"), "",
             f"- real: `{result['real']}` ({result['partition']} test ids, {result['test_sequences']} sequences)",
             f"- PCA components: {result['components']}; the classifiers read up to {result['frames_limit']} frames "
             f"spread over each sequence, under bf16: {result['bf16']}", "",
             "| reader | view accuracy (%) | " + " | ".join(f"{v}°" for v in views) + " |",
             "|---|---:|" + "---:|" * len(views)]
    for name, s in result["readers"].items():
        lines.append(f"| {name} | {s['accuracy']} | " + " | ".join(str(s["recall"].get(v, "–")) for v in views)
                     + " |")
    lines += ["", f"![view recall per true view]({figure})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", required=True, help="a real OpenGait tree, e.g. CASIA-B")
    ap.add_argument("--partition", default="casia-b", help="the split whose TEST_SET is scored (default casia-b)")
    ap.add_argument("--synthetic", action="append", required=True, metavar="TREE",
                    help="a synthetic tree to fit a discriminant on, all of its sequences (repeat for more)")
    ap.add_argument("--classifiers", action="append", default=[], metavar="RUN",
                    help="a classifier run whose view head is scored alone and combined (repeat for more)")
    ap.add_argument("--weights", default="0.3,0.5,0.7",
                    help="classifier weights of the combinations, comma-separated (default 0.3,0.5,0.7)")
    ap.add_argument("--components", type=int, default=COMPONENTS, help=f"PCA components (default {COMPONENTS})")
    add_reading_args(ap, "classify", "classifier-output")
    args = ap.parse_args(argv)

    def work() -> Path:
        from eval.evaluation.classifier_confusion import attribute_logits
        from eval.evaluation.report_figures import write_per_view_png
        from gaitcraft.dataset import DatasetIndex
        from gaitcraft.splits import evaluation_index

        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            raise ConfigError(f"--weights must be numbers separated by commas, got {args.weights!r}") from None
        if any(not 0 <= w <= 1 for w in weights) or args.components < 1:
            raise ConfigError("--weights must lie in [0, 1] and --components must be 1 or more")
        test = list(evaluation_index(args.real, "test", args.partition).records)
        truth = np.array([float(r.labels.view) for r in test])  # [n]
        classes = np.unique(truth)
        heads = {}  # classifier run -> its view posteriors [n, classes]
        for run in args.classifiers:
            res = attribute_logits(run, test, args.cache or True, frames_limit=args.frames_limit, bf16=args.bf16)
            run_classes = np.array([float(v) for v in res["classes"]["view"]])
            if heads and not np.array_equal(np.sort(run_classes), classes):
                raise ConfigError(f"{run}: its view classes differ from {args.classifiers[0]}'s")
            if not set(truth.tolist()) <= set(run_classes.tolist()):
                raise ConfigError(f"{run}: its view classes {run_classes.tolist()} miss views of the real test set")
            classes = np.sort(run_classes)
            heads[run] = softmax(res["logits"]["view"].astype(np.float64)[:, np.argsort(run_classes)])  # [n, classes]
        test_geis = gei_vectors(test, desc="real GEIs")
        probs: dict[str, np.ndarray] = {}
        for tree in args.synthetic:
            records = [r for r in DatasetIndex.open(tree).records if float(r.labels.view) in set(classes.tolist())]
            if not records:
                raise DataError(f"{tree}: no sequence at a view of the real test set")
            reader = fit_view_reader(gei_vectors(records, desc=f"GEIs of {Path(tree).name}"),
                                     np.array([float(r.labels.view) for r in records]), args.components)
            probs[f"GEI discriminant ({Path(tree).name})"] = aligned_probs(reader, test_geis, classes)
        discriminants = list(probs.items())
        for run, cnn in heads.items():
            probs[f"classifier {Path(run).name}"] = cnn
            for name, reader_probs in discriminants:
                for w in weights:
                    probs[f"{Path(run).name} × {name[len('GEI discriminant '):]}, w {w:g}"] = combine(
                        cnn, reader_probs, w)
        readers = {name: scores(p, classes, truth) for name, p in probs.items()}
        views = [f"{v:g}" for v in np.unique(truth)]
        result = {"real": args.real, "partition": args.partition, "test_sequences": len(test),
                  "synthetic": args.synthetic, "classifiers": args.classifiers, "weights": weights,
                  "components": args.components, "frames_limit": args.frames_limit, "bf16": args.bf16,
                  "views": views, "readers": readers}
        panel = {name: [s["recall"].get(v) for v in views] for name, s in readers.items() if " w " not in name}
        return write_report_with_figure(
            Path(args.out), result,
            lambda path: write_per_view_png(path, views, {"view recall (%)": panel}, "view recall on real test ids"),
            lambda figure: markdown(result, figure))

    return report_main(work)


if __name__ == "__main__":
    sys.exit(main())
