"""Visual metrics of a (reference, generated) pair on aligned frames: SSIM, PSNR (scikit-image) and
silhouette IoU. Frames are aligned by index over the common length; a generated clip of another size is
resized to the reference's. These say how alike two clips look, not whether they walk alike.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from eval.audit.extract import Extraction

#: PSNR of identical frames (infinite in theory); a finite cap keeps the JSON valid.
PSNR_CAP = 100.0


def align(ref: np.ndarray, gen: np.ndarray, max_frames: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Frames `[n, h, w(, 3)]` of both clips at the same indices (at most `max_frames`, evenly spread) and size."""
    if ref.ndim != gen.ndim:  # masks vs RGB: compare as grey
        ref, gen = (x.mean(-1).astype(np.uint8) if x.ndim == 4 else x for x in (ref, gen))
    n = min(len(ref), len(gen))
    idx = np.linspace(0, n - 1, min(n, max_frames)).round().astype(int)
    ref, gen = ref[idx], gen[idx]
    if ref.shape[1:3] != gen.shape[1:3]:
        h, w = ref.shape[1:3]
        gen = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in gen])
    return ref, gen


def ssim_psnr(ref: np.ndarray, gen: np.ndarray, max_frames: int = 64) -> dict[str, float]:
    """Mean SSIM and PSNR (dB, capped at `PSNR_CAP`) over aligned frames of two uint8 clips."""
    a, b = align(ref, gen, max_frames)
    channel = -1 if a.ndim == 4 else None
    ssim = [structural_similarity(x, y, data_range=255, channel_axis=channel) for x, y in zip(a, b)]
    psnr = [PSNR_CAP if np.array_equal(x, y) else min(PSNR_CAP, peak_signal_noise_ratio(x, y, data_range=255))
            for x, y in zip(a, b)]
    return {"ssim": float(np.mean(ssim)), "psnr": float(np.mean(psnr)), "frames": int(len(a))}


def mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame IoU `[t]` of two equally shaped mask stacks `[t, h, w]` (bool or 0/255); 1 when both are empty."""
    a, b = a.astype(bool), b.astype(bool)
    inter = (a & b).sum((1, 2))
    union = (a | b).sum((1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def silhouette_iou(ref: Extraction, gen: Extraction) -> dict[str, float | int | None]:
    """Mean IoU of the pretreated 64x64 silhouettes at clip frames both extractions kept (aligned by index)."""
    common, i_ref, i_gen = np.intersect1d(ref.kept, gen.kept, return_indices=True)
    if not len(common):
        return {"iou": None, "frames": 0}
    return {"iou": float(mask_iou(ref.frames[i_ref], gen.frames[i_gen]).mean()), "frames": int(len(common))}


def visual_metrics(ref_frames: np.ndarray, gen_frames: np.ndarray, ref: Extraction, gen: Extraction) -> dict:
    """{'ssim', 'psnr', 'iou', 'frames', 'iou_frames'} of a pair: clips as decoded, plus their silhouettes."""
    out = ssim_psnr(ref_frames, gen_frames)
    sil = silhouette_iou(ref, gen)
    return {**out, "iou": sil["iou"], "iou_frames": sil["frames"]}
