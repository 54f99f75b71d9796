"""User-facing errors: one line that names the file and the problem, printed by the CLI without a traceback."""

from __future__ import annotations

import errno
from pathlib import Path


class GaitCraftError(ValueError):
    """A problem caused by user input (a file, a flag, a config). The CLI prints it as one line.

    A `ValueError`, so library callers can catch bad input the usual way."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DataError(GaitCraftError):
    """A data file or folder is missing, corrupt or of the wrong kind."""


class ConfigError(GaitCraftError):
    """A config file, a flag or a condition value is invalid."""


class CheckpointError(GaitCraftError):
    """A checkpoint is missing, corrupt, or was made by another config or architecture."""


RESUME_HINT = "free some space, then rerun the same command to resume (finished files are kept)"

# what the user should read for the machine faults a write can hit; other errnos use the system's wording
_OS_PROBLEMS = {
    errno.ENOSPC: f"no space left on device; {RESUME_HINT}",
    errno.EDQUOT: f"disk quota exceeded; {RESUME_HINT}",
    errno.EFBIG: "file too large for this file system",
    errno.EROFS: "read-only file system; choose a writable output folder",
    errno.EACCES: "permission denied (read-only or owned by another user)",
    errno.EPERM: "operation not permitted (read-only or owned by another user)",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a path component is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EIO: "input/output error (failing disk or network mount)",
}

# errnos that come from writing, where a fault without a file name is blamed on the output folder
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def os_problem(e: OSError) -> str:
    """What went wrong in an `OSError`, in words, without the path (and, for a full disk, how to resume)."""
    problem = _OS_PROBLEMS.get(e.errno) or e.strerror or str(e) or type(e).__name__
    return problem if e.filename2 is None else f"{problem} (with {e.filename2})"


def os_error_message(e: OSError, fallback_path: str | Path | None = None) -> str:
    """One line for an `OSError`: 'PATH: problem'. `fallback_path` names the place when the error carries no
    file name (a full disk hit by `write()` on an open file says nothing about which file)."""
    path = e.filename if e.filename is not None else fallback_path
    return f"{path}: {os_problem(e)}" if path is not None else os_problem(e)
