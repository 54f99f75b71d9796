"""Real CASIA-B as the yardstick: how the models trained on synthetic people only, and a synthetic set itself,
hold up against real silhouettes. Writes report.md, report.json and PNG figures into --out:

1. the shipped view / clothing / carry classifiers on the real test ids (accuracy, coat recall, bag vs no bag,
   which bag they answer, confusion matrices), beside reference classifiers trained on real train ids if given;
2. the synthetic-only recognizer on the real test ids (CASIA-B protocol: gallery nm-01..04, probes NM/BG/CL,
   identical views excluded) beside a recognizer of the same recipe and steps trained on real train ids, and the
   ratio of their mean rank-1;
3. FGD of the synthetic set against the real test sequences beside the real-vs-real floor (two disjoint halves
   of the real test ids), in the embedding of the recognizer trained on real train ids;
4. per-view silhouette statistics of the synthetic set and the real test sequences side by side;
5. contact sheets of real and synthetic walks at the same view and type, side by side.

    python benchmarks/real_casiab.py --real ~/data/casiab --synthetic work/data/procedural50 \\
        --real-recognizer work/runs/recognizer_real [--real-classifiers work/runs/classifiers_real] \\
        --out work/real_casiab

Real silhouettes are research data: keep --out (which holds contact sheets and cached embeddings of them)
outside anything you commit or publish. Embeddings and classifier outputs are cached in --cache, so a rerun
(e.g. with --real-classifiers added) only computes what is new.
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

from benchmarks._machine import header, log  # noqa: E402
from eval.evaluation.classifier_confusion import classifier_confusions  # noqa: E402
from eval.evaluation.embed import embed_records  # noqa: E402
from eval.evaluation.embedding_set import EmbeddingSet  # noqa: E402
from eval.evaluation.generation_metrics import fgd  # noqa: E402
from eval.evaluation.protocols import casia_b  # noqa: E402
from eval.evaluation.recognizer import checkpoint_id, load_recognizer  # noqa: E402
from eval.evaluation.report import format_casia_b  # noqa: E402
from eval.evaluation.report_figures import write_confusion_png, write_per_view_png  # noqa: E402
from eval.evaluation.silhouette_stats import MIN_FRAMES, dataset_stats, view_row  # noqa: E402
from eval.training.recognizer_config import RecognizerConfig  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.errors import DataError, GaitCraftError  # noqa: E402
from gaitcraft.io.atomic import atomic_save, atomic_write_text  # noqa: E402
from gaitcraft.io.opengait_tree import read_partition  # noqa: E402
from gaitcraft.io.preview import contact_sheet  # noqa: E402
from gaitcraft.types import parse_view, view_name  # noqa: E402
from gaitcraft.vocab import CASIA_B_TYPES  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
#: The standard CASIA-B split (OpenGait's CASIA-B.json): the first 74 subjects train, the last 50 test.
CASIA_B_SPLIT = ([f"{i:03d}" for i in range(1, 75)], [f"{i:03d}" for i in range(75, 125)])
PROBE_SETS = ("NM", "BG", "CL")
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
    """Every given path exists (one clear error naming the first that does not)."""
    for flag in ("real", "synthetic", "real_recognizer", "real_classifiers", "recognizer", "classifiers"):
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
    """What a run folder says about its training (config name, steps, data size); {} if it says nothing."""
    try:
        meta = json.loads((Path(run) / "meta.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    s = meta.get("summary", {})
    return {"path": shown(run), "config": meta.get("config", {}).get("name"), "steps": meta.get("step"),
            "sequences": s.get("sequences"), "identities": s.get("identities"),
            "train_minutes": round(s["train_seconds"] / 60, 1) if "train_seconds" in s else None}


def recognizer_embeddings(run: str, index: DatasetIndex, cache: Path, frames_limit: int,
                          bf16: bool) -> tuple[EmbeddingSet, str]:
    """(embeddings of every sequence of `index`, the run's distance metric), cached per weights and settings."""
    model, meta = load_recognizer(run)
    ev = RecognizerConfig.from_dict(meta["config"]).eval if meta["config"] else RecognizerConfig().eval
    es = embed_records(model, index.records, checkpoint_id(run), frames_limit or ev.frames_limit, ev.batch_frames,
                       bf16, cache)
    return es, ev.metric


# ---- sections -----------------------------------------------------------------------------------------------
def classifiers_section(runs: dict[str, str], real: DatasetIndex, cache: Path, out: Path, frames_limit: int,
                        bf16: bool) -> dict:
    """Confusions of each classifier run on the real test sequences, with one PNG per run and attribute."""
    result = {}
    for name, run in runs.items():
        res = classifier_confusions(run, real.records, cache, frames_limit=frames_limit, bf16=bf16)
        res["run"] = run_meta(run)
        for a in ("view", "clothing", "carry", "carry_detail"):
            if a in res:
                what = {"carry": "carry: bag vs no bag", "carry_detail": "carry: which bag"}.get(a, a)
                conf = dict(res[a]["confusion"])
                if a == "view":  # '90' rather than '90.0'
                    conf.update(rows=[f"{float(v):g}" for v in conf["rows"]], cols=[f"{float(v):g}" for v in conf["cols"]])
                write_confusion_png(out / f"confusion_{name}_{a}.png", conf, f"{name} classifiers, {what} (real test ids)")
        result[name] = res
    return result


def recognizers_section(runs: dict[str, str], real: DatasetIndex, cache: Path, out: Path, frames_limit: int,
                        bf16: bool) -> dict:
    """CASIA-B protocol of each recognizer on the real test ids; the ratio synthetic-only / real-trained."""
    result = {}
    for name, run in runs.items():
        es, metric = recognizer_embeddings(run, real, cache, frames_limit, bf16)
        result[name] = r = casia_b(es, metric=metric)
        r["run"] = run_meta(run)
        r["headline"] = float(np.mean([r["probe_sets"][p]["mean"] for p in PROBE_SETS]))
    views = [view_name(v) for v in result["real-trained"]["views"]]
    write_per_view_png(out / "recognizers_per_view.png", views,
                       {p: {n: r["probe_sets"][p]["per_view"] for n, r in result.items()} for p in PROBE_SETS},
                       "CASIA-B rank-1 (%) per probe view on the real test ids")
    ref = result["real-trained"]["headline"]
    result["ratio"] = result["synthetic-only"]["headline"] / ref if ref else None
    return result


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


def stats_section(synthetic: DatasetIndex, real: DatasetIndex, out: Path) -> dict:
    """Per-view silhouette statistics of both sets, and a PNG of foreground and width per view."""
    res = {"synthetic": dataset_stats(synthetic, desc="stats synthetic"), "real": dataset_stats(real, desc="stats real")}
    views = sorted(set(res["synthetic"]["cells"]) | set(res["real"]["cells"]))
    rows = {k: {v: view_row(res[k]["cells"].get(v, {})) for v in views} for k in ("synthetic", "real")}
    res["rows"] = rows
    write_per_view_png(out / "silhouette_stats.png", views, {
        "foreground % (nm)": {k: [rows[k][v]["fg_nm"] for v in views] for k in rows},
        "width px (nm)": {k: [rows[k][v]["width_mean"] for v in views] for k in rows},
        "width std over frames px (nm)": {k: [rows[k][v]["width_std"] for v in views] for k in rows},
    }, "Silhouette statistics per view: synthetic set vs real test ids")
    return res


def first_walk(index: DatasetIndex, seq_type: str, view: float):
    """The longest walk of the first subject that has this type at this view, or None."""
    recs = index.filter(seq_types=[seq_type], views=[view]).records
    if not recs:
        return None
    first = min(r.labels.subject for r in recs)
    return max((r for r in recs if r.labels.subject == first), key=lambda r: len(r.load()))


def contact_sheets(synthetic: DatasetIndex, real: DatasetIndex, views: list[float], out: Path) -> list[str]:
    """One PNG per view: real walks (left) beside synthetic walks (right), one row per type in SHEET_TYPES."""
    written = []
    for v in views:
        pairs = [(first_walk(real, t, v), first_walk(synthetic, t, v)) for t in SHEET_TYPES]
        pairs = [(r, s) for r, s in pairs if r is not None and s is not None]
        if not pairs:
            continue
        halves = []
        for side, recs in (("real", [p[0] for p in pairs]), ("synthetic", [p[1] for p in pairs])):
            caps = [f"{side} {r.labels.subject} | {r.labels.seq_type} {v:g} deg" for r in recs]
            halves.append(contact_sheet([r.load() for r in recs], caps, frames_per_row=6, caption_width=110))
        gap = np.full((halves[0].shape[0], 6), 128, np.uint8)
        img = np.concatenate([halves[0], gap, halves[1]], axis=1)  # [H, W]
        name = f"sheet_{view_name(v)}.png"
        from PIL import Image

        atomic_save(out / name, lambda tmp, im=img: Image.fromarray(im).save(tmp, format="PNG"), ".png")
        written.append(name)
    return written


# ---- report -------------------------------------------------------------------------------------------------
def _f(x, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def _pair(syn: dict, real: dict, key: str, digits: int = 1) -> str:
    """'synthetic (real)' of one figure."""
    return f"{_f(syn.get(key), digits)} ({_f(real.get(key), digits)})"


def _view_label(v: str) -> str:
    return f"{float(v):g}°"


def classifier_lines(res: dict) -> list[str]:
    names = list(res)
    head = "| measure | " + " | ".join(names) + " |"
    lines = ["### 1. View, clothing and carry classifiers on the real test ids\n", head,
             "|---|" + "---:|" * len(names)]

    def row(label, get):
        vals = []
        for n in names:
            try:
                vals.append(_f(get(res[n])))
            except KeyError:
                vals.append("–")
        lines.append(f"| {label} | " + " | ".join(vals) + " |")

    row("view accuracy (%)", lambda r: r["view"]["accuracy"])
    row("clothing accuracy (%)", lambda r: r["clothing"]["accuracy"])
    row("coat recall (%)", lambda r: r["clothing"]["recall"]["coat"])
    row("normal-clothing recall (%)", lambda r: r["clothing"]["recall"]["normal"])
    row("carry: bag vs no bag accuracy (%)", lambda r: r["carry"]["accuracy"])
    row("bag recall (real `bg`) (%)", lambda r: r["carry"]["recall"]["bag"])
    row("no-bag recall (real `nm`, `cl`) (%)", lambda r: r["carry"]["recall"]["none"])
    lines += ["", "Trained on: " + "; ".join(
        f"**{n}** `{r['run'].get('path')}` ({r['run'].get('config')}, {r['run'].get('steps')} steps, "
        f"{r['run'].get('sequences')} sequences)" for n, r in res.items()) + ".", ""]
    views = next(iter(res.values()))["view"]["confusion"]["rows"]
    lines += ["View recall per true view (%):\n", "| classifiers | " + " | ".join(_view_label(v) for v in views) + " |",
              "|---|" + "---:|" * len(views)]
    for n, r in res.items():
        lines.append(f"| {n} | " + " | ".join(_f(r["view"]["recall"].get(v)) for v in views) + " |")
    lines += ["", "Which bag (carry answers as the classifiers name them, share of each true value, %):\n"]
    for n, r in res.items():
        c = r["carry_detail"]["confusion"]
        m = np.asarray(c["matrix"], float)
        lines += [f"*{n}*\n", "| true | " + " | ".join(c["cols"]) + " | n |", "|---|" + "---:|" * (len(c["cols"]) + 1)]
        for i, t in enumerate(c["rows"]):
            lines.append(f"| {t} | " + " | ".join(_f(100 * x / m[i].sum()) for x in m[i]) + f" | {int(m[i].sum())} |")
        lines.append("")
    lines.append("Confusion matrices: " + ", ".join(f"`confusion_{n}_{a}.png`" for n in res
                                                     for a in ("view", "clothing", "carry", "carry_detail")) + ".\n")
    return lines


def recognizer_lines(res: dict) -> list[str]:
    lines = ["### 2. Recognizers on the real test ids (CASIA-B protocol)\n",
             "| recognizer | trained on | steps | NM | BG | CL | mean |", "|---|---|---:|---:|---:|---:|---:|"]
    for n in ("synthetic-only", "real-trained"):
        r = res[n]
        who = f"{r['run'].get('identities')} ids, {r['run'].get('sequences')} sequences"
        lines.append(f"| {n} (`{r['run'].get('path')}`) | {who} | {r['run'].get('steps')} | "
                     + " | ".join(_f(r["probe_sets"][p]["mean"]) for p in PROBE_SETS) + f" | **{_f(r['headline'])}** |")
    lines += ["", f"Synthetic-only / real-trained mean rank-1: **{_f(res['ratio'], 3)}**.", ""]
    for n in ("synthetic-only", "real-trained"):
        lines += [f"*{n}*, per probe view:\n", format_casia_b(res[n]), ""]
    lines.append("Figure: `recognizers_per_view.png`.\n")
    return lines


def fgd_lines(res: dict) -> list[str]:
    e = res["embedding"]
    return ["### 3. FGD of the synthetic set against real test sequences\n",
            "| FGD synthetic vs real | real-vs-real floor | ratio | sequences per set |", "|---:|---:|---:|---:|",
            f"| {_f(res['fgd'], 2)} | {_f(res['floor'], 2)} | **{_f(res['ratio'], 2)}×** | {res['n_per_set']} |", "",
            f"Embedding: the recognizer trained on real train ids, `{e.get('path')}` ({e.get('config')}, "
            f"{e.get('steps')} steps, {e.get('identities')} ids). The floor is the Fréchet distance between two "
            f"disjoint halves of the {res['real_ids']} real test ids; the synthetic sequences ({res['synthetic_sequences']} "
            f"embedded) are subsampled to the size of the first half and compared with the second (seed {res['seed']}).\n"]


def stats_lines(res: dict) -> list[str]:
    syn, real = res["rows"]["synthetic"], res["rows"]["real"]
    lines = ["### 4. Silhouette statistics per view: synthetic (real)\n",
             "| view | frames/seq | fg % nm | fg % bg | fg % cl | width nm (px), mean ± frame std | width period nm |",
             "|---|---|---|---|---|---|---|"]
    for v in syn:
        s, r = syn[v], real.get(v, {})
        width = (f"{_f(s['width_mean'])} ± {_f(s['width_std'])} ({_f(r.get('width_mean'))} ± "
                 f"{_f(r.get('width_std'))})")
        lines.append(f"| {_view_label(v)} | {_pair(s, r, 'frames', 0)} | {_pair(s, r, 'fg_nm')} | "
                     f"{_pair(s, r, 'fg_bg')} | {_pair(s, r, 'fg_cl')} | {width} | {_pair(s, r, 'period', 0)} |")
    lines += ["", f"Synthetic: {res['synthetic']['sequences']} sequences; real test: {res['real']['sequences']} "
              f"sequences. Sequences under {MIN_FRAMES} frames are not measured (synthetic "
              f"{res['synthetic']['short']}, real {res['real']['short']}). Foreground: values > 127; width: the "
              "horizontal extent per frame; period: the first autocorrelation peak of width at lag >= 8. "
              "Figure: `silhouette_stats.png`.\n"]
    return lines


def markdown(report: dict) -> str:
    d = report["data"]
    lines = [header("Real CASIA-B benchmark"),
             f"- real: `{d['real']}`, test ids {d['test_ids'][0]}-{d['test_ids'][-1]} ({d['real_ids']} present, "
             f"{d['real_sequences']} sequences, {d['missing_cells']} of {d['expected_cells']} id/type/view cells "
             f"missing, {d['real_short']} sequences under {MIN_FRAMES} frames)",
             f"- synthetic: `{d['synthetic']}` ({d['synthetic_sequences']} sequences, {d['synthetic_ids']} ids)",
             f"- models read each sequence up to {report['settings']['frames_limit']} frames spread evenly over it, "
             f"{'under bf16 autocast' if report['settings']['bf16'] else 'in fp32'}", ""]
    lines += classifier_lines(report["classifiers"])
    lines += recognizer_lines(report["recognizers"])
    lines += fgd_lines(report["fgd"])
    lines += stats_lines(report["silhouette_stats"])
    lines += ["### 5. Contact sheets\n", "Real (left) and synthetic (right) at the same view and type: "
              + ", ".join(f"`{s}`" for s in report["contact_sheets"]) + ".\n",
              "### Timings\n", "Model passes found in the cache take about 0 s.\n", "| phase | wall s |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in report["seconds"].items()]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> dict:
    check_inputs(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache) if args.cache else out / "cache"
    sheet_views = [parse_view(v.strip()) for v in args.sheet_views.split(",") if v.strip()]
    timer = Timer()
    with timer.phase("open trees"):
        real, test_ids = open_real_test(args.real, args.partition)
        synthetic = DatasetIndex.open(args.synthetic)
    n_views = len(real.values("view"))
    expected = len(real.subjects) * len(CASIA_B_TYPES) * n_views  # cells of the test ids present
    report: dict = {"settings": {"frames_limit": args.frames_limit or "model default", "bf16": args.bf16,
                                 "seed": args.seed, "synthetic_max": args.synthetic_max or "all"},
                    "data": {"real": args.real, "synthetic": args.synthetic, "partition": args.partition,
                             "test_ids": test_ids, "real_ids": len(real.subjects), "real_sequences": len(real),
                             "expected_cells": expected, "missing_cells": expected - len(real),
                             "synthetic_sequences": len(synthetic), "synthetic_ids": len(synthetic.subjects)}}
    runs = {"shipped": args.classifiers}
    if args.real_classifiers:
        runs["real-trained"] = args.real_classifiers
    with timer.phase("classifiers"):
        report["classifiers"] = classifiers_section(runs, real, cache, out, args.frames_limit, args.bf16)
    with timer.phase("recognizers"):
        report["recognizers"] = recognizers_section(
            {"synthetic-only": args.recognizer, "real-trained": args.real_recognizer}, real, cache, out,
            args.frames_limit, args.bf16)
    with timer.phase("fgd"):
        report["fgd"] = fgd_section(args.real_recognizer, synthetic, real, cache, args.seed, args.frames_limit,
                                    args.bf16, args.synthetic_max)
    with timer.phase("silhouette stats"):
        report["silhouette_stats"] = stats_section(synthetic, real, out)
    report["data"]["real_short"] = report["silhouette_stats"]["real"]["short"]
    with timer.phase("contact sheets"):
        report["contact_sheets"] = contact_sheets(synthetic, real, sheet_views, out)
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
