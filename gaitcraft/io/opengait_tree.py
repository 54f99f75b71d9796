"""The OpenGait on-disk layout `ROOT/<id>/<type>/<view>/<view>.pkl` plus its partition JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_bytes, atomic_write_text
from gaitcraft.io.safe_pickle import dumps_array, load_array_pickle
from gaitcraft.types import SequenceLabels


@dataclass(frozen=True)
class TreeEntry:
    """One `<id>/<type>/<view>/` folder found by a scan: its labels' keys and files."""

    subject: str
    seq_type: str
    view: str
    folder: Path
    files: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """A problem found in a tree: the path and what is wrong with it."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


#: Root folders GaitCraft writes beside the subjects (OpenGait ignores them: they are not in the partition).
SIDECAR_DIRS = frozenset({"groundtruth", "previews", "reports"})


def _subdirs(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return sorted((e for e in it if e.is_dir() and not e.name.startswith(".")), key=lambda e: e.name)


def scan_tree(root: str | Path, exts: tuple[str, ...] = (".pkl",)) -> tuple[list[TreeEntry], list[Problem]]:
    """Walk a 3-level `<id>/<type>/<view>/` tree without opening any data file.

    Returns the view folders holding files with `exts`, and structural problems (empty folders, stray files in
    view folders, which OpenGait's loader would choke on).
    """
    root = Path(root)
    if not root.exists():
        raise DataError("path does not exist", root)
    if not root.is_dir():
        raise DataError("expected a dataset folder", root)
    entries, problems = [], []
    for sid in _subdirs(str(root)):
        if sid.name in SIDECAR_DIRS:
            continue
        types = _subdirs(sid.path)
        if not types:
            problems.append(Problem(sid.path, "empty subject folder"))
        for st in types:
            views = _subdirs(st.path)
            if not views:
                problems.append(Problem(st.path, "empty sequence-type folder"))
            for vw in views:
                with os.scandir(vw.path) as it:
                    names = sorted(e.name for e in it if e.is_file() and not e.name.startswith("."))
                good = tuple(n for n in names if n.lower().endswith(exts))
                stray = [n for n in names if not n.lower().endswith(exts)]
                if stray and exts == (".pkl",):
                    problems.append(Problem(vw.path, f"non-.pkl files in a view folder (OpenGait loads every file there): {stray[:3]}"))
                if not good:
                    problems.append(Problem(vw.path, f"empty view folder (no {'/'.join(exts)} files)"))
                    continue
                entries.append(TreeEntry(sid.name, st.name, vw.name, Path(vw.path), good))
    return entries, problems


def sequence_folder(root: str | Path, labels: SequenceLabels) -> Path:
    """`ROOT/<id>/<type>/<view>/` for these labels."""
    return Path(root, *labels.key)


def write_opengait_sequence(root: str | Path, labels: SequenceLabels, frames: np.ndarray) -> Path:
    """Write `[t, 64, 64]` uint8 frames as `ROOT/<id>/<type>/<view>/<view>.pkl`, atomically; returns the path."""
    if frames.ndim != 3 or frames.dtype != np.uint8:
        raise DataError(f"OpenGait pkl needs uint8 [t, h, w], got {frames.dtype} {frames.shape}", str(labels.key))
    path = sequence_folder(root, labels) / f"{labels.view_name}.pkl"
    atomic_write_bytes(path, dumps_array(frames))
    return path


def read_opengait_sequence(path: str | Path) -> np.ndarray:
    """Read one OpenGait `.pkl` through the restricted unpickler; returns the stored array."""
    arr = load_array_pickle(path)
    if arr.ndim != 3:
        raise DataError(f"expected a [t, h, w] silhouette array, got shape {arr.shape}", path)
    if arr.shape[0] == 0:
        raise DataError("zero-frame sequence", path)
    return arr


def write_partition(path: str | Path, train: list[str], test: list[str]) -> None:
    """OpenGait partition JSON `{"TRAIN_SET": [...], "TEST_SET": [...]}`, atomically."""
    atomic_write_text(path, json.dumps({"TRAIN_SET": sorted(train), "TEST_SET": sorted(test)}, indent=1))


def read_partition(path: str | Path) -> tuple[list[str], list[str]]:
    """Read an OpenGait partition JSON; returns (train ids, test ids)."""
    path = Path(path)
    try:
        d = json.loads(path.read_text())
        return [str(s) for s in d["TRAIN_SET"]], [str(s) for s in d["TEST_SET"]]
    except FileNotFoundError:
        raise DataError("partition file does not exist", path) from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise DataError(f"not an OpenGait partition JSON ({type(e).__name__}: {e})", path) from None
