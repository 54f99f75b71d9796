"""Previews of silhouette sequences: animated GIF/MP4 and labelled contact sheets (PNG)."""

from __future__ import annotations

from collections.abc import Sequence as Seq
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gaitcraft.io.atomic import atomic_save
from gaitcraft.io.video import write_video


def write_preview(path: str | Path, frames: np.ndarray, fps: float = 25.0, scale: int = 2) -> None:
    """Write a `[t, h, w]` sequence as an animated GIF or MP4 (by extension), upscaled by `scale`."""
    frames = np.asarray(frames, dtype=np.uint8)
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    write_video(path, frames, fps=fps)


def tile_row(frames: np.ndarray, n: int = 8) -> np.ndarray:
    """`n` evenly spaced frames of a `[t, h, w]` sequence side by side: `[h, n*w]`."""
    idx = np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int)
    row = np.concatenate([frames[i] for i in idx], axis=1)
    want = n * frames.shape[2]
    return np.pad(row, ((0, 0), (0, want - row.shape[1])))


def contact_sheet(sequences: Seq[np.ndarray], captions: Seq[str], frames_per_row: int = 8,
                  scale: int = 1, caption_width: int = 150) -> np.ndarray:
    """A grid image: one row per sequence (`frames_per_row` frames sampled over time) with its caption.

    Returns `[H, W]` uint8 (white silhouettes on black, captions on a grey strip).
    """
    if len(sequences) != len(captions):
        raise ValueError(f"{len(sequences)} sequences but {len(captions)} captions")
    if frames_per_row < 1:
        raise ValueError(f"a contact sheet needs at least 1 frame per row, got {frames_per_row}")
    h = max(s.shape[1] for s in sequences)
    w = max(s.shape[2] for s in sequences)
    rows = []
    font = ImageFont.load_default()
    for seq, cap in zip(sequences, captions):
        seq = np.pad(seq, ((0, 0), (0, h - seq.shape[1]), (0, w - seq.shape[2])))
        row = tile_row(seq, frames_per_row)
        if scale > 1:
            row = row.repeat(scale, axis=0).repeat(scale, axis=1)
        strip = Image.new("L", (caption_width, row.shape[0]), 60)
        ImageDraw.Draw(strip).multiline_text((4, 4), cap.replace(" | ", "\n"), fill=255, font=font)
        rows.append(np.concatenate([np.asarray(strip), row], axis=1))
        rows.append(np.full((2, rows[-1].shape[1]), 30, np.uint8))  # separator
    return np.concatenate(rows[:-1], axis=0)


def write_contact_sheet(path: str | Path, sequences: Seq[np.ndarray], captions: Seq[str], **kw) -> None:
    """Write `contact_sheet(...)` as a PNG, atomically."""
    img = Image.fromarray(contact_sheet(sequences, captions, **kw))
    atomic_save(path, lambda tmp: img.save(tmp, format="PNG"))


def caption(labels) -> str:
    """A short caption for a `SequenceLabels`: 'id type | view° | clothing/carry' (the categorical factors'
    labels; 'view ?' when unknown)."""
    view = "view ?" if labels.view != labels.view else f"{labels.view:g} deg"  # NaN: no view stated
    return f"{labels.subject} {labels.seq_type} | {view} | {'/'.join(labels.categorical_labels().values())}"


def grid_sheet(cells: Seq[Seq[np.ndarray]], row_captions: Seq[str], col_captions: Seq[str],
               scale: int = 2, caption_width: int = 96) -> np.ndarray:
    """A table of single frames: `cells[r][c]` is `[h, w]`; rows and columns captioned. Returns `[H, W]` uint8."""
    h, w = cells[0][0].shape
    font = ImageFont.load_default()
    head = Image.new("L", (caption_width + len(col_captions) * w * scale, 14), 60)
    for c, cap in enumerate(col_captions):
        ImageDraw.Draw(head).text((caption_width + c * w * scale + 4, 1), cap, fill=255, font=font)
    rows = [np.asarray(head)]
    for row, cap in zip(cells, row_captions):
        img = np.concatenate(list(row), axis=1).repeat(scale, axis=0).repeat(scale, axis=1)
        strip = Image.new("L", (caption_width, img.shape[0]), 60)
        ImageDraw.Draw(strip).multiline_text((4, 4), cap.replace(" | ", "\n"), fill=255, font=font)
        rows.append(np.concatenate([np.asarray(strip), img], axis=1))
    return np.concatenate(rows, axis=0)


def write_grid_sheet(path: str | Path, cells, row_captions, col_captions, **kw) -> None:
    """Write `grid_sheet(...)` as a PNG, atomically."""
    img = Image.fromarray(grid_sheet(cells, row_captions, col_captions, **kw))
    atomic_save(path, lambda tmp: img.save(tmp, format="PNG"))


def write_view_type_grid(path: str | Path, index, subject: str, seq_types: Seq[str], phase: float = 1 / 3) -> None:
    """One subject's frame at `phase` of each sequence: rows = `seq_types`, columns = every view in `index`."""
    views = index.values("view")
    cells, caps = [], []
    for t in seq_types:
        row, lab = [], None
        for v in views:
            recs = index.filter(subjects=[subject], seq_types=[t], views=[v]).records
            fr = recs[0].load() if recs else np.zeros((1, 64, 64), np.uint8)
            lab = recs[0].labels if recs else lab
            row.append(fr[int(len(fr) * phase)])
        cells.append(row)
        caps.append(" | ".join([f"{subject} {t}", *lab.categorical_labels().values()]) if lab else f"{subject} {t}")
    write_grid_sheet(path, cells, caps, [f"{v:g}" for v in views])
