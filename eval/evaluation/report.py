"""Markdown tables of protocol results (what `gaitcraft recognizer eval` prints)."""

from __future__ import annotations

from gaitcraft.types import view_name


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def format_casia_b(result: dict) -> str:
    """Per-view rank-1 table: one row per probe set, one column per probe view, then the mean."""
    views = [view_name(v) for v in result["views"]]
    lines = ["| probe | " + " | ".join(views) + " | mean |", "|---|" + "---:|" * (len(views) + 1)]
    for name, r in result["probe_sets"].items():
        lines.append(f"| {name} | " + " | ".join(_fmt(x) for x in r["per_view"]) + f" | **{_fmt(r['mean'])}** |")
    lines.append("")
    lines.append(f"Rank-1 (%), gallery {', '.join(result['gallery_types'])}, identical views excluded, "
                 f"metric {result['metric']}.")
    return "\n".join(lines)


def format_generic(result: dict) -> str:
    """One-row table of rank-k, mAP, mINP, EER and TAR@FAR."""
    ver = result["verification"]
    ranks = [k for k in result if k.startswith("rank-")]
    head = ranks + ["mAP", "mINP", "EER", f"TAR@FAR={ver['far'] * 100:g}%"]
    vals = [result[k] for k in ranks] + [result["mAP"], result["mINP"], ver["eer"], ver["tar_at_far"]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head), "| " + " | ".join(_fmt(v) for v in vals) + " |"]
    note = f"{result['probe']} probes, {result['gallery']} gallery, metric {result['metric']}"
    if result.get("probes_without_match"):
        note += f"; {result['probes_without_match']} probes had no true match in the gallery and are left out"
    return "\n".join(lines + ["", note + "."])


def format_attributes(result: dict) -> str:
    """Accuracy per attribute classifier, with per-class accuracy."""
    lines = ["| attribute | accuracy | sequences | per class |", "|---|---:|---:|---|"]
    for a, r in result["attributes"].items():
        per = ", ".join(f"{k}: {_fmt(v)}" for k, v in r["per_class"].items())
        unk = f" ({r['unknown']} with values the classifier never saw)" if r["unknown"] else ""
        lines.append(f"| {a} | {_fmt(r['accuracy'])} | {r['n']}{unk} | {per} |")
    return "\n".join(lines)


def format_table(result: dict) -> str:
    """The markdown table for any protocol result from `eval.evaluation.protocols` / `eval.evaluation.recognizer.evaluate`."""
    kind = result.get("protocol")
    if kind == "casia-b":
        return format_casia_b(result)
    if kind == "generic":
        return format_generic(result)
    if kind == "attributes":
        return format_attributes(result)
    raise ValueError(f"unknown result kind {kind!r}; expected 'casia-b', 'generic' or 'attributes'")
