"""PNG figures for measurement reports: confusion matrices and per-view curves (matplotlib, no display)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gaitcraft.io.atomic import atomic_save


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_confusion_png(path: str | Path, confusion: dict, title: str, xlabel: str = "predicted",
                        ylabel: str = "true") -> None:
    """A confusion matrix ({'rows', 'cols', 'matrix'} as `eval.evaluation.classifier_confusion.score` makes it) as a heatmap.

    Colour is the share of each true row (so rows of different sizes read alike); cells print the counts.
    """
    plt = _pyplot()
    m = np.asarray(confusion["matrix"], float)  # [rows, cols] counts
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    rows, cols = confusion["rows"], confusion["cols"]
    fig, ax = plt.subplots(figsize=(max(4.2, 1.2 + 0.55 * len(cols)), 1.0 + 0.45 * len(rows)))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if m[i, j]:
                ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"), ".png")
    plt.close(fig)


def write_per_view_png(path: str | Path, views: Sequence[str], panels: dict[str, dict[str, Sequence]],
                       title: str) -> None:
    """One panel per entry of `panels` ({panel title: {series name: value per view (None = missing)}}),
    views along x."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    x = np.arange(len(views))
    for ax, (name, series) in zip(axes[0], panels.items()):
        for label, values in series.items():
            y = np.array([np.nan if v is None else v for v in values], float)
            ax.plot(x, y, marker="o", ms=3, label=label)
        ax.set_xticks(x, views, fontsize=7)
        ax.set_xlabel("view (deg)", fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"), ".png")
    plt.close(fig)
