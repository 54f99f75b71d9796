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
    """A short caption for a `SequenceLabels`: 'id type | view° | clothing/carry'."""
    return f"{labels.subject} {labels.seq_type} | {labels.view:g} deg | {labels.clothing}/{labels.carry}"
