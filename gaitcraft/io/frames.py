"""Reading and writing silhouette frames as image files (PNG/JPG/BMP folders)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_bytes

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _natural_key(p: Path):
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.name)]


def list_frame_files(folder: str | Path) -> list[Path]:
    """Image files in `folder`, in natural order ('2.png' before '10.png')."""
    folder = Path(folder)
    if not folder.exists():
        raise DataError("path does not exist", folder)
    if not folder.is_dir():
        raise DataError("expected a folder of frames", folder)
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=_natural_key)


def read_image(path: str | Path) -> np.ndarray:
    """Read one image as stored: `[h, w]` grayscale or `[h, w, 3]`; corrupt files raise DataError."""
    path = Path(path)
    buf = np.fromfile(path, dtype=np.uint8) if path.exists() else None
    if buf is None:
        raise DataError("file does not exist", path)
    img = _quiet_imdecode(buf) if buf.size else None
    if img is None:
        raise DataError("corrupt or unreadable image", path)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != np.uint8:
        img = (img / max(1, np.iinfo(img.dtype).max) * 255).astype(np.uint8) if img.dtype.kind == "u" else img
    return img


def _quiet_imdecode(buf: np.ndarray) -> np.ndarray | None:
    """`cv2.imdecode` without OpenCV's native log lines: a corrupt file is reported once, as a DataError."""
    log = cv2.utils.logging
    level = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_SILENT)
    try:
        return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    finally:
        log.setLogLevel(level)


def read_silhouette_image(path: str | Path) -> np.ndarray:
    """Read one silhouette frame `[h, w]` uint8; colour images are refused unless all channels are equal."""
    img = read_image(path)
    if img.ndim == 3:
        if np.array_equal(img[..., 0], img[..., 1]) and np.array_equal(img[..., 1], img[..., 2]):
            return np.ascontiguousarray(img[..., 0])
        raise DataError("RGB frame where a silhouette (grayscale mask) is expected", path)
    return img


def read_frame_folder(folder: str | Path) -> np.ndarray:
    """Read a folder of silhouette frames as `[t, h, w]` uint8 (not thresholded)."""
    files = list_frame_files(folder)
    if not files:
        raise DataError("empty folder: no image frames", folder)
    frames = [read_silhouette_image(f) for f in files]
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        first = frames[0].shape
        odd = next(f for f, fr in zip(files, frames) if fr.shape != first)
        raise DataError(f"mixed frame sizes in one sequence: {first} vs {odd.name} {frames[files.index(odd)].shape}", folder)
    return np.stack(frames)  # [t, h, w]


def write_png(path: str | Path, img: np.ndarray) -> None:
    """Write one `[h, w]` uint8 image as PNG, atomically."""
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise DataError("PNG encoding failed", path)
    atomic_write_bytes(path, buf.tobytes())


def write_frame_folder(folder: str | Path, frames: np.ndarray, prefix: str = "") -> list[Path]:
    """Write `[t, h, w]` frames as `<prefix>NNN.png` (1-based, CASIA-B style); returns the paths."""
    folder = Path(folder)
    paths = []
    for i, fr in enumerate(frames, start=1):
        p = folder / f"{prefix}{i:03d}.png"
        write_png(p, fr)
        paths.append(p)
    return paths
