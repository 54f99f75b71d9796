"""Per-view silhouette statistics of a dataset, so that synthetic and real trees can be put side by side.

Definitions (the ones used to calibrate the procedural walker against real CASIA-B):
- a pixel is foreground when its stored value is > 127 (real trees store grayscale 0-255);
- a frame's width is the horizontal extent of its foreground (rightmost - leftmost column + 1; 0 when empty);
- per sequence: frames, foreground share, mean width, the standard deviation of width over its frames, and the
  width period (the first autocorrelation peak of width at a lag of 8 to 39 frames, above 0.2);
- sequences of fewer than `MIN_FRAMES` frames are counted but not measured (no period can be read from them);
- per (view, type prefix): the mean of each per-sequence figure, the median of the periods found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

#: Shorter sequences are skipped (counted in `short`), as the calibration measurements did.
MIN_FRAMES = 10
#: Type prefixes reported as columns: normal walk, carrying a bag, wearing a coat.
PREFIXES = ("nm", "bg", "cl")


def frame_widths(frames: np.ndarray) -> np.ndarray:
    """Horizontal foreground extent (px) of each frame of a `[t, h, w]` uint8 stack, `[t]` float."""
    cols = frames > 127  # [t, h, w]
    cols = cols.any(1)  # [t, w]: columns holding any foreground
    out = np.zeros(len(frames))
    for i, c in enumerate(cols):
        idx = np.flatnonzero(c)
        if idx.size:
            out[i] = idx[-1] - idx[0] + 1
    return out


def width_period(width: np.ndarray) -> float:
    """Frames between width peaks: the first local autocorrelation maximum at lag >= 8 that exceeds 0.2; NaN if none."""
    w = np.asarray(width, float) - np.mean(width)
    ac = np.correlate(w, w, "full")[len(w) - 1:]
    ac = ac / (ac[0] + 1e-9)
    for lag in range(8, min(len(ac) - 1, 40)):
        if ac[lag] > ac[lag - 1] and ac[lag] >= ac[lag + 1] and ac[lag] > 0.2:
            return float(lag)
    return float("nan")


@dataclass(frozen=True)
class SequenceStats:
    """The measured figures of one sequence."""

    frames: int
    foreground: float  # share of foreground pixels, 0..1
    width_mean: float  # px
    width_std: float  # px, over the sequence's frames
    period: float  # frames; NaN when no period was found


def sequence_stats(frames: np.ndarray) -> SequenceStats | None:
    """Figures of one `[t, h, w]` uint8 sequence; None when it has fewer than `MIN_FRAMES` frames."""
    if frames.ndim != 3 or len(frames) < MIN_FRAMES:
        return None
    width = frame_widths(frames)
    return SequenceStats(len(frames), float((frames > 127).mean()), float(width.mean()), float(width.std()),
                         width_period(width))


def summarise(stats: list[SequenceStats]) -> dict:
    """Mean frames, foreground (%), width and width std over sequences; median period over those that have one."""
    arr = np.array([[s.frames, s.foreground, s.width_mean, s.width_std, s.period] for s in stats], float)
    periods = arr[:, 4][~np.isnan(arr[:, 4])]
    return {"n": len(stats), "frames": float(arr[:, 0].mean()), "foreground_pct": float(100 * arr[:, 1].mean()),
            "width_mean": float(arr[:, 2].mean()), "width_std": float(arr[:, 3].mean()),
            "period": float(np.median(periods)) if periods.size else None,
            "period_found_pct": float(100 * periods.size / len(stats))}


def dataset_stats(index, progress: bool = True, desc: str = "silhouette stats") -> dict:
    """Per-view statistics of every sequence of a `DatasetIndex`.

    Returns {'sequences', 'short' (sequences under MIN_FRAMES frames, not measured),
    'cells': {view name: {type prefix: summary}}} with `summarise`'s figures per cell.
    """
    cells: dict[tuple[str, str], list[SequenceStats]] = defaultdict(list)
    short = 0
    for rec in tqdm(index.records, desc=desc, disable=not progress):
        s = sequence_stats(rec.load())
        if s is None:
            short += 1
            continue
        cells[(rec.labels.view_name, rec.labels.seq_type.split("-")[0])].append(s)
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for (view, prefix), items in sorted(cells.items()):
        out[view][prefix] = summarise(items)
    return {"sequences": len(index.records), "short": short, "min_frames": MIN_FRAMES, "cells": dict(out)}


def view_row(cells: dict[str, dict]) -> dict:
    """One view's headline figures: frames, width and period of its normal walks, foreground % per type prefix."""
    nm = cells.get("nm")
    row = {"fg_" + p: (cells[p]["foreground_pct"] if p in cells else None) for p in PREFIXES}
    row.update({k: (nm[k] if nm else None) for k in ("frames", "width_mean", "width_std", "period")})
    return row

