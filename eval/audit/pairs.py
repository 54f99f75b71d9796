"""The pairs manifest of an audit: CSV (with a header) or JSONL, one (reference, generated) pair per row.

Columns: `reference`, `generated` (paths: video, folder of frames, OpenGait `.pkl` or `.npy`),
`motion_id`, `appearance_id` (gallery subject ids; equal = restoration, different = identity transfer),
and optional `view` (degrees), `background` (a clip or image of the empty scene, for background subtraction)
and `pair_id`. Relative paths are relative to the manifest's folder. Unknown columns are an error.
Rows are numbered from 1 (the first data row); every error names the row.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from gaitcraft.errors import DataError

REQUIRED = ("reference", "generated", "motion_id", "appearance_id")
OPTIONAL = ("view", "background", "pair_id")


@dataclass(frozen=True)
class PairRow:
    """One audited pair. `row` is the 1-based data row of the manifest."""

    row: int
    pair_id: str
    reference: Path
    generated: Path
    motion_id: str
    appearance_id: str
    view: float | None = None
    background: Path | None = None

    @property
    def task(self) -> str:
        """'restoration' when motion and appearance come from one identity, else 'transfer'."""
        return "restoration" if self.motion_id == self.appearance_id else "transfer"

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"row": self.row, "pair_id": self.pair_id, "task": self.task, "reference": str(self.reference),
                "generated": str(self.generated), "motion_id": self.motion_id,
                "appearance_id": self.appearance_id, "view": self.view,
                "background": None if self.background is None else str(self.background)}


def read_pairs(path: str | Path, check_files: bool = True) -> list[PairRow]:
    """Parse a pairs manifest (`.csv` or `.jsonl`); `DataError` names the file and row of any problem."""
    path = Path(path)
    if not path.is_file():
        raise DataError("pairs file does not exist", path)
    raw = _read_jsonl(path) if path.suffix.lower() in (".jsonl", ".json") else _read_csv(path)
    if not raw:
        raise DataError("pairs file has no rows", path)
    rows = [_parse_row(i, rec, path, check_files) for i, rec in enumerate(raw, start=1)]
    seen: dict[str, int] = {}
    for r in rows:
        if r.pair_id in seen:
            raise DataError(f"row {r.row}: pair_id {r.pair_id!r} repeats row {seen[r.pair_id]}", path)
        seen[r.pair_id] = r.row
    return rows


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise DataError("empty CSV: expected a header row", path)
        missing = [c for c in REQUIRED if c not in reader.fieldnames]
        if missing:
            raise DataError(f"CSV header lacks column(s) {missing}; required: {list(REQUIRED)}", path)
        out = []
        for i, rec in enumerate(reader, start=1):
            if None in rec:  # more cells than header columns
                raise DataError(f"row {i}: {len(rec[None])} more cell(s) than header columns", path)
            out.append({k: v for k, v in rec.items() if v not in (None, "")})
        return out


def _read_jsonl(path: Path) -> list[dict]:
    out = []
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for i, line in enumerate(lines, start=1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"row {i}: not valid JSON ({e.msg})", path) from None
        if not isinstance(rec, dict):
            raise DataError(f"row {i}: expected a JSON object, got {type(rec).__name__}", path)
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


def _parse_row(i: int, rec: dict, path: Path, check_files: bool) -> PairRow:
    unknown = sorted(set(rec) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise DataError(f"row {i}: unknown column(s) {unknown}; valid: {list(REQUIRED + OPTIONAL)}", path)
    missing = [c for c in REQUIRED if not str(rec.get(c, "")).strip()]
    if missing:
        raise DataError(f"row {i}: missing value(s) for {missing}", path)
    files = {}
    for col in ("reference", "generated", "background"):
        if col in rec:
            p = Path(str(rec[col]))
            p = p if p.is_absolute() else path.parent / p
            if check_files and not p.exists():
                raise DataError(f"row {i}: {col} file {p} does not exist", path)
            files[col] = p
    view = None
    if "view" in rec:
        try:
            view = float(rec["view"])
        except (TypeError, ValueError):
            raise DataError(f"row {i}: view {rec['view']!r} is not a number of degrees", path) from None
    return PairRow(i, str(rec.get("pair_id", f"{i:04d}")), files["reference"], files["generated"],
                   str(rec["motion_id"]).strip(), str(rec["appearance_id"]).strip(), view, files.get("background"))
