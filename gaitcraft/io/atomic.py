"""Atomic file writes: write to a temp file in the same folder, fsync, then rename over the target.

A killed process therefore leaves either the old file or the new one, never a truncated one. A failed write
(full disk, read-only folder) removes its temp file and raises an `OSError` that names the target path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _file_mode() -> int:
    # mkstemp creates 0600 files; finished files get the mode a plain open() would give them
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def _naming_target(e: OSError, path: Path, tmp: str) -> OSError:
    """`e` with the target as its file name where it named none or only the temp file: `write()` on a full disk
    raises ENOSPC without a name, and the temp name means nothing to the user."""
    if e.filename is not None and e.filename != tmp:
        return e
    return OSError(e.errno, e.strerror, str(path))


@contextlib.contextmanager
def _temp_beside(path: Path, prefix: str, suffix: str) -> Iterator[tuple[int, str]]:
    """(fd, name) of a new temp file in `path`'s folder. When the block ends cleanly the file gets the usual
    mode and replaces `path`; on any error it is removed and an `OSError` names `path`, not the temp file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    except OSError as e:  # names a random temp file that was never made
        raise OSError(e.errno, e.strerror, str(path)) from e
    try:
        yield fd, tmp
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException as e:
        _remove(tmp)
        if isinstance(e, OSError) and _naming_target(e, path, tmp) is not e:
            raise _naming_target(e, path, tmp) from e
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temp file beside `path`; on clean exit it replaces `path` atomically, on error it is removed."""
    path = Path(path)
    with _temp_beside(path, f".{path.name}.", ".tmp") as (fd, _), os.fdopen(fd, mode) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save(path: str | Path, writer, suffix: str | None = None) -> None:
    """Call `writer(tmp_path)` to produce a file, then rename it over `path`.

    For libraries that insist on writing to a path themselves (imageio, trimesh, safetensors).
    `suffix` keeps the extension those libraries use to pick a format (defaults to the target's).
    """
    path = Path(path)
    with _temp_beside(path, f".{path.stem}.", suffix or path.suffix) as (fd, tmp):
        os.close(fd)
        writer(tmp)


def _remove(tmp: str) -> None:
    # best effort: the temp file may already be gone, and a failed cleanup must not hide the write's own error
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def remove_stale_temps(root: str | Path) -> int:
    """Delete the temp files (`.<name>.<random>.tmp`) that `atomic_open` writers killed mid-write left under
    `root`; in an OpenGait view folder they would be loaded as a modality. Call only while no process writes
    there. Returns how many were removed."""
    n = 0
    for f in Path(root).rglob(".*.tmp"):
        if f.is_file():
            f.unlink(missing_ok=True)
            n += 1
    return n
