"""Per-view silhouette statistics of a dataset, so that synthetic and real trees can be put side by side.

Definitions (the ones used to calibrate the procedural walker against real CASIA-B):
- a pixel is foreground when its stored value is > 127 (real trees store grayscale 0-255);
- a frame's width is the horizontal extent of its foreground (rightmost - leftmost column + 1; 0 when empty);
- per sequence: frames, foreground share, mean width, the standard deviation of width over its frames, and the
  width period (the first autocorrelation peak of width at a lag of 8 to 39 frames, above 0.2);
- sequences of fewer than `MIN_FRAMES` frames are counted but not measured (no period can be read from them);
- per (view, type prefix): the mean of each per-sequence figure, the median of the periods found;
- identity spread, per view over normal walks: a sequence's row widths are its mean foreground pixels per row in
  each body band (`BANDS`, rows of the 64-row frame); per band, how far people differ (the standard deviation of
  the subjects' mean widths) beside how far one person's walks differ (the root mean square of each subject's
  standard deviation over its walks). A recognizer can only learn the cues that differ between people.
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
#: Body bands as [first, last) rows of a 64-row pretreated frame (the body spans the rows, head at the top).
BANDS: dict[str, tuple[int, int]] = {"head": (2, 10), "shoulders": (12, 18), "trunk": (18, 30), "hips": (30, 36),
                                     "thighs": (36, 46), "shanks": (46, 60)}


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
    bands: tuple[float, ...] = ()  # mean foreground px per row in each of `BANDS` (64-row frames), else empty


def band_widths(frames: np.ndarray) -> tuple[float, ...]:
    """Mean foreground pixels per row of a `[t, 64, w]` uint8 stack in each of `BANDS`; empty for other heights."""
    if frames.shape[1] != 64:
        return ()
    per_row = (frames > 127).sum(2).mean(0)  # [64]
    return tuple(float(per_row[a:b].mean()) for a, b in BANDS.values())


def sequence_stats(frames: np.ndarray) -> SequenceStats | None:
    """Figures of one `[t, h, w]` uint8 sequence; None when it has fewer than `MIN_FRAMES` frames."""
    if frames.ndim != 3 or len(frames) < MIN_FRAMES:
        return None
    width = frame_widths(frames)
    return SequenceStats(len(frames), float((frames > 127).mean()), float(width.mean()), float(width.std()),
                         width_period(width), band_widths(frames))


def summarise(stats: list[SequenceStats]) -> dict:
    """Mean frames, foreground (%), width and width std over sequences; median period over those that have one."""
    arr = np.array([[s.frames, s.foreground, s.width_mean, s.width_std, s.period] for s in stats], float)
    periods = arr[:, 4][~np.isnan(arr[:, 4])]
    return {"n": len(stats), "frames": float(arr[:, 0].mean()), "foreground_pct": float(100 * arr[:, 1].mean()),
            "width_mean": float(arr[:, 2].mean()), "width_std": float(arr[:, 3].mean()),
            "period": float(np.median(periods)) if periods.size else None,
            "period_found_pct": float(100 * periods.size / len(stats))}


def identity_spread(per_subject: dict[str, list[tuple[float, ...]]]) -> dict | None:
    """Between- and within-person spread of band widths from {subject: [band widths of each walk]}: per band,
    {'between': sd of the subjects' means, 'within': rms of each subject's sd over its walks} (px), with the
    number of subjects; None with fewer than two subjects or no bands."""
    subjects = {k: np.array(v, float) for k, v in per_subject.items() if v and len(v[0])}  # [walks, bands]
    if len(subjects) < 2:
        return None
    means = np.stack([a.mean(0) for a in subjects.values()])  # [subjects, bands]
    repeated = [a for a in subjects.values() if len(a) > 1]
    within = np.sqrt(np.mean([a.var(0) for a in repeated], 0)) if repeated else np.full(len(BANDS), np.nan)
    between = means.std(0)
    return {"subjects": len(subjects),
            **{band: {"between": float(between[i]), "within": float(within[i])} for i, band in enumerate(BANDS)}}


def dataset_stats(index, progress: bool = True, desc: str = "silhouette stats") -> dict:
    """Per-view statistics of every sequence of a `DatasetIndex`.

    Returns {'sequences', 'short' (sequences under MIN_FRAMES frames, not measured),
    'cells': {view name: {type prefix: summary}}, 'identity_spread': {view name: `identity_spread` of its normal
    walks}} with `summarise`'s figures per cell.
    """
    cells: dict[tuple[str, str], list[SequenceStats]] = defaultdict(list)
    people: dict[str, dict[str, list[tuple[float, ...]]]] = defaultdict(lambda: defaultdict(list))
    short = 0
    for rec in tqdm(index.records, desc=desc, disable=not progress):
        s = sequence_stats(rec.load())
        if s is None:
            short += 1
            continue
        prefix = rec.labels.seq_type.split("-")[0]
        cells[(rec.labels.view_name, prefix)].append(s)
        if prefix == "nm":
            people[rec.labels.view_name][rec.labels.subject].append(s.bands)
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for (view, prefix), items in sorted(cells.items()):
        out[view][prefix] = summarise(items)
    spread = {view: identity_spread(people[view]) for view in sorted(people)}
    return {"sequences": len(index.records), "short": short, "min_frames": MIN_FRAMES, "cells": dict(out),
            "identity_spread": {v: s for v, s in spread.items() if s is not None}}


def mean_identity_spread(spread: dict[str, dict]) -> dict[str, dict[str, float]] | None:
    """`dataset_stats`' identity spread averaged over views: {band: {'between', 'within'}}; None if empty."""
    if not spread:
        return None
    return {band: {k: float(np.nanmean([s[band][k] for s in spread.values()])) for k in ("between", "within")}
            for band in BANDS}


def view_row(cells: dict[str, dict]) -> dict:
    """One view's headline figures: frames, width and period of its normal walks, foreground % per type prefix."""
    nm = cells.get("nm")
    row = {"fg_" + p: (cells[p]["foreground_pct"] if p in cells else None) for p in PREFIXES}
    row.update({k: (nm[k] if nm else None) for k in ("frames", "width_mean", "width_std", "period")})
    return row

