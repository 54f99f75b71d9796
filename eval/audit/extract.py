"""RGB -> silhouette extraction, pluggable: an extractor maps `[t, h, w, 3]` RGB to `[t, h, w]` bool masks.

Every path ends in the foundation's OpenGait pretreatment (64x64). Frames where extraction failed are flagged
and counted, never silently dropped: `empty` (too little foreground for the pretreatment to keep), `edge`
(the mask touches the frame border, so the body is probably cut; kept but flagged) and `dropped` (other
frames the pretreatment refuses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from eval.audit.background import BackgroundSubtraction
from eval.audit.inputs import Clip
from eval.audit.segmenters import resolve_extractor
from gaitcraft.pretreat import MIN_PIXEL_SUM, binarize, pretreat_frame

FLAGS = ("empty", "edge", "dropped")


class Extractor(Protocol):
    """Anything with a `name` and `masks(rgb [t, h, w, 3] uint8, background [h, w, 3] | None) -> [t, h, w] bool`."""

    name: str

    def masks(self, rgb: np.ndarray, background: np.ndarray | None = None) -> np.ndarray: ...


@dataclass
class Extraction:
    """Silhouettes of one clip and what happened to each of its frames."""

    frames: np.ndarray  # [t', 64, 64] uint8 0/255, pretreated
    kept: np.ndarray  # [t'] index of each output frame in the clip
    n_input: int  # frames in the clip
    flags: dict[str, list[int]] = field(default_factory=dict)  # flag -> clip frame indices
    extractor: str = "given-masks"

    def counts(self) -> dict[str, int]:
        """{'frames', 'kept', 'empty', 'edge', 'dropped'} frame counts."""
        return {"frames": self.n_input, "kept": int(len(self.kept)), **{f: len(self.flags.get(f, [])) for f in FLAGS}}

    def report(self) -> dict:
        """Counts, the extractor's name and the flagged frame indices (for report.json)."""
        return {**self.counts(), "extractor": self.extractor, "flagged_frames": {k: v for k, v in self.flags.items() if v}}


def pretreat_masks(masks: np.ndarray, extractor: str = "given-masks") -> Extraction:
    """Pretreat `[t, h, w]` masks (bool or uint8 thresholded at 127) frame by frame, flagging failures."""
    m = masks if masks.dtype == np.bool_ else masks > 127  # [t, h, w] bool
    flags: dict[str, list[int]] = {f: [] for f in FLAGS}
    out, kept = [], []
    min_px = MIN_PIXEL_SUM // 255 + 1  # fewer pixels than this: the pretreatment drops the frame
    # Already-pretreated 64-high silhouettes span the full height by construction: only their sides count.
    check_top_bottom = m.shape[1] != 64
    for i, fr in enumerate(m):
        area = int(fr.sum())
        if area < min_px:
            flags["empty"].append(i)
            continue
        if (check_top_bottom and (fr[0].any() or fr[-1].any())) or fr[:, 0].any() or fr[:, -1].any():
            flags["edge"].append(i)
        p = pretreat_frame(fr.astype(np.uint8) * 255)
        if p is None:
            flags["dropped"].append(i)
            continue
        out.append(binarize(p))
        kept.append(i)
    frames = np.stack(out) if out else np.zeros((0, 64, 64), np.uint8)  # [t', 64, 64]
    return Extraction(frames, np.asarray(kept, dtype=int), len(m), flags, extractor)


def extract_clip(clip: Clip, extractor: Extractor | None = None, background: np.ndarray | None = None) -> Extraction:
    """Silhouettes of a clip: masks are used as given; RGB goes through `extractor` (background subtraction
    by default; `auto` picks per clip), with `background` `[h, w, 3]` (the empty scene) when known."""
    if clip.is_mask:
        return pretreat_masks(clip.frames)
    ext = resolve_extractor(extractor or BackgroundSubtraction(), background)
    if background is not None and background.shape != clip.frames.shape[1:]:
        raise ValueError(f"background {background.shape} does not match the clip's frames {clip.frames.shape[1:]}")
    return pretreat_masks(ext.masks(clip.frames, background), ext.name)


def background_image(clip: Clip) -> np.ndarray:
    """The empty scene from a background clip or image: the per-pixel median, `[h, w, 3]` uint8."""
    frames = np.repeat(clip.frames[..., None], 3, -1) if clip.is_mask else clip.frames  # dark grey scenes
    return np.median(frames[:: max(1, len(frames) // 50)], axis=0).astype(np.uint8)


def extraction_totals(extractions: list[Extraction]) -> dict:
    """Frame counts summed over clips: frames, kept, empty, edge, dropped (failures are never hidden)."""
    counts = [e.counts() for e in extractions]
    return {"clips": len(counts), **{k: sum(c[k] for c in counts) for k in ("frames", "kept", *FLAGS)}}
