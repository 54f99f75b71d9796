"""report.md of the real CASIA-B benchmark (benchmarks/real_casiab.py), and its before/after table: each bar of
the benchmark for an older synthetic arm beside the main one and the real-trained reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks._machine import header
from eval.evaluation.report import format_casia_b
from eval.evaluation.silhouette_stats import BANDS, MIN_FRAMES, mean_identity_spread

PROBE_SETS = ("NM", "BG", "CL")
CLASSIFIER_ATTRIBUTES = ("view", "clothing", "carry", "carry_detail")


def _f(x, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def _view_label(v: str) -> str:
    return f"{float(v):g}°"


def _get(d: dict | None, *keys):
    """d[k0][k1]...; None where any level is missing (a classifier run without that attribute)."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _trained_on(run: dict) -> str:
    return f"`{run.get('path')}` ({run.get('config')}, {run.get('steps')} steps, {run.get('sequences')} sequences)"


# ---- before / after -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    """One row of the before/after table: where its figure sits in an arm ({'classifiers', 'recognizer', 'fgd'}),
    where the real-trained reference's figure sits (None: no reference), and the bar the figure must meet."""

    measure: str
    keys: tuple[str, ...]
    reference: tuple[str, ...] | None
    digits: int = 1
    bar: str | None = None
    meets: Callable[[float], bool] | None = None


BARS = (
    Bar("view accuracy (%)", ("classifiers", "view", "accuracy"), ("classifiers", "view", "accuracy"),
        bar=">= 90", meets=lambda x: x >= 90),
    Bar("coat recall (%)", ("classifiers", "clothing", "recall", "coat"), ("classifiers", "clothing", "recall", "coat"),
        bar=">= 90", meets=lambda x: x >= 90),
    Bar("bag vs no bag accuracy (%)", ("classifiers", "carry", "accuracy"), ("classifiers", "carry", "accuracy"),
        bar=">= 85", meets=lambda x: x >= 85),
    *(Bar(f"recognizer rank-1 {p} (%)", ("recognizer", "probe_sets", p, "mean"),
          ("recognizer", "probe_sets", p, "mean")) for p in PROBE_SETS),
    Bar("recognizer mean NM/BG/CL rank-1 (%)", ("recognizer", "headline"), ("recognizer", "headline")),
    Bar("mean rank-1 / real-trained recognizer's", ("recognizer", "ratio"), None, digits=3, bar=">= 0.60",
        meets=lambda x: x >= 0.60),
    Bar("FGD vs real (reference: real-vs-real floor)", ("fgd", "fgd"), ("fgd", "floor"), digits=2),
    Bar("FGD / real-vs-real floor", ("fgd", "ratio"), None, digits=2, bar="<= 2×", meets=lambda x: x <= 2),
)


def arms(report: dict) -> dict[str, dict]:
    """{'before', 'after', 'reference'}: each {'classifiers', 'recognizer', 'fgd'} as the bars read them."""
    clf, rec = report["classifiers"], report["recognizers"]
    return {"before": {k: report["before"][k] for k in ("classifiers", "recognizer", "fgd")},
            "after": {"classifiers": clf["shipped"], "recognizer": {**rec["synthetic-only"], "ratio": rec["ratio"]},
                      "fgd": report["fgd"]},
            "reference": {"classifiers": clf.get("real-trained"), "recognizer": rec["real-trained"],
                          "fgd": report["fgd"]}}


def before_after(report: dict) -> list[dict]:
    """One row per bar: {'measure', 'digits', 'before', 'after', 'reference', 'bar', 'before_meets', 'after_meets'}."""
    a = arms(report)
    rows = []
    for b in BARS:
        row = {"measure": b.measure, "digits": b.digits, "before": _get(a["before"], *b.keys),
               "after": _get(a["after"], *b.keys), "reference": _get(a["reference"], *b.reference) if b.reference
               else None, "bar": b.bar}
        for side in ("before", "after"):
            row[f"{side}_meets"] = None if b.meets is None or row[side] is None else bool(b.meets(row[side]))
        rows.append(row)
    return rows


def _marked(value, digits: int, met: bool | None) -> str:
    return _f(value, digits) + {True: " ✓", False: " ✗", None: ""}[met]


