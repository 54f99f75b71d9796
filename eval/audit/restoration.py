"""Task 1, restoration: does the generated clip keep the identity of its reference?

Per pair: rank-1 (the nearest gallery sequence belongs to the identity), the embedding distance to the
reference against the recognizer's FAR threshold (`verified` when below it), and the same test against the
identity's closest gallery sequence. Visual metrics sit beside them, since looking alike is not walking alike.
"""

from __future__ import annotations

import numpy as np


def restoration_pair(identity: str, nearest_id: str, d_reference: float, d_identity: float,
                     threshold: float, reference_nearest_id: str | None) -> dict:
    """Biometric numbers of one restoration pair (distances in the recognizer's metric)."""
    return {
        "rank1": nearest_id == identity,
        "d_reference": d_reference,
        "distance_ratio": d_reference / threshold if threshold > 0 else float("inf"),
        "verified": d_reference < threshold,
        "d_identity": d_identity,
        "verified_gallery": d_identity < threshold,
        "reference_rank1": None if reference_nearest_id is None else reference_nearest_id == identity,
    }


def _mean(values: list, scale: float = 1.0) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return float(np.mean(vals) * scale) if vals else None


def summarize_restoration(pairs: list[dict]) -> dict:
    """Rates (%) and means over the restoration pairs (each a per-pair dict from `eval.audit.audit`)."""
    rs = [p for p in pairs if p["task"] == "restoration"]
    if not rs:
        return {"pairs": 0}
    bio = [p["biometric"] for p in rs]
    return {
        "pairs": len(rs),
        "rank1": _mean([b["rank1"] for b in bio], 100),
        "verified": _mean([b["verified"] for b in bio], 100),
        "verified_gallery": _mean([b["verified_gallery"] for b in bio], 100),
        "reference_rank1": _mean([b["reference_rank1"] for b in bio], 100),
        "mean_distance_ratio": _mean([b["distance_ratio"] for b in bio]),
        "ssim": _mean([p["visual"]["ssim"] for p in rs]),
        "psnr": _mean([p["visual"]["psnr"] for p in rs]),
        "iou": _mean([p["visual"]["iou"] for p in rs]),
        "per_view": per_view(rs),
    }


def per_view(rs: list[dict]) -> dict[str, dict]:
    """{view: {'pairs', 'rank1', 'verified', 'ssim'}} over restoration pairs that name a view."""
    out = {}
    for v in sorted({p["view"] for p in rs if p["view"] is not None}):
        ps = [p for p in rs if p["view"] == v]
        out[f"{v:g}"] = {"pairs": len(ps), "rank1": _mean([p["biometric"]["rank1"] for p in ps], 100),
                         "verified": _mean([p["biometric"]["verified"] for p in ps], 100),
                         "ssim": _mean([p["visual"]["ssim"] for p in ps])}
    return out


def fidelity_verdict(summary: dict) -> str:
    """One sentence on visual vs biometric fidelity of the restoration pairs."""
    if not summary.get("pairs"):
        return "No restoration pairs."
    vis = summary["ssim"]
    bio = summary["verified"]
    return (f"Mean SSIM {vis:.3f} and silhouette IoU {summary['iou'] or float('nan'):.3f}; "
            f"{bio:.0f}% of generated clips are verified as their reference's identity at FAR=1% and "
            f"rank-1 against the gallery is {summary['rank1']:.0f}%"
            + (f" (references themselves: {summary['reference_rank1']:.0f}%)." if summary["reference_rank1"] is not None
               else "."))
