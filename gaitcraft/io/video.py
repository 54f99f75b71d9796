"""Video files (mp4/avi/gif/...) read as frames: decord when installed, imageio otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitcraft.errors import DataError

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif")


def read_video_rgb(path: str | Path) -> np.ndarray:
    """Decode a video as `[t, h, w, 3]` uint8 RGB; undecodable files raise DataError naming the file."""
    path = Path(path)
    if not path.exists():
        raise DataError("file does not exist", path)
    if path.suffix.lower() != ".gif":
        try:
            import decord
        except ImportError:
            decord = None
        if decord is not None:
            try:
                vr = decord.VideoReader(str(path), ctx=decord.cpu(0))
                if len(vr) == 0:
                    raise DataError("video has no frames", path)
                return vr.get_batch(list(range(len(vr)))).asnumpy()
            except (decord.DECORDError, RuntimeError) as e:
                raise DataError(f"undecodable video ({str(e).splitlines()[0][:120]})", path) from None
    return _read_imageio(path)


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
