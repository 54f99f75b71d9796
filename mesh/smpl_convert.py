"""Convert an official SMPL `.pkl` to a plain `.npz`, without chumpy and without running pickled code.

Official SMPL pickles (Python 2, latin-1) hold chumpy `Ch` objects and a scipy sparse `J_regressor`. chumpy is
broken on Python >= 3.11, and `pickle.load` on a downloaded file can execute arbitrary code. So the file is read
with a restricted unpickler: it resolves only numpy array reconstruction, scipy sparse matrices (rebuilt from
their raw arrays, never through scipy's own unpickling) and chumpy classes (mapped to a stub that keeps only the
stored array). Any other global - `os.system`, `builtins.eval`, ... - is refused before anything runs.

Command: `gaitcraft mesh convert-smpl --input SMPL_NEUTRAL.pkl --out smpl_neutral.npz`
"""

from __future__ import annotations

import _codecs
import io
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_save
from mesh.body_model import SMPL_KEYS

try:  # numpy >= 2 moved the array-reconstruction helpers to numpy._core
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct, scalar


class _ChumpyStub:
    """Stands in for any chumpy class; keeps the pickled state so the stored array can be taken out."""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state) -> None:
        self.state = state


class _SparseStub:
    """Stands in for a scipy sparse matrix class; rebuilt from its raw arrays after loading."""

    fmt = ""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state) -> None:
        self.state = state


class _CscStub(_SparseStub):
    fmt = "csc"


class _CsrStub(_SparseStub):
    fmt = "csr"


def _safe_reconstructor(cls, base, state):
    """`copy_reg._reconstructor` limited to the stub classes (protocol 0/1 pickles of chumpy objects)."""
    if isinstance(cls, type) and issubclass(cls, _ChumpyStub | _SparseStub) and base is object:
        return cls()
    raise pickle.UnpicklingError(f"refused to reconstruct {getattr(cls, '__name__', cls)!r}")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): scalar,
    ("numpy._core.multiarray", "scalar"): scalar,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("copy_reg", "_reconstructor"): _safe_reconstructor,
    ("copyreg", "_reconstructor"): _safe_reconstructor,
    # Python 3 writes bytes as _codecs.encode(text, 'latin1') in protocols < 3 (a pure function)
    ("_codecs", "encode"): _codecs.encode,
    # chumpy objects keep bookkeeping sets in their state; plain containers are harmless
    ("__builtin__", "set"): set,
    ("builtins", "set"): set,
    ("__builtin__", "frozenset"): frozenset,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "object"): object,
    ("builtins", "object"): object,
}


class SafeSmplUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy arrays, scipy CSC/CSR matrices and chumpy objects (as stubs)."""

    def find_class(self, module: str, name: str):
        """Return an allowed global; refuse everything else (this is what keeps code from running)."""
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "chumpy" or module.startswith("chumpy."):
            return _ChumpyStub
        if module.startswith("scipy.sparse") and name in ("csc_matrix", "csr_matrix"):
            return _CscStub if name == "csc_matrix" else _CsrStub
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def _to_array(value, key: str, path: Path):
    """Turn stubs into arrays; leave arrays, strings and numbers alone."""
    if isinstance(value, _ChumpyStub):
        state = value.state if isinstance(value.state, dict) else {}
        if "x" not in state:
            raise DataError(f"chumpy object under key {key!r} holds no plain array (state keys "
                            f"{sorted(state)}); re-export it from a chumpy-capable Python", path)
        return np.asarray(state["x"])
    if isinstance(value, _SparseStub):
        st = value.state if isinstance(value.state, dict) else {}
        shape = st.get("_shape", st.get("shape"))
        if not all(k in st for k in ("data", "indices", "indptr")) or shape is None:
            raise DataError(f"sparse matrix under key {key!r} is missing its arrays", path)
        cls = sp.csc_matrix if value.fmt == "csc" else sp.csr_matrix
        return cls((st["data"], st["indices"], st["indptr"]), shape=tuple(shape)).toarray()
    return value


def read_smpl_pkl(path: str | Path) -> dict[str, np.ndarray]:
    """Read an official SMPL `.pkl` safely; return the `SMPL_KEYS` arrays (float64 / int64)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read SMPL pickle ({e.strerror})", path) from None
    try:
        obj = SafeSmplUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except pickle.UnpicklingError as e:
        raise DataError(f"not a plain SMPL model pickle: {e}", path) from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise DataError(f"corrupt SMPL pickle ({type(e).__name__}: {e})", path) from None
    if not isinstance(obj, dict):
        raise DataError(f"SMPL pickle holds a {type(obj).__name__}, expected a dict", path)
    missing = [k for k in SMPL_KEYS if k not in obj]
    if missing:
        raise DataError(f"SMPL pickle is missing key(s) {', '.join(missing)}", path)
    out = {}
    for key in SMPL_KEYS:
        arr = np.asarray(_to_array(obj[key], key, path))
        if arr.dtype == object:
            raise DataError(f"SMPL key {key!r} is not numeric", path)
        out[key] = arr.astype(np.int64) if key in ("kintree_table", "f") else arr.astype(np.float64)
    return out


def convert_smpl(pkl_path: str | Path, npz_path: str | Path) -> Path:
    """Convert an official SMPL `.pkl` to an `.npz` that `mesh.body_model.SmplBody` loads; returns the path."""
    data = read_smpl_pkl(pkl_path)
    npz_path = Path(npz_path)
    atomic_save(npz_path, lambda tmp: np.savez(tmp, **data), suffix=".npz")
    return npz_path

