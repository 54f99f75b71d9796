"""A restricted unpickler for OpenGait `.pkl` files: it rebuilds numpy arrays and nothing else.

Plain `pickle.load` on an untrusted file runs whatever code the file names. This unpickler only resolves
the few numpy globals an ndarray pickle needs, so a crafted file fails before any payload can run.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from gaitcraft.errors import DataError

# The globals numpy 1.x / 2.x emit when pickling an ndarray (protocols 2-5).
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _Refused(pickle.UnpicklingError):
    """The pickle names a global outside the allow-list."""


_RESOLVED: dict[tuple[str, str], object] = {}  # allowed globals, resolved once per process


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        key = (module, name)
        found = _RESOLVED.get(key)
        if found is not None:
            return found
        if key in _ALLOWED:
            found = _RESOLVED[key] = super().find_class(module, name)
            return found
        raise _Refused(f"refused global {module}.{name} (only numpy arrays are allowed)")


def load_array_pickle(path: str | Path) -> np.ndarray:
    """Load a pickled numpy array safely; anything else raises `DataError` naming the file."""
    try:
        with open(path, "rb") as fh:
            return _load(fh, path)
    except FileNotFoundError:
        raise DataError("file does not exist", path) from None
    except IsADirectoryError:
        raise DataError("expected a .pkl file, found a folder", path) from None
    except PermissionError as e:
        raise DataError(f"cannot read file ({e.strerror})", path) from None


def loads_array_pickle(data: bytes, where: str | Path = "<bytes>") -> np.ndarray:
    """`load_array_pickle` for bytes already in memory."""
    return _load(io.BytesIO(data), where)


def _load(fh, where) -> np.ndarray:
    try:
        obj = _ArrayUnpickler(fh).load()
    except _Refused as e:
        raise DataError(f"not a plain numpy array pickle: {e}", where) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as e:
        raise DataError(f"corrupt or truncated pickle ({type(e).__name__}: {e})", where) from None
    if not isinstance(obj, np.ndarray):
        raise DataError(f"pickle holds a {type(obj).__name__}, not a numpy array", where)
    return obj


def dumps_array(arr: np.ndarray) -> bytes:
    """Pickle an array the way OpenGait's pretreatment does (default protocol)."""
    return pickle.dumps(np.ascontiguousarray(arr))
