"""The manifest of a tree that `gaitcraft extract` writes: `manifest.jsonl`, one row per sequence (its labels, and
in `labels.provenance` the source video, the segmenter, frame counts and a finding when frames were lost).

Each sequence's row is written on its own, atomically, right after its silhouettes
(`TREE/.extract/rows/<id>/<type>__<view>.json`; the hidden folder is skipped by dataset scanners); a sequence
is done when both exist, so a run killed between the two redoes that one sequence. Every run ends by assembling
`manifest.jsonl` from the rows, sorted, so a resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from eval.audit.extract import Extraction
from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.io.manifest import manifest_row, write_manifest
from gaitcraft.types import SequenceLabels

META = ".extract"
GENERATOR = "gaitcraft extract"


def row_path(root: Path, key: tuple[str, str, str]) -> Path:
    """`ROOT/.extract/rows/<id>/<type>__<view>.json`: one sequence's manifest row."""
    return Path(root) / META / "rows" / key[0] / f"{key[1]}__{key[2]}.json"


def sequence_pkl(root: Path, key: tuple[str, str, str]) -> Path:
    """`ROOT/<id>/<type>/<view>/<view>.pkl`."""
    return Path(root, *key) / f"{key[2]}.pkl"


def is_done(root: Path, key: tuple[str, str, str]) -> bool:
    """A sequence is finished when its silhouettes and its row both exist (the row is written second)."""
    return sequence_pkl(root, key).is_file() and row_path(root, key).is_file()


def finding(sil: Extraction, edge_dropped: bool = False) -> str | None:
    """One sentence on frames the extraction lost or doubts (`edge_dropped`: the frames touching the frame edge
    were left out), or None when every frame gave a clean silhouette."""
    c = sil.counts()
    parts = []
    if c["empty"]:
        parts.append(f"{c['empty']} gave no silhouette")
    if c["dropped"]:
        parts.append(f"{c['dropped']} were refused by the pretreatment")
    if c["edge"]:
        parts.append(f"{c['edge']} touch the frame edge (body possibly cut"
                     + ("; left out)" if edge_dropped else ")"))
    return f"of {c['frames']} frames, " + "; ".join(parts) if parts else None


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (identifies the source video whatever it is renamed to)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sequence_labels(labels: SequenceLabels, video: Path, root: Path, sil: Extraction,
                    edge_dropped: bool = False) -> SequenceLabels:
    """`labels` with the provenance of one extracted sequence: the source video (path under the input folder,
    SHA-256), the segmenter, frame counts (in, kept, per flag), whether frames at the frame edge were kept, and
    the finding, if any."""
    rel = video.relative_to(root) if root.is_dir() else Path(video.name)
    c = sil.counts()
    prov = {"generator": GENERATOR, "video": rel.as_posix(), "video_sha256": file_sha256(video),
            "segmenter": sil.extractor, "frames_in": c["frames"], "frames_kept": c["kept"],
            "flagged": {k: c[k] for k in ("empty", "edge", "dropped")},
            "edge_frames": "left out" if edge_dropped else "kept"}
    note = finding(sil, edge_dropped)
    if note is not None:
        prov["finding"] = note
    return replace(labels, provenance=prov)


def write_row(root: Path, labels: SequenceLabels, n_frames: int) -> None:
    """Write one sequence's row, atomically (after its silhouettes)."""
    atomic_write_text(row_path(root, labels.key), manifest_row(labels, n_frames) + "\n")


def assemble_manifest(root: str | Path) -> int:
    """Write `ROOT/manifest.jsonl` from every finished sequence's row (rows whose silhouettes are gone are left
    out); returns the number of rows. Nothing is written when no row exists."""
    root = Path(root)
    base = root / META / "rows"
    rows = []
    for f in sorted(base.glob("*/*.json")) if base.is_dir() else []:
        text = f.read_text().strip()
        try:
            key = tuple(json.loads(text)["path"].split("/"))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise DataError(f"bad manifest row ({type(e).__name__}: {e}); delete it to redo the sequence", f) from None
        if sequence_pkl(root, key).is_file():
            rows.append(text)
    if rows:
        write_manifest(root, rows)
    return len(rows)
