"""OpenGait's silhouette pretreatment, bit-exact (its `datasets/pretreatment.py`), and the 64->44 model cut.

Per frame: drop it when the pixel sum is <= 10000; crop rows to the first..last non-zero row; resize to height
64 (width int(64*w/h)) with OpenCV INTER_CUBIC; x-centre = first column whose cumulative sum exceeds half the
total (a centre of 0 drops the frame); take [x-32, x+32), padding 32 zero columns on both sides first when the
window leaves the image.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Frames whose pixel sum is at or under this are dropped (OpenGait's constant).
MIN_PIXEL_SUM = 10000


def pretreat_frame(img: np.ndarray, size: int = 64) -> np.ndarray | None:
    """Pretreat one grayscale frame `[h, w]` to `[size, size]` uint8; None when OpenGait would drop it."""
    if img.sum() <= MIN_PIXEL_SUM:
        return None
    y_nonzero = img.sum(axis=1) != 0
    y_top = int(y_nonzero.argmax())
    y_btm = int(y_nonzero.cumsum().argmax())
    img = img[y_top : y_btm + 1, :]
    new_w = int(size * (img.shape[1] / img.shape[0]))
    if new_w < 1:
        return None
    img = cv2.resize(img, (new_w, size), interpolation=cv2.INTER_CUBIC)
    col = img.sum(axis=0)
    # first column whose cumulative sum exceeds half the total (OpenGait's loop, vectorised)
    over = np.nonzero(col.cumsum() > img.sum() / 2)[0]
    x_center = int(over[0]) if over.size else 0
    if x_center == 0:
        return None
    half = size // 2
    left, right = x_center - half, x_center + half
    if left <= 0 or right >= img.shape[1]:
        left, right = left + half, right + half
        pad = np.zeros((img.shape[0], half), dtype=img.dtype)
        img = np.concatenate([pad, img, pad], axis=1)
    return img[:, left:right].astype(np.uint8)


def pretreat_frames(frames: np.ndarray, size: int = 64) -> np.ndarray:
    """Pretreat a `[t, h, w]` uint8 stack; returns `[t', size, size]` uint8 (t' may be 0 if all frames drop)."""
    out = [f for f in (pretreat_frame(fr, size) for fr in frames) if f is not None]
    if not out:
        return np.zeros((0, size, size), dtype=np.uint8)
    return np.stack(out)  # [t', size, size]


def binarize(frames: np.ndarray, threshold: int = 127) -> np.ndarray:
    """Threshold grayscale silhouettes to 0/255 uint8 (pretreatment's cubic resize leaves grey edges)."""
    return np.where(frames > threshold, 255, 0).astype(np.uint8)


def cut_width(frames, size: int = 64):
    """The cut models apply: drop `size//64*10` columns on each side, so 64x64 -> 64x44.

    Works on numpy arrays and torch tensors with width last (`[..., h, w]`).
    """
    c = size // 64 * 10
    return frames[..., c : frames.shape[-1] - c]
