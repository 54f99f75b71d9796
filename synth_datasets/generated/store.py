"""The output folder of a generation: the stored spec, per-sequence manifest sidecar rows, the recorded
results of the quality checks (privacy audit, curation) and the exclusions they decided.

Sidecars live in `ROOT/.synth/` (never in view folders, so OpenGait's loader is not disturbed; OpenGait ignores
root entries that are not subjects of the partition). Each shard writes only its own sequences' pkl and row
files, so shards never write the same file; the manifest is assembled from the rows afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.io.manifest import manifest_row
from gaitcraft.types import SequenceLabels

META = ".synth"  # hidden: dataset scanners skip it; OpenGait ignores non-subject root entries
SPEC = "spec.json"
EXCLUDED = "excluded.json"
PRIVACY = "privacy.json"
CURATION = "curation.json"
TRAINING_DATA = "training_data.json"  # the generator's training-data record, copied from its model folder


def pkl_path(root: Path, key: tuple[str, str, str]) -> Path:
    """`ROOT/<id>/<type>/<view>/<view>.pkl`."""
    return Path(root, *key) / f"{key[2]}.pkl"


def row_path(root: Path, key: tuple[str, str, str]) -> Path:
    """`ROOT/.synth/rows/<id>/<type>__<view>.json`: the sequence's manifest row."""
    return Path(root) / META / "rows" / key[0] / f"{key[1]}__{key[2]}.json"


def is_done(root: Path, key: tuple[str, str, str]) -> bool:
    """A sequence is finished when its pkl and its row both exist (the row is written after the pkl)."""
    return pkl_path(root, key).is_file() and row_path(root, key).is_file()


def write_row(root: Path, labels: SequenceLabels, n_frames: int) -> None:
    """Write the sequence's manifest row, atomically (after its pkl)."""
    atomic_write_text(row_path(root, labels.key), manifest_row(labels, n_frames) + "\n")


def read_rows(root: Path) -> dict[tuple[str, str, str], str]:
    """Every finished sequence's manifest row, keyed by sequence key (rows whose pkl is missing are skipped)."""
    out = {}
    base = Path(root) / META / "rows"
    for f in sorted(base.glob("*/*.json")) if base.is_dir() else []:
        text = f.read_text().strip()
        key = tuple(json.loads(text)["path"].split("/"))
        if pkl_path(root, key).is_file():
            out[key] = text
    return out


def finished_index(root: Path) -> DatasetIndex:
    """The finished generated sequences of `root` (those with a manifest row), as an index."""
    keys = set(read_rows(root))
    index = DatasetIndex.open(root, kind="opengait")
    return index.subset([i for i, r in enumerate(index.records) if r.labels.key in keys])


def check_output(root: Path, record: dict[str, Any]) -> bool:
    """Prepare `root` for the spec `record`: True when it already holds the same spec (resume), False when it
    is new or empty (the spec is stored). A folder with another spec or foreign content is refused."""
    root = Path(root)
    path = root / META / SPEC
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"unreadable stored spec ({e})", path) from None
        if old != record:
            diff = _diff(old, record)
            raise ConfigError(f"output folder holds a different synthetic dataset (differs in {diff}); use another "
                              "--out, or the same spec and model to resume", root)
        return True
    if root.exists() and any(root.iterdir()):
        raise ConfigError("output folder is not empty and holds no GaitCraft synthetic dataset; choose another "
                          "--out", root)
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))
    return False


def _diff(old: dict, new: dict) -> list[str]:
    """Names of the differing spec keys (and 'model_sha256' when the model differs)."""
    a, b = old.get("spec", {}), new.get("spec", {})
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return keys + (["model_sha256"] if old.get("model_sha256") != new.get("model_sha256") else [])


def read_excluded(root: Path) -> dict[str, str]:
    """Subjects ('syn0001') or sequences ('syn0001/nm-01/090') dropped by the privacy audit or curation:
    {name: reason} (empty when none)."""
    path = Path(root) / META / EXCLUDED
    return json.loads(path.read_text()) if path.is_file() else {}


def write_excluded(root: Path, excluded: dict[str, str]) -> None:
    """Record dropped subjects (atomically); later runs skip them and the manifest leaves them out."""
    atomic_write_text(Path(root) / META / EXCLUDED, json.dumps(excluded, indent=1, sort_keys=True))


def is_excluded(excluded: dict[str, str], key: tuple[str, str, str]) -> bool:
    """Whether a sequence is dropped, as a sequence or through its subject."""
    return key[0] in excluded or "/".join(key) in excluded


def checks_recorded(root: Path) -> bool:
    """Whether a run already recorded check results here (a rerun must not audit the already-pruned set again)."""
    meta = Path(root) / META
    return (meta / PRIVACY).is_file() or (meta / CURATION).is_file()


def record_checks(root: Path, excluded: dict[str, str], results: dict[str, Any]) -> None:
    """Store the check results ('privacy', 'curation'; each optional) and the exclusions they decided."""
    meta = Path(root) / META
    write_excluded(root, excluded)
    for name, file in (("privacy", PRIVACY), ("curation", CURATION)):
        if name in results:
            atomic_write_text(meta / file, json.dumps(results[name], indent=1, default=str))


def read_checks(root: Path) -> dict[str, Any]:
    """The recorded check results: {'privacy': ..., 'curation': ...}, each present only when it ran."""
    meta = Path(root) / META
    return {name: json.loads((meta / file).read_text()) for name, file in (("privacy", PRIVACY), ("curation", CURATION))
            if (meta / file).is_file()}


def record_training_data(root: Path, record: dict[str, Any] | None) -> None:
    """Store the generator's training-data record (`gaitcraft.training_data`) for the card; None (the model has
    none) removes a stale one."""
    path = Path(root) / META / TRAINING_DATA
    if record is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))


def read_training_data_copy(root: Path) -> dict[str, Any] | None:
    """The generator's training-data record stored by `record_training_data`, or None."""
    path = Path(root) / META / TRAINING_DATA
    return json.loads(path.read_text()) if path.is_file() else None
