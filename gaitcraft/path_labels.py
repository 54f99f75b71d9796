"""Labels of a lone video or frame folder, read only from what its path states; the rest is 'unknown'.

A bare file such as `walk.mp4` says nothing about its subject, sequence type or view, so those labels are
reported as unknown instead of invented. CASIA-B's own names do carry them: videos `001-nm-01-090.avi`, frame
files `001-nm-01-090-001.png`, and frame folders at the end of an `<id>/<type>/<view>/` trail.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from gaitcraft.errors import DataError
from gaitcraft.factors import factors
from gaitcraft.types import SequenceLabels, parse_view
from gaitcraft.vocab import CASIA_B

#: The value of a label the path does not state.
UNKNOWN = "unknown"
#: The view of a sequence whose path states none.
UNKNOWN_VIEW = math.nan

_TYPE = r"[a-z]{2}-\d{2}"
_VIEW = r"\d{3}(?:\.\d+)?"
_CASIA_STEM = re.compile(rf"^(?P<subject>\d+)-(?P<type>{_TYPE})-(?P<view>{_VIEW})(?:-\d+)?$")


def labels_from_path(path: str | Path, source: str, first_frame: str | None = None) -> SequenceLabels:
    """Labels of the one sequence at `path` (a video file or a frame folder; `first_frame` is the name of the
    folder's first frame file). Whatever the path does not state is `UNKNOWN` (view: `UNKNOWN_VIEW`)."""
    path = Path(path)
    found = _from_name(path.stem if path.suffix else path.name)
    if found is None and first_frame is not None:
        found = _from_name(Path(first_frame).stem)
    if found is None and not path.suffix:
        found = _from_trail(path)
    if found is None:
        return SequenceLabels(UNKNOWN, UNKNOWN, UNKNOWN_VIEW, source=source, **_unknown_type_labels())
    subject, seq_type, view = found
    try:
        type_labels = CASIA_B.labels(seq_type)
    except DataError:
        type_labels = _unknown_type_labels()
    return SequenceLabels(subject, seq_type, view, source=source, **type_labels)


def _unknown_type_labels() -> dict[str, str]:
    """`UNKNOWN` for every label a sequence type names (the categorical factors: clothing, carry)."""
    return {f.label: UNKNOWN for f in factors("categorical")}


def _from_name(stem: str) -> tuple[str, str, float] | None:
    """(subject, type, view) from a CASIA-B style name '001-nm-01-090' (optionally '-NNN' frame number)."""
    m = _CASIA_STEM.match(stem)
    return (m["subject"], m["type"], parse_view(m["view"])) if m else None


def _from_trail(folder: Path) -> tuple[str, str, float] | None:
    """(subject, type, view) from a folder at the end of `<id>/<type>/<view>/`."""
    parts = folder.resolve().parts
    if len(parts) < 4 or not re.fullmatch(_VIEW, parts[-1]) or not re.fullmatch(_TYPE, parts[-2]):
        return None
    return parts[-3], parts[-2], parse_view(parts[-1])
