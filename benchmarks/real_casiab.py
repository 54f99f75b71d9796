"""Real CASIA-B as the yardstick: how the models trained on synthetic people only, and a synthetic set itself,
hold up against real silhouettes. Writes report.md, report.json and PNG figures into --out:

1. the shipped view / clothing / carry classifiers on the real test ids (accuracy, coat recall, bag vs no bag,
   which bag they answer, confusion matrices), beside reference classifiers trained on real train ids if given;
2. the synthetic-only recognizer on the real test ids (CASIA-B protocol: gallery nm-01..04, probes NM/BG/CL,
   identical views excluded) beside a recognizer of the same recipe and steps trained on real train ids, and the
   ratio of their mean rank-1;
3. FGD of the synthetic set against the real test sequences beside the real-vs-real floor (two disjoint halves
   of the real test ids), in the embedding of the recognizer trained on real train ids;
4. per-view silhouette statistics of the synthetic set and the real test sequences side by side, and how far
   their people differ from each other in row widths, body band by body band;
5. contact sheets of synthetic and real walks at the same view and type, side by side.

    python benchmarks/real_casiab.py --real ~/data/casiab --synthetic work/data/procedural50 \\
        --real-recognizer work/runs/recognizer_real [--real-classifiers work/runs/classifiers_real] \\
        --out work/real_casiab

With a second synthetic arm (--before-synthetic, --before-recognizer and --before-classifiers, all three or
none), the report opens with a before/after table: each bar (view accuracy, coat recall, bag vs no bag, the
recognizer's rank-1 and its ratio to the real-trained one, FGD over the floor) for the older arm beside the main
one and the real-trained reference; both arms are scored on the same real test sequences and embedded by the same
real-trained recognizer. The statistics and contact sheets then show both synthetic sets beside real:

    python benchmarks/real_casiab.py --real ~/data/casiab --real-recognizer work/runs/recognizer_real \\
        --real-classifiers work/runs/classifiers_real --synthetic work/data/procedural_v2 \\
        --recognizer work/runs/recognizer_v2 --classifiers work/runs/classifiers_v2 \\
        --before-synthetic work/data/procedural50 --before-recognizer work/runs/recognizer_v1 \\
        --before-classifiers work/runs/classifiers_v1 --out work/real_casiab_before_after

Real silhouettes are research data: keep --out (which holds contact sheets and cached embeddings of them)
outside anything you commit or publish. Embeddings and classifier outputs are cached in --cache, so a rerun
(e.g. with --real-classifiers or a --before-* arm added) only computes what is new.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import log  # noqa: E402
from benchmarks.real_casiab_report import CLASSIFIER_ATTRIBUTES, PROBE_SETS, before_after, markdown  # noqa: E402
from eval.evaluation.classifier_confusion import classifier_confusions  # noqa: E402
from eval.evaluation.embed import embed_records  # noqa: E402
from eval.evaluation.embedding_set import EmbeddingSet  # noqa: E402
from eval.evaluation.generation_metrics import fgd  # noqa: E402
from eval.evaluation.protocols import casia_b  # noqa: E402
from eval.evaluation.recognizer import checkpoint_id, load_recognizer  # noqa: E402
from eval.evaluation.report_figures import write_confusion_png, write_per_view_png  # noqa: E402
from eval.evaluation.silhouette_stats import dataset_stats, view_row  # noqa: E402
from eval.training.recognizer_config import RecognizerConfig  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.errors import ConfigError, DataError, GaitCraftError  # noqa: E402
from gaitcraft.io.atomic import atomic_save, atomic_write_text  # noqa: E402
from gaitcraft.io.opengait_tree import read_partition  # noqa: E402
from gaitcraft.io.preview import contact_sheet  # noqa: E402
from gaitcraft.training import model_folder  # noqa: E402
from gaitcraft.types import parse_view, view_name  # noqa: E402
from gaitcraft.vocab import CASIA_B_TYPES  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
#: The standard CASIA-B split (OpenGait's CASIA-B.json): the first 74 subjects train, the last 50 test.
CASIA_B_SPLIT = ([f"{i:03d}" for i in range(1, 75)], [f"{i:03d}" for i in range(75, 125)])
BEFORE_FLAGS = ("before_synthetic", "before_recognizer", "before_classifiers")
SHEET_TYPES = ("nm-01", "bg-01", "cl-01")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", required=True, help="an OpenGait CASIA-B tree (<id>/<type>/<view>/<view>.pkl)")
    ap.add_argument("--synthetic", required=True, help="a synthetic OpenGait / GaitCraft tree, used whole")
    ap.add_argument("--real-recognizer", required=True, metavar="RUN",
                    help="recognizer run trained on real train ids: the FGD embedding and the recognizer reference")
    ap.add_argument("--real-classifiers", metavar="RUN",
                    help="reference classifiers trained on real train ids (default: none, shipped ones only)")
    ap.add_argument("--recognizer", default=str(REPO / "assets" / "models" / "recognizer"), metavar="RUN",
                    help="the synthetic-only recognizer (default: %(default)s)")
    ap.add_argument("--classifiers", default=str(REPO / "assets" / "models" / "classifiers"), metavar="RUN",
                    help="the synthetic-only classifiers (default: %(default)s)")
    ap.add_argument("--label", metavar="NAME",
                    help="name of the --synthetic arm in the report (default: 'new walker' beside a --before-* "
                         "arm, else 'synthetic')")
    ap.add_argument("--before-synthetic", metavar="DIR",
                    help="an older synthetic tree to compare against (with --before-recognizer and "
                         "--before-classifiers; default: none, one arm)")
    ap.add_argument("--before-recognizer", metavar="RUN", help="the synthetic-only recognizer of --before-synthetic")
    ap.add_argument("--before-classifiers", metavar="RUN", help="the synthetic-only classifiers of --before-synthetic")
    ap.add_argument("--before-label", metavar="NAME",
                    help="name of the --before-* arm in the report (default: 'old walker')")
    ap.add_argument("--partition", default="casia-b",
                    help="'casia-b' (train 001-074, test 075-124) or an OpenGait partition JSON for the real "
                         "tree (default: %(default)s)")
    ap.add_argument("--out", default="work/real_casiab", help="report folder (default: %(default)s)")
    ap.add_argument("--cache", help="embedding / classifier-output cache (default: <out>/cache)")
    ap.add_argument("--sheet-views", default="0,36,90,144,180",
                    help="views of the contact sheets, comma-separated degrees (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the FGD halves and subsample (default: %(default)s)")
    ap.add_argument("--frames-limit", type=int, default=0,
                    help="read at most this many frames per sequence, spread evenly over it (default: 0 = each "
                         "model's own eval setting, 720 for the shipped ones, i.e. whole sequences)")
    ap.add_argument("--synthetic-max", type=int, default=0,
                    help="embed at most this many synthetic sequences for the FGD, drawn with --seed (the FGD "
                         "uses as many as half the real test sequences; default: 0 = all)")
    ap.add_argument("--bf16", action="store_true",
                    help="run the models under bf16 autocast (about 2x faster on CPUs with AVX512-BF16 or AMX; "
                         "default: fp32)")
    return ap.parse_args(argv)


class Timer:
    """Wall seconds per named phase, logged as each starts and ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        log(f"{name} ...")
        t0 = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - t0, 1)
        log(f"{name}: {self.seconds[name]:.1f} s")


