"""How well extracted silhouettes match reference silhouettes of the same video, and each other.

Reference silhouettes (a dataset's official ones) are stored pretreated, frame for frame, but without the video
frame each came from: the dataset kept only the frames where its own extraction found the person. For a person
walking through a static camera's view (CASIA-B) those frames are one contiguous run of the video, so the
reference is placed by a single offset: reference frame j is video frame j + offset. The offset is chosen once
per video, shared by every method compared, as the one that maximises their summed IoU (a frame a method gave
no silhouette for scores 0). One parameter fitted on ~60 frames barely flatters the methods; a second-best
offset far below the best says the placement is unambiguous.

All IoUs here are of pretreated 64x64 silhouettes (`gaitcraft.pretreat`), the form recognizers see.
"""

from __future__ import annotations

import numpy as np

from eval.audit.extract import Extraction
from eval.audit.visual_metrics import mask_iou

#: A frame agrees well with the reference at this IoU or more (the study's bar for learned extraction).
GOOD_IOU = 0.85


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU `[n, m]` of every frame of `a` `[n, h, w]` with every frame of `b` `[m, h, w]` (bool or 0/255)."""
    a = a.reshape(len(a), -1).astype(bool)  # [n, h*w]
    b = b.reshape(len(b), -1).astype(bool)  # [m, h*w]
    inter = a.astype(np.int32) @ b.T.astype(np.int32)  # [n, m]
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def reference_ious(reference: np.ndarray, extraction: Extraction, offset: int) -> np.ndarray:
    """IoU `[n]` of each reference frame `[n, 64, 64]` with the extraction's frame at video index j + offset;
    NaN where the extraction kept no silhouette for that video frame."""
    out = np.full(len(reference), np.nan)
    at = {int(k): i for i, k in enumerate(extraction.kept)}
    pairs = [(j, at[j + offset]) for j in range(len(reference)) if j + offset in at]
    if pairs:
        js, ks = map(np.asarray, zip(*pairs))
        out[js] = mask_iou(reference[js] > 127, extraction.frames[ks] > 127)  # [p] of [p, 64, 64] pairs
    return out


def place_reference(reference: np.ndarray, extractions: list[Extraction], n_video: int) -> dict:
    """The offset (video frame of reference frame 0) that maximises the summed IoU of all `extractions` with the
    `reference` `[n, 64, 64]`, searched over every placement inside the video's `n_video` frames.

    Returns {'offset', 'score', 'second_offset', 'second_score'}: score = the mean over methods of their mean
    per-reference-frame IoU (a missing frame counts 0); 'second' is the best other offset, for ambiguity."""
    n = len(reference)
    if n == 0 or n > n_video:
        raise ValueError(f"cannot place {n} reference frames in a video of {n_video} frames")
    scores = np.zeros(n_video - n + 1)
    for ext in extractions:
        if not len(ext.kept):
            continue
        sim = iou_matrix(reference > 127, ext.frames > 127)  # [n, kept]
        col = np.full(n_video, -1)
        col[ext.kept] = np.arange(len(ext.kept))
        for off in range(len(scores)):
            c = col[off : off + n]  # [n] column of video frame j + off, -1 = none
            scores[off] += np.where(c >= 0, sim[np.arange(n), np.maximum(c, 0)], 0.0).sum()
    scores /= n * max(1, len(extractions))
    order = np.argsort(-scores, kind="stable")
    second = int(order[1]) if len(order) > 1 else None
    return {"offset": int(order[0]), "score": float(scores[order[0]]), "second_offset": second,
            "second_score": float(scores[second]) if second is not None else None}


def reference_summary(ious: np.ndarray) -> dict:
    """Summary of per-reference-frame IoUs (NaN = no silhouette): frames, coverage (share with a silhouette),
    mean / median / min over covered frames, and the share of all reference frames at IoU >= `GOOD_IOU`."""
    have = ious[~np.isnan(ious)]
    n = len(ious)
    return {"frames": n, "covered": int(len(have)), "coverage": len(have) / n if n else 0.0,
            "iou_mean": float(have.mean()) if len(have) else None,
            "iou_median": float(np.median(have)) if len(have) else None,
            "iou_min": float(have.min()) if len(have) else None,
            "good_share": float((have >= GOOD_IOU).sum() / n) if n else 0.0}


def pairwise_agreement(a: Extraction, b: Extraction) -> dict:
    """Per-frame IoU of two extractions of the same video at the video frames both kept:
    {'frames' (both kept), 'only_a', 'only_b', 'iou_mean', 'iou_median', 'iou_min', 'ious' (list)}."""
    common, ia, ib = np.intersect1d(a.kept, b.kept, return_indices=True)
    ious = mask_iou(a.frames[ia] > 127, b.frames[ib] > 127) if len(common) else np.zeros(0)
    return {"frames": int(len(common)), "only_a": int(len(a.kept) - len(common)),
            "only_b": int(len(b.kept) - len(common)),
            "iou_mean": float(ious.mean()) if len(ious) else None,
            "iou_median": float(np.median(ious)) if len(ious) else None,
            "iou_min": float(ious.min()) if len(ious) else None,
            "video_frames": common.tolist(), "ious": [round(float(x), 4) for x in ious]}
