"""Figures of an audit report: per-pair scatter of visual vs biometric score, and side-by-side GIFs.

The biometric score on the scatter is the distance to the reference divided by the FAR=1% threshold:
under 1 the recognizer accepts the generated clip as the reference's person.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from eval.audit.audit import PreparedPair
from gaitcraft.io.atomic import atomic_save

STYLE = {"restoration": ("tab:blue", "o"), "transfer": ("tab:orange", "^")}


def write_scatter(path: str | Path, pairs: list[dict]) -> None:
    """Two panels (SSIM, silhouette IoU) against distance/threshold, one marker per pair, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
    for ax, key, label in zip(axes, ("ssim", "iou"), ("SSIM (visual)", "silhouette IoU (visual)")):
        for task, (colour, marker) in STYLE.items():
            pts = [(p["visual"][key], p["biometric"]["distance_ratio"]) for p in pairs
                   if p["task"] == task and p["visual"][key] is not None]
            if pts:
                x, y = np.array(pts).T
                ax.scatter(x, y, c=colour, marker=marker, label=task, alpha=0.8, edgecolors="none")
        ax.axhline(1.0, color="grey", lw=1, ls="--")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("distance to reference / FAR=1% threshold")
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle("Per pair: visual similarity vs biometric distance (below the dashed line = same person)", fontsize=9)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)


def _panel(frames: np.ndarray, height: int) -> np.ndarray:
    """`[t, h, w(, 3)]` uint8 -> `[t, height, w', 3]` RGB at the given height."""
    rgb = np.repeat(frames[..., None], 3, -1) if frames.ndim == 3 else frames
    w = max(1, round(rgb.shape[2] * height / rgb.shape[1]))
    return np.stack([cv2.resize(f, (w, height), interpolation=cv2.INTER_AREA) for f in rgb])


def side_by_side(pair: PreparedPair, height: int = 128, max_frames: int = 60) -> np.ndarray:
    """Reference clip | generated clip | reference silhouettes | generated silhouettes, `[t, height, W, 3]`."""
    n = min(len(pair.reference), len(pair.generated), max_frames)
    panels = [_panel(pair.reference.frames[:n], height), _panel(pair.generated.frames[:n], height)]
    for sil in (pair.ref_sil, pair.gen_sil):  # silhouettes at their clip frame; failed frames stay black
        full = np.zeros((n, 64, 64), np.uint8)
        keep = sil.kept < n
        full[sil.kept[keep]] = sil.frames[keep]
        panels.append(_panel(full, height))
    sep = np.full((n, height, 4, 3), 128, np.uint8)
    out = [panels[0]]
    for p in panels[1:]:
        out += [sep, p]
    return np.concatenate(out, axis=2)


def write_worst_gifs(folder: str | Path, pairs: list[dict], prepared: list[PreparedPair], n: int = 4) -> list[Path]:
    """GIFs of the `n` restoration pairs farthest from their reference (relative to the threshold).

    Transfer pairs are used when there are no restoration pairs. Returns the written paths.
    """
    folder = Path(folder)
    by_row = {p.row.row: p for p in prepared}
    pool = [p for p in pairs if p["task"] == "restoration"] or pairs
    worst = sorted(pool, key=lambda p: -p["biometric"]["distance_ratio"])[:n]
    paths = []
    for p in worst:
        path = folder / f"row{p['row']:04d}_{_safe(p['pair_id'])}.gif"
        write_gif(path, side_by_side(by_row[p["row"]]), fps=12.5)
        paths.append(path)
    return paths


def write_gif(path: str | Path, frames: np.ndarray, fps: float = 12.5) -> None:
    """Write RGB frames `[t, h, w, 3]` as a looping GIF (PIL's fast octree palette; imageio's is ~40x slower)."""
    from PIL import Image

    ims = [Image.fromarray(f).quantize(colors=128, method=Image.Quantize.FASTOCTREE) for f in frames]
    atomic_save(path, lambda tmp: ims[0].save(tmp, format="GIF", save_all=True, append_images=ims[1:],
                                              duration=round(1000 / fps), loop=0))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]
