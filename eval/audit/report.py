"""The audit report: `report.json` (every number), `report.md` and `report.html` (tables, the scatter plot,
worst-case GIFs). Both documents are rendered from one list of blocks so they never disagree.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from eval.audit.audit import PreparedPair
from eval.audit.figures import write_scatter, write_worst_gifs
from eval.audit.restoration import fidelity_verdict
from eval.audit.transfer import transfer_verdict
from gaitcraft.io.atomic import atomic_write_text


def _f(x, fmt: str = ".3f") -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return format(x, fmt) if isinstance(x, float) else str(x)


def blocks(result: dict, gifs: list[Path], scatter: str) -> list[tuple]:
    """Report content as ('h', text) / ('p', text) / ('table', header, rows) / ('img', path) blocks."""
    r, t, e = result["restoration"], result["transfer"], result["extraction"]
    out: list[tuple] = [("h1", "Biometric-fidelity audit"), ("p", (
        f"Recognizer: {result['recognizer']} (metric {result['metric']}). Gallery: {result['gallery']['root']} "
        f"({result['gallery']['sequences']} sequences, {result['gallery']['identities']} identities). "
        f"Threshold at FAR={result['far'] * 100:g}%: {result['threshold']:.4g}, set on "
        f"{result['impostor_pairs']} gallery impostor pairs. Extractor: {', '.join(result['extractor'])}."))]
    out.append(("h2", "Restoration"))
    if r["pairs"]:
        out.append(("table", ["pairs", "SSIM", "PSNR (dB)", "IoU", "rank-1 %", "verified %", "verified vs gallery %",
                              "reference rank-1 %"],
                    [[r["pairs"], _f(r["ssim"]), _f(r["psnr"], ".1f"), _f(r["iou"]), _f(r["rank1"], ".1f"),
                      _f(r["verified"], ".1f"), _f(r["verified_gallery"], ".1f"), _f(r["reference_rank1"], ".1f")]]))
    if len(r.get("per_view", {})) > 1:
        out.append(("table", ["view", "pairs", "SSIM", "rank-1 %", "verified %"],
                    [[v, x["pairs"], _f(x["ssim"]), _f(x["rank1"], ".1f"), _f(x["verified"], ".1f")]
                     for v, x in r["per_view"].items()]))
    out.append(("p", fidelity_verdict(r)))
    out.append(("h2", "Identity transfer"))
    if t["pairs"]:
        out.append(("table", ["pairs", "motion %", "appearance %", "other %", "closer to motion %", "follows"],
                    [[t["pairs"], _f(t["motion_attribution"], ".1f"), _f(t["appearance_attribution"], ".1f"),
                      _f(t["other_attribution"], ".1f"), _f(t["closer_to_motion"], ".1f"), t["follows"]]]))
    out.append(("p", transfer_verdict(t)))
    out += [("h2", "Visual vs biometric"), ("img", scatter)]
    out.append(("h2", "Silhouette extraction"))
    out.append(("p", f"{e['frames']} frames in {e['clips']} distinct clips: {e['kept']} used, {e['empty']} empty (no silhouette), "
                     f"{e['dropped']} refused by the pretreatment, {e['edge']} touching the frame edge (kept, "
                     "flagged). Failed frames are listed per pair in report.json."))
    out.append(("h2", "Worst cases"))
    out.append(("p", "Reference | generated | reference silhouettes | generated silhouettes."
                if gifs else "No pairs."))
    out += [("img", f"worst/{g.name}") for g in gifs]
    out.append(("h2", "Per pair"))
    rows = []
    for p in result["pairs"]:
        b, v, x = p["biometric"], p["visual"], p["extraction"]
        verdict = _f(b["verified"]) if p["task"] == "restoration" else b["attribution"]
        fails = sum(x[s][k] for s in ("reference", "generated") for k in ("empty", "edge", "dropped"))
        rows.append([p["row"], p["pair_id"], p["task"], p["motion_id"], p["appearance_id"], _f(p["view"], "g"),
                     _f(v["ssim"]), _f(v["psnr"], ".1f"), _f(v["iou"]), b["nearest_id"], _f(b["distance_ratio"], ".2f"),
                     verdict, fails])
    out.append(("table", ["row", "pair", "task", "motion", "appearance", "view", "SSIM", "PSNR", "IoU", "nearest",
                          "d/threshold", "verified / attribution", "flagged frames"], rows))
    return out


def to_markdown(content: list[tuple]) -> str:
    """Render blocks as Markdown."""
    lines = []
    for b in content:
        if b[0] in ("h1", "h2"):
            lines += [("# " if b[0] == "h1" else "## ") + b[1], ""]
        elif b[0] == "p":
            lines += [b[1], ""]
        elif b[0] == "img":
            lines += [f"![{Path(b[1]).stem}]({b[1]})", ""]
        else:
            lines += ["| " + " | ".join(map(str, b[1])) + " |", "|" + "---|" * len(b[1])]
            lines += ["| " + " | ".join(map(str, row)) + " |" for row in b[2]] + [""]
    return "\n".join(lines)


def to_html(content: list[tuple]) -> str:
    """Render blocks as a standalone HTML page."""
    parts = ["<!doctype html><meta charset='utf-8'><title>GaitCraft audit</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>"]
    for b in content:
        if b[0] in ("h1", "h2", "p"):
            text = html.escape(b[1]).replace("**", "")
            parts.append(f"<{b[0]}>{text}</{b[0]}>")
        elif b[0] == "img":
            parts.append(f"<p><img src='{html.escape(b[1])}'></p>")
        else:
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in b[1])
            body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
    return "\n".join(parts)


def finite(obj):
    """A copy of a JSON-ready structure with NaN/inf floats replaced by None (strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def write_report(out: str | Path, result: dict, prepared: list[PreparedPair], worst: int = 4) -> dict[str, Path]:
    """Write report.json, report.md, report.html, scatter.png and worst/*.gif into `out`; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "report.json", json.dumps(finite(result), indent=1, allow_nan=False, default=str))
    write_scatter(out / "scatter.png", result["pairs"])
    gifs = write_worst_gifs(out / "worst", result["pairs"], prepared, worst)
    content = blocks(result, gifs, "scatter.png")
    atomic_write_text(out / "report.md", to_markdown(content))
    atomic_write_text(out / "report.html", to_html(content))
    return {"json": out / "report.json", "markdown": out / "report.md", "html": out / "report.html",
            "scatter": out / "scatter.png", "gifs": gifs}