def before_after_lines(report: dict) -> list[str]:
    labels, b = report["labels"], report["before"]
    lines = [f"### Before / after: {labels['before']} against {labels['synthetic']}\n",
             f"| measure | {labels['before']} | {labels['synthetic']} | real-trained reference | bar |",
             "|---|---:|---:|---:|---|"]
    for r in report["before_after"]:
        d = r["digits"]
        lines.append(f"| {r['measure']} | {_marked(r['before'], d, r['before_meets'])} | "
                     f"{_marked(r['after'], d, r['after_meets'])} | {_f(r['reference'], d)} | {r['bar'] or '–'} |")
    d = report["data"]
    floor_before, floor_after = b["fgd"]["floor"], report["fgd"]["floor"]
    lines += ["", f"- {labels['before']}: synthetic `{b['data']['synthetic']}` ({b['data']['sequences']} sequences, "
              f"{b['data']['ids']} ids); recognizer {_trained_on(b['recognizer']['run'])}; classifiers "
              f"{_trained_on(b['classifiers']['run'])}.",
              f"- {labels['synthetic']}: synthetic `{d['synthetic']}` ({d['synthetic_sequences']} sequences, "
              f"{d['synthetic_ids']} ids); its models are those of sections 1 and 2.",
              "- Classifiers and recognizers of both arms are scored on the same real test sequences. Both synthetic "
              "sets are embedded for the FGD by the same real-trained recognizer (section 3) against the same real "
              f"halves (seed {report['settings']['seed']}).", ]
    if not np.isclose(floor_before, floor_after):
        lines.append(f"- The floors differ ({_f(floor_before, 2)} vs {_f(floor_after, 2)}) because the smaller "
                     "synthetic set caps the sample size of both distances; each ratio uses its own floor.")
    lines += [f"- {labels['before']} confusion matrices: "
              + ", ".join(f"`confusion_before_{a}.png`" for a in CLASSIFIER_ATTRIBUTES if a in b["classifiers"])
              + ".", ""]
    return lines


# ---- the main arm's sections --------------------------------------------------------------------------------
def classifier_lines(res: dict, shown: dict[str, str]) -> list[str]:
    """Section 1; `shown` names the classifier runs in the text (the main arm's by its label, not its JSON key)."""
    names = list(res)
    name = lambda n: shown.get(n, n)  # noqa: E731
    head = "| measure | " + " | ".join(name(n) for n in names) + " |"
    lines = ["### 1. View, clothing and carry classifiers on the real test ids\n", head,
             "|---|" + "---:|" * len(names)]

    def row(label, *keys):
        lines.append(f"| {label} | " + " | ".join(_f(_get(res[n], *keys)) for n in names) + " |")

    row("view accuracy (%)", "view", "accuracy")
    row("clothing accuracy (%)", "clothing", "accuracy")
    row("coat recall (%)", "clothing", "recall", "coat")
    row("normal-clothing recall (%)", "clothing", "recall", "normal")
    row("carry: bag vs no bag accuracy (%)", "carry", "accuracy")
    row("bag recall (real `bg`) (%)", "carry", "recall", "bag")
    row("no-bag recall (real `nm`, `cl`) (%)", "carry", "recall", "none")
    lines += ["", "Trained on: " + "; ".join(f"**{name(n)}** {_trained_on(r['run'])}" for n, r in res.items()) + ".", ""]
    views = next(iter(res.values()))["view"]["confusion"]["rows"]
    lines += ["View recall per true view (%):\n", "| classifiers | " + " | ".join(_view_label(v) for v in views) + " |",
              "|---|" + "---:|" * len(views)]
    for n, r in res.items():
        lines.append(f"| {name(n)} | " + " | ".join(_f(r["view"]["recall"].get(v)) for v in views) + " |")
    lines += ["", "Which bag (carry answers as the classifiers name them, share of each true value, %):\n"]
    for n, r in res.items():
        c = r["carry_detail"]["confusion"]
        m = np.asarray(c["matrix"], float)
        lines += [f"*{name(n)}*\n", "| true | " + " | ".join(c["cols"]) + " | n |", "|---|" + "---:|" * (len(c["cols"]) + 1)]
        for i, t in enumerate(c["rows"]):
            lines.append(f"| {t} | " + " | ".join(_f(100 * x / m[i].sum()) for x in m[i]) + f" | {int(m[i].sum())} |")
        lines.append("")
    lines.append("Confusion matrices: " + ", ".join(f"`confusion_{n}_{a}.png`" for n in res
                                                     for a in CLASSIFIER_ATTRIBUTES) + ".\n")
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


