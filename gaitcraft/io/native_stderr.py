"""Filter what native libraries (decord's C++ logger, warp's CUDA probe) print straight to file descriptor 2,
which Python's `sys.stderr` and `warnings` filters never see."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def filtered_native_stderr(keep: Callable[[str], bool]) -> Iterator[None]:
    """Inside the block, fd 2 goes to a temp file; afterwards (also on error) the lines for which `keep(line)` is
    true are written to `sys.stderr`, the rest are dropped. Not for blocks that run beside other threads that
    write to stderr: their output would be held back until the block ends."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (a detached daemon): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if keep(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
