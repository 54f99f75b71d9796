"""Video files (mp4/avi/gif/...) read as frames: decord when installed, imageio otherwise."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.io.native_stderr import filtered_native_stderr

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif")


def read_video_rgb(path: str | Path) -> np.ndarray:
    """Decode a video as `[t, h, w, 3]` uint8 RGB; undecodable files raise DataError naming the file."""
    path = Path(path)
    if not path.exists():
        raise DataError("file does not exist", path)
    decord = _quiet_decord() if path.suffix.lower() != ".gif" else None
    if decord is not None:
        try:
            # decord's C++ logger prints its own 'ERROR opening ...' line on fd 2; the DataError says it once
            with filtered_native_stderr(keep=lambda line: False):
                vr = decord.VideoReader(str(path), ctx=decord.cpu(0))
                n = len(vr)
                frames = vr.get_batch(list(range(n))).asnumpy() if n else None  # [t, h, w, 3]
        except (decord.DECORDError, RuntimeError) as e:
            detail = str(e).splitlines()[0][:120] if str(e) else ""
            if not detail or str(path) in detail:  # decord's 'Error reading PATH...' says nothing more
                detail = "truncated, corrupt or not a video"
            raise DataError(f"undecodable video ({detail})", path) from None
        if frames is None:
            raise DataError("video has no frames", path)
        return frames
    return _read_imageio(path)


@functools.lru_cache(maxsize=1)
def _quiet_decord():
    """decord with ffmpeg's own log silenced (its lines would reach the terminal beside our one-line errors),
    or None when decord is not installed."""
    try:
        import decord
    except ImportError:
        return None
    decord.logging.set_level(decord.logging.QUIET)
    return decord


def _read_imageio(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    try:
        frames = iio.imread(path, index=None)
    except (OSError, ValueError, RuntimeError, IndexError) as e:
        raise DataError(f"undecodable video ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})", path) from None
    frames = np.asarray(frames)
    if frames.ndim == 2:  # a single grayscale image
        frames = frames[None]
    if frames.ndim == 3:  # grayscale frames
        frames = np.repeat(frames[..., None], 3, axis=-1)
    if frames.ndim == 4 and frames.shape[-1] == 4:
        frames = frames[..., :3]
    if frames.ndim != 4 or frames.shape[0] == 0:
        raise DataError(f"video decoded to an unexpected shape {frames.shape}", path)
    return frames.astype(np.uint8)


def read_video_silhouettes(path: str | Path) -> np.ndarray:
    """Read a mask video (grayscale content stored as RGB) as `[t, h, w]` uint8; colour content is refused."""
    rgb = read_video_rgb(path)  # [t, h, w, 3]
    chroma = rgb.max(axis=-1).astype(np.int16) - rgb.min(axis=-1)  # [t, h, w]
    # lossy codecs leave small chroma noise on grey masks; real colour differs by far more
    if np.percentile(chroma, 99.5) > 40:
        raise DataError("colour video where a silhouette (mask) video is expected", path)
    return rgb.mean(axis=-1).astype(np.uint8)


def write_video(path: str | Path, frames: np.ndarray, fps: float = 25.0) -> None:
    """Write `[t, h, w]` or `[t, h, w, 3]` uint8 frames as mp4/avi/gif (by extension), atomically."""
    import imageio.v3 as iio

    from gaitcraft.io.atomic import atomic_save

    path = Path(path)
    frames = np.asarray(frames, dtype=np.uint8)
    if path.suffix.lower() == ".gif":
        atomic_save(path, lambda tmp: iio.imwrite(tmp, frames, duration=1000.0 / fps, loop=0))
        return
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    # codecs want even sizes
    h, w = frames.shape[1:3]
    frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
    codec = "libx264" if path.suffix.lower() == ".mp4" else "mpeg4"
    atomic_save(path, lambda tmp: iio.imwrite(tmp, frames, fps=fps, codec=codec, plugin="pyav")
                if _has_pyav() else _write_ffmpeg(tmp, frames, fps, codec))


def _has_pyav() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _write_ffmpeg(tmp: str, frames: np.ndarray, fps: float, codec: str) -> None:
    import imageio.v2 as iio2

    with iio2.get_writer(tmp, format="FFMPEG", fps=fps, codec=codec, macro_block_size=1) as w:
        for fr in frames:
            w.append_data(fr)