def stats_lines(res: dict, labels: dict[str, str]) -> list[str]:
    """One row per view and set (each synthetic set, then real)."""
    sets = [k for k in ("before", "synthetic", "real") if k in res["rows"]]
    lines = ["### 4. Silhouette statistics per view\n",
             "| view | set | frames/seq | fg % nm | fg % bg | fg % cl | width nm (px), mean ± frame std | "
             "width period nm |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for v in res["rows"]["real"]:
        for k in sets:
            s = res["rows"][k].get(v, {})
            lines.append(f"| {_view_label(v)} | {labels[k]} | {_f(s.get('frames'), 0)} | {_f(s.get('fg_nm'))} | "
                         f"{_f(s.get('fg_bg'))} | {_f(s.get('fg_cl'))} | {_f(s.get('width_mean'))} ± "
                         f"{_f(s.get('width_std'))} | {_f(s.get('period'), 0)} |")
    counts = "; ".join(f"{labels[k]}: {res[k]['sequences']} sequences ({res[k]['short']} under {MIN_FRAMES} frames, "
                       "not measured)" for k in sets)
    lines += ["", f"{counts}. Foreground: values > 127; width: the horizontal extent per frame; period: the first "
              "autocorrelation peak of width at lag >= 8. Figure: `silhouette_stats.png`.\n"]
    return lines + spread_lines(res, labels, sets)


def spread_lines(res: dict, labels: dict[str, str], sets: list[str]) -> list[str]:
    """How far people differ, band by band, in each set: the identity cues a recognizer can learn from it."""
    spread = {k: mean_identity_spread(res[k].get("identity_spread", {})) for k in sets}
    sets = [k for k in sets if spread[k]]
    if not sets:
        return []
    lines = ["Between-person spread of row widths, normal walks, mean over views (px; sd of the people's mean "
             "widths, and in brackets the rms sd of one person's walks):\n",
             "| band (rows) | " + " | ".join(labels[k] for k in sets) + " |", "|---|" + "---:|" * len(sets)]
    for band, (a, b) in BANDS.items():
        lines.append(f"| {band} ({a}-{b - 1}) | " + " | ".join(
            f"{_f(spread[k][band]['between'], 2)} ({_f(spread[k][band]['within'], 2)})" for k in sets) + " |")
    return lines + [""]


def markdown(report: dict) -> str:
    """The whole report.md."""
    d, labels = report["data"], report["labels"]
    lines = [header("Real CASIA-B benchmark"),
             f"- real: `{d['real']}`, test ids {d['test_ids'][0]}-{d['test_ids'][-1]} ({d['real_ids']} present, "
             f"{d['real_sequences']} sequences, {d['missing_cells']} of {d['expected_cells']} id/type/view cells "
             f"missing, {d['real_short']} sequences under {MIN_FRAMES} frames)",
             f"- synthetic ({labels['synthetic']}): `{d['synthetic']}` ({d['synthetic_sequences']} sequences, "
             f"{d['synthetic_ids']} ids)",
             f"- models read each sequence up to {report['settings']['frames_limit']} frames spread evenly over it, "
             f"{'under bf16 autocast' if report['settings']['bf16'] else 'in fp32'}", ""]
    if "before" in report:
        lines += before_after_lines(report)
    lines += classifier_lines(report["classifiers"], {"shipped": f"{labels['synthetic']} classifiers"})
    lines += recognizer_lines(report["recognizers"])
    lines += fgd_lines(report["fgd"])
    lines += stats_lines(report["silhouette_stats"], labels)
    shown = [labels[k] for k in ("before", "synthetic", "real") if k in report["silhouette_stats"]["rows"]]
    lines += ["### 5. Contact sheets\n", f"{' | '.join(shown)} (left to right) at the same view and type: "
              + ", ".join(f"`{s}`" for s in report["contact_sheets"]) + ".\n",
              "### Timings\n", "Model passes found in the cache take about 0 s.\n", "| phase | wall s |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in report["seconds"].items()]
    return "\n".join(lines) + "\n"
