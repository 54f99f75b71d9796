"""The extraction known-answer case: a rendered walker composited onto a textured static scene, encoded as a
real video file (mp4, lossy), decoded, extracted, and compared with the rendered masks.

IoU is reported at the video's resolution (per frame, then averaged) and on the pretreated 64x64 silhouettes
of frames both sides kept. Speed counts extraction only (decoding and pretreatment excluded).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from eval.audit.background import BackgroundSubtraction
from eval.audit.extract import Extractor, pretreat_masks
from eval.audit.visual_metrics import mask_iou, silhouette_iou
from eval.audit.walker import composite_walk
from gaitcraft.io.video import read_video_rgb, write_video


def extraction_iou(masks: np.ndarray, extractor: Extractor | None = None, seed: int = 0, walk_across: bool = True,
                   give_background: bool = False, folder: str | Path | None = None) -> dict:
    """Composite rendered `masks` `[t, h, w]`, round-trip through mp4, extract, and score against the truth.

    `walk_across` makes the walker cross the frame (static camera; the clip's own median is the background);
    otherwise it stays centred and `give_background` passes the empty scene. Returns
    {'iou', 'iou_min', 'iou_pretreated', 'frames', 'seconds', 'fps', 'flags'}.
    """
    ext = extractor or BackgroundSubtraction()
    rgb, truth, scene = composite_walk(masks, seed=seed, walk_across=walk_across)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "walk.mp4"
        write_video(path, rgb)
        decoded = read_video_rgb(path)  # [t, H, W, 3]
    t0 = time.perf_counter()
    found = ext.masks(decoded, scene if give_background else None)  # [t, H, W] bool
    seconds = time.perf_counter() - t0
    iou = mask_iou(found, truth)
    got, want = pretreat_masks(found, ext.name), pretreat_masks(truth)
    return {"iou": float(iou.mean()), "iou_min": float(iou.min()),
            "iou_pretreated": silhouette_iou(want, got)["iou"], "frames": int(len(rgb)),
            "seconds": seconds, "fps": len(rgb) / seconds if seconds > 0 else float("inf"), "flags": got.counts()}