def check_inputs(args: argparse.Namespace) -> None:
    """The --before-* flags come all together or not at all, and every given path exists (one clear error naming
    the first problem)."""
    given = [f for f in BEFORE_FLAGS if getattr(args, f)]
    if (given or args.before_label) and len(given) < len(BEFORE_FLAGS):
        missing = ", ".join(f"--{f.replace('_', '-')}" for f in BEFORE_FLAGS if f not in given)
        raise ConfigError(f"--before-synthetic, --before-recognizer and --before-classifiers go together "
                          f"(missing {missing})")
    for flag in ("real", "synthetic", "real_recognizer", "real_classifiers", "recognizer", "classifiers",
                 *BEFORE_FLAGS):
        value = getattr(args, flag)
        if value and not Path(value).exists():
            raise DataError(f"--{flag.replace('_', '-')}: path does not exist", value)
    if args.partition != "casia-b" and not Path(args.partition).is_file():
        raise DataError("--partition: no such partition JSON (or pass 'casia-b')", args.partition)


def open_real_test(path: str, partition: str) -> tuple[DatasetIndex, list[str]]:
    """(the real tree's test ids' sequences, the test ids asked for)."""
    _, test_ids = CASIA_B_SPLIT if partition == "casia-b" else read_partition(partition)
    test = DatasetIndex.open(path).filter(subjects=test_ids)
    if not len(test):
        raise DataError(f"none of the {len(test_ids)} test ids ({test_ids[0]}..{test_ids[-1]}) is in this tree", path)
    return test, list(test_ids)


