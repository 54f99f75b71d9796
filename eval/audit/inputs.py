"""Decode one audit clip: an RGB video / frame folder / `.npy`, or silhouettes (mask video, grey frames, `.pkl`).

A clip is either RGB (`[t, h, w, 3]`, sent to an extractor) or masks (`[t, h, w]`, used as given). Grey content
that is nearly binary is taken as masks, whatever the container, so mask videos need no flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.io.frames import IMAGE_EXTS, list_frame_files, read_image
from gaitcraft.io.opengait_tree import read_opengait_sequence
from gaitcraft.io.video import VIDEO_EXTS, read_video_rgb


@dataclass
class Clip:
    """Decoded frames: `[t, h, w, 3]` uint8 RGB, or `[t, h, w]` uint8 masks when `is_mask`."""

    frames: np.ndarray
    is_mask: bool
    path: Path

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def thumbnail(self, height: int = 128, max_frames: int = 60) -> Clip:
        """The first `max_frames` frames at `height` rows at most (for previews; bounds memory)."""
        frames = self.frames[:max_frames]
        if frames.shape[1] > height:
            w = max(1, round(frames.shape[2] * height / frames.shape[1]))
            frames = np.stack([cv2.resize(f, (w, height), interpolation=cv2.INTER_AREA) for f in frames])
        return Clip(np.ascontiguousarray(frames), self.is_mask, self.path)


def looks_like_masks(frames: np.ndarray) -> bool:
    """True for grey, nearly binary content (mask videos survive lossy codecs): `[t, h, w(, 3)]`."""
    sample = frames[:: max(1, len(frames) // 8)]
    if sample.ndim == 4:
        chroma = sample.max(-1).astype(np.int16) - sample.min(-1)
        if np.percentile(chroma, 99.5) > 40:
            return False
        sample = sample.mean(-1)
    extreme = (sample < 40) | (sample > 215)
    return bool(extreme.mean() > 0.97)


def load_clip(path: str | Path) -> Clip:
    """Decode a clip by its kind: `.pkl` (OpenGait sequence), `.npy` (`[t, h, w]` or `[t, h, w, 3]`),
    a video file, a folder of frames, or an OpenGait view folder holding one `.pkl`."""
    path = Path(path)
    if not path.exists():
        raise DataError("file does not exist", path)
    if path.is_dir():
        pkls = sorted(path.glob("*.pkl"))
        if pkls:
            return Clip(read_opengait_sequence(pkls[0]), True, pkls[0])
        files = list_frame_files(path)
        if not files:
            raise DataError(f"folder holds no frames ({', '.join(IMAGE_EXTS)}) and no .pkl", path)
        frames = [_rgb(read_image(f)) for f in files]
        if len({f.shape for f in frames}) > 1:
            raise DataError("frames of different sizes in one clip", path)
        return _classify(np.stack(frames), path)
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        return Clip(read_opengait_sequence(path), True, path)
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise DataError(f"unreadable .npy ({e})", path) from None
        return _classify(arr, path)
    if suffix in VIDEO_EXTS:
        return _classify(read_video_rgb(path), path)
    raise DataError(f"unknown clip type {suffix!r}; use a video ({', '.join(VIDEO_EXTS)}), a frame folder, "
                    ".pkl or .npy", path)


def _rgb(img: np.ndarray) -> np.ndarray:
    """OpenCV decodes colour images as BGR; the audit works in RGB."""
    return np.ascontiguousarray(img[..., ::-1]) if img.ndim == 3 else img


def _classify(arr: np.ndarray, path: Path) -> Clip:
    arr = np.asarray(arr)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype != np.uint8:
        raise DataError(f"frames have dtype {arr.dtype}; expected uint8", path)
    if arr.ndim == 4 and arr.shape[-1] == 4:
        arr = arr[..., :3]
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] != 3) or arr.shape[0] == 0:
        raise DataError(f"expected frames [t, h, w] or [t, h, w, 3], got shape {arr.shape}", path)
    if looks_like_masks(arr):
        return Clip(arr.mean(-1).astype(np.uint8) if arr.ndim == 4 else arr, True, path)
    if arr.ndim == 3:
        arr = np.repeat(arr[..., None], 3, axis=-1)  # grey video: RGB with equal channels
    return Clip(np.ascontiguousarray(arr), False, path)