def shown(path: str) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    full = Path(path).resolve()
    return str(full.relative_to(REPO)) if full.is_relative_to(REPO) else str(path)


def run_meta(run: str) -> dict:
    """What a run (or its model folder) says about its training (config name, steps, data size); {} if it says
    nothing."""
    try:
        meta = json.loads((model_folder(run) / "meta.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    s = meta.get("summary", {})
    return {"path": shown(run), "config": meta.get("config", {}).get("name"), "steps": meta.get("step"),
            "seed": meta.get("config", {}).get("train", {}).get("seed"),
            "sequences": s.get("sequences"), "identities": s.get("identities"),
            "train_minutes": round(s["train_seconds"] / 60, 1) if "train_seconds" in s else None}


def recognizer_embeddings(run: str, index: DatasetIndex, cache: Path | bool, frames_limit: int,
                          bf16: bool) -> tuple[EmbeddingSet, str]:
    """(embeddings of every sequence of `index`, the run's distance metric), cached per weights and settings."""
    model, meta = load_recognizer(run)
    ev = RecognizerConfig.from_dict(meta["config"]).eval if meta["config"] else RecognizerConfig().eval
    es = embed_records(model, index.records, checkpoint_id(run), frames_limit or ev.frames_limit, ev.batch_frames,
                       bf16, cache)
    return es, ev.metric


# ---- sections -----------------------------------------------------------------------------------------------
def classifiers_section(runs: dict[str, str], real: DatasetIndex, cache: Path, out: Path, frames_limit: int,
                        bf16: bool, titles: dict[str, str] | None = None) -> dict:
    """Confusions of each classifier run on the real test sequences, with one PNG per run and attribute
    (`confusion_<name>_<attribute>.png`, titled with titles[name] or the name)."""
    result = {}
    for name, run in runs.items():
        res = classifier_confusions(run, real.records, cache, frames_limit=frames_limit, bf16=bf16)
        res["run"] = run_meta(run)
        for a in CLASSIFIER_ATTRIBUTES:
            if a in res:
                what = {"carry": "carry: bag vs no bag", "carry_detail": "carry: which bag"}.get(a, a)
                conf = dict(res[a]["confusion"])
                if a == "view":  # '90' rather than '90.0'
                    conf.update(rows=[f"{float(v):g}" for v in conf["rows"]], cols=[f"{float(v):g}" for v in conf["cols"]])
                title = f"{(titles or {}).get(name, name)} classifiers, {what} (real test ids)"
                write_confusion_png(out / f"confusion_{name}_{a}.png", conf, title)
        result[name] = res
    return result


def recognizer_result(run: str, real: DatasetIndex, cache: Path | bool, frames_limit: int, bf16: bool) -> dict:
    """The CASIA-B protocol of one recognizer on the real test ids, with its run's meta and mean NM/BG/CL rank-1."""
    es, metric = recognizer_embeddings(run, real, cache, frames_limit, bf16)
    r = casia_b(es, metric=metric)
    r["run"] = run_meta(run)
    r["headline"] = float(np.mean([r["probe_sets"][p]["mean"] for p in PROBE_SETS]))
    return r


def recognizers_section(runs: dict[str, str], real: DatasetIndex, cache: Path, out: Path, frames_limit: int,
                        bf16: bool) -> dict:
    """CASIA-B protocol of each recognizer on the real test ids; the ratio synthetic-only / real-trained."""
    result = {name: recognizer_result(run, real, cache, frames_limit, bf16) for name, run in runs.items()}
    views = [view_name(v) for v in result["real-trained"]["views"]]
    write_per_view_png(out / "recognizers_per_view.png", views,
                       {p: {n: r["probe_sets"][p]["per_view"] for n, r in result.items()} for p in PROBE_SETS},
                       "CASIA-B rank-1 (%) per probe view on the real test ids")
    result["ratio"] = headline_ratio(result["synthetic-only"], result["real-trained"])
    return result


def headline_ratio(synthetic_only: dict, real_trained: dict) -> float | None:
    """Mean rank-1 of a synthetic-only recognizer over that of the real-trained one (None if the latter is 0)."""
    ref = real_trained["headline"]
    return synthetic_only["headline"] / ref if ref else None


def fgd_section(recognizer: str, synthetic: DatasetIndex, real: DatasetIndex, cache: Path, seed: int,
                frames_limit: int, bf16: bool, synthetic_max: int = 0) -> dict:
    """FGD of the synthetic set vs the real test sequences, and the floor of two disjoint halves of real test ids."""
    real_emb, _ = recognizer_embeddings(recognizer, real, cache, frames_limit, bf16)
    if 0 < synthetic_max < len(synthetic):  # a seeded subset, the same on every rerun (so it stays cached)
        synthetic = synthetic.subset(np.sort(np.random.default_rng(seed).choice(len(synthetic), synthetic_max, False)))
    syn_emb, _ = recognizer_embeddings(recognizer, synthetic, cache, frames_limit, bf16)
    res = fgd(syn_emb.embeddings, real_emb.embeddings, real_emb.subjects, seed=seed)
    res.update(embedding=run_meta(recognizer), synthetic_sequences=len(syn_emb), real_sequences=len(real_emb),
               real_ids=len(set(real_emb.subjects)), seed=seed)
    return res


def stats_section(sets: dict[str, DatasetIndex], labels: dict[str, str], out: Path) -> dict:
    """Per-view silhouette statistics of each set ({'synthetic', 'real'} and optionally 'before'), and a PNG of
    foreground and width per view with one line per set."""
    res: dict = {k: dataset_stats(index, desc=f"stats {labels[k]}") for k, index in sets.items()}
    views = sorted(set().union(*(res[k]["cells"] for k in sets)))
    rows = {k: {v: view_row(res[k]["cells"].get(v, {})) for v in views} for k in sets}
    res["rows"] = rows
    write_per_view_png(out / "silhouette_stats.png", views, {
        "foreground % (nm)": {labels[k]: [rows[k][v]["fg_nm"] for v in views] for k in rows},
        "width px (nm)": {labels[k]: [rows[k][v]["width_mean"] for v in views] for k in rows},
        "width std over frames px (nm)": {labels[k]: [rows[k][v]["width_std"] for v in views] for k in rows},
    }, "Silhouette statistics per view: " + " vs ".join(labels[k] for k in sets))
    return res


def first_walk(index: DatasetIndex, seq_type: str, view: float):
    """The longest walk of the first subject that has this type at this view, or None."""
    recs = index.filter(seq_types=[seq_type], views=[view]).records
    if not recs:
        return None
    first = min(r.labels.subject for r in recs)
    return max((r for r in recs if r.labels.subject == first), key=lambda r: len(r.load()))


def side_by_side(panels: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """Images `[h, w]` left to right, padded at the bottom to the tallest, with grey gaps between them."""
    h = max(p.shape[0] for p in panels)
    parts = []
    for p in panels:
        parts += [np.pad(p, ((0, h - p.shape[0]), (0, 0))), np.full((h, gap), 128, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)  # [h, W]


def contact_sheets(sets: dict[str, DatasetIndex], views: list[float], out: Path) -> list[str]:
    """One PNG per view: a panel per set ({label: index}, left to right), one row per type in SHEET_TYPES that
    every set has at that view."""
    from PIL import Image

    written = []
    for v in views:
        rows = [[first_walk(index, t, v) for index in sets.values()] for t in SHEET_TYPES]
        rows = [r for r in rows if all(rec is not None for rec in r)]
        if not rows:
            continue
        panels = []
        for i, label in enumerate(sets):
            recs = [r[i] for r in rows]
            caps = [f"{label} {r.labels.subject} | {r.labels.seq_type} {v:g} deg" for r in recs]
            panels.append(contact_sheet([r.load() for r in recs], caps, frames_per_row=6, caption_width=110))
        img = side_by_side(panels)
        name = f"sheet_{view_name(v)}.png"
        atomic_save(out / name, lambda tmp, im=img: Image.fromarray(im).save(tmp, format="PNG"), ".png")
        written.append(name)
    return written


# ---- the run ------------------------------------------------------------------------------------------------
def labels_of(args: argparse.Namespace) -> dict[str, str]:
    """Display names of the sets: 'synthetic' (the main arm), 'real' and, with a --before-* arm, 'before'."""
    if not args.before_synthetic:
        return {"synthetic": args.label or "synthetic", "real": "real"}
    labels = {"before": args.before_label or "old walker", "synthetic": args.label or "new walker", "real": "real"}
    if len(set(labels.values())) < len(labels):
        raise ConfigError(f"--label and --before-label must differ from each other and from 'real' (got "
                          f"{labels['synthetic']!r} and {labels['before']!r})")
    return labels


def data_summary(args: argparse.Namespace, real: DatasetIndex, test_ids: list[str], synthetic: DatasetIndex) -> dict:
    """What the report says about the trees it read."""
    expected = len(real.subjects) * len(CASIA_B_TYPES) * len(real.values("view"))  # cells of the test ids present
    return {"real": args.real, "synthetic": args.synthetic, "partition": args.partition, "test_ids": test_ids,
            "real_ids": len(real.subjects), "real_sequences": len(real), "expected_cells": expected,
            "missing_cells": expected - len(real), "synthetic_sequences": len(synthetic),
            "synthetic_ids": len(synthetic.subjects)}


def before_arm(args: argparse.Namespace, before: DatasetIndex, real: DatasetIndex, real_trained: dict, cache: Path,
               out: Path, labels: dict[str, str]) -> dict:
    """The --before-* arm scored like the main one: its classifiers and recognizer on the real test ids, its
    synthetic set's FGD in the same real-trained embedding, against the same real halves."""
    fl, bf16 = args.frames_limit, args.bf16
    clf = classifiers_section({"before": args.before_classifiers}, real, cache, out, fl, bf16, labels)["before"]
    rec = recognizer_result(args.before_recognizer, real, cache, fl, bf16)
    rec["ratio"] = headline_ratio(rec, real_trained)
    return {"label": labels["before"], "classifiers": clf, "recognizer": rec,
            "fgd": fgd_section(args.real_recognizer, before, real, cache, args.seed, fl, bf16, args.synthetic_max),
            "data": {"synthetic": args.before_synthetic, "sequences": len(before), "ids": len(before.subjects)}}


def run(args: argparse.Namespace) -> dict:
    check_inputs(args)
    labels = labels_of(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache) if args.cache else out / "cache"
    sheet_views = [parse_view(v.strip()) for v in args.sheet_views.split(",") if v.strip()]
    fl, bf16 = args.frames_limit, args.bf16
    timer = Timer()
    with timer.phase("open trees"):
        real, test_ids = open_real_test(args.real, args.partition)
        sets = {"synthetic": DatasetIndex.open(args.synthetic), "real": real}
        if "before" in labels:
            sets = {"before": DatasetIndex.open(args.before_synthetic), **sets}
    report: dict = {"settings": {"frames_limit": fl or "model default", "bf16": bf16, "seed": args.seed,
                                 "synthetic_max": args.synthetic_max or "all"},
                    "labels": labels, "data": data_summary(args, real, test_ids, sets["synthetic"])}
    runs = {"shipped": args.classifiers}
    if args.real_classifiers:
        runs["real-trained"] = args.real_classifiers
    with timer.phase("classifiers"):
        report["classifiers"] = classifiers_section(runs, real, cache, out, fl, bf16)
    with timer.phase("recognizers"):
        report["recognizers"] = recognizers_section(
            {"synthetic-only": args.recognizer, "real-trained": args.real_recognizer}, real, cache, out, fl, bf16)
    with timer.phase("fgd"):
        report["fgd"] = fgd_section(args.real_recognizer, sets["synthetic"], real, cache, args.seed, fl, bf16,
                                    args.synthetic_max)
    if "before" in labels:
        with timer.phase(f"{labels['before']}: classifiers, recognizer, fgd"):
            report["before"] = before_arm(args, sets["before"], real, report["recognizers"]["real-trained"], cache,
                                          out, labels)
        report["before_after"] = before_after(report)
    with timer.phase("silhouette stats"):
        report["silhouette_stats"] = stats_section(sets, labels, out)
    report["data"]["real_short"] = report["silhouette_stats"]["real"]["short"]
    with timer.phase("contact sheets"):
        report["contact_sheets"] = contact_sheets({labels[k]: sets[k] for k in ("before", "synthetic", "real")
                                                   if k in sets}, sheet_views, out)
    report["seconds"] = timer.seconds
    atomic_write_text(out / "report.json", json.dumps(report, indent=1, default=str))
    atomic_write_text(out / "report.md", markdown(report))
    log(f"wrote {out / 'report.md'} and report.json")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except GaitCraftError as e:
        print(f"real_casiab: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"real_casiab: error: {e.filename or args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
