"""Core types: a silhouette sequence and its labels."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaitcraft.errors import DataError


def view_name(view: float) -> str:
    """OpenGait folder name of a view: 90 -> '090', 45.5 -> '045.5'."""
    v = float(view)
    if v.is_integer():
        return f"{int(v):03d}"
    whole, frac = f"{v:.3f}".rstrip("0").split(".")
    return f"{int(whole):03d}.{frac}"


def parse_view(name: str) -> float:
    """Inverse of `view_name`; also accepts OU-MVLP style '000_00' (the first number)."""
    try:
        return float(name.split("_")[0])
    except ValueError:
        raise DataError(f"view folder name {name!r} is not a number of degrees") from None


@dataclass(frozen=True)
class SequenceLabels:
    """Labels of one silhouette sequence.

    subject:   subject id as its folder name ('001').
    seq_type:  sequence type as its folder name (CASIA-B 'nm-01', OU-MVLP '00').
    view:      camera azimuth in degrees (0 = walking toward the camera, 90 = side, 180 = away).
    clothing:  a `CLOTHING` value.
    carry:     a `CARRY` value.
    source:    dataset the sequence comes from ('casia-b', 'procedural', 'gaitcraft-diffusion', ...).
    provenance: for synthetic data: generator, checkpoint hash, seed, identity recipe.
    """

    subject: str
    seq_type: str
    view: float
    clothing: str = "normal"
    carry: str = "none"
    source: str = "unknown"
    elevation: float = 0.0
    provenance: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def view_name(self) -> str:
        """The OpenGait view folder name ('090')."""
        return view_name(self.view)

    @property
    def key(self) -> tuple[str, str, str]:
        """(subject, type, view folder): unique within a dataset."""
        return (self.subject, self.seq_type, self.view_name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (manifest row)."""
        d = dataclasses.asdict(self)
        if d["provenance"] is None:
            del d["provenance"]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SequenceLabels:
        """Inverse of `to_json`; unknown keys are an error, not silently dropped."""
        names = {f.name for f in dataclasses.fields(cls)}
        extra = set(d) - names
        if extra:
            raise DataError(f"unknown label keys {sorted(extra)}; valid keys are {sorted(names)}")
        return cls(**{**d, "view": float(d["view"])})


@dataclass
class Sequence:
    """A silhouette sequence: `frames` is `[t, h, w]` uint8 with values 0/255."""

    frames: np.ndarray
    labels: SequenceLabels

    def __post_init__(self) -> None:
        self.frames = validate_silhouettes(self.frames, where=str(self.labels.key))

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def validate_silhouettes(frames: np.ndarray, where: str = "sequence", threshold: int = 127) -> np.ndarray:
    """Check a `[t, h, w]` silhouette stack and return it as uint8 0/255.

    Raises `DataError` naming `where` for wrong rank, zero frames or a non-integer dtype.
    Non-binary grayscale is thresholded at `threshold` (callers that need to report it use `is_binary`).
    """
    if not isinstance(frames, np.ndarray):
        raise DataError(f"expected a numpy array of silhouettes, got {type(frames).__name__}", where)
    if frames.ndim == 4 and frames.shape[-1] in (3, 4):
        raise DataError(f"RGB frames {frames.shape} where silhouettes [t, h, w] are expected", where)
    if frames.ndim != 3:
        raise DataError(f"expected silhouettes of shape [t, h, w], got shape {frames.shape}", where)
    if frames.shape[0] == 0:
        raise DataError("zero-frame sequence", where)
    if frames.dtype == np.bool_:
        return frames.astype(np.uint8) * 255
    if frames.dtype.kind == "f":
        if frames.size and float(frames.max()) <= 1.0:
            frames = frames * 255.0
        frames = np.clip(np.rint(frames), 0, 255).astype(np.uint8)
    elif frames.dtype != np.uint8:
        if frames.dtype.kind not in "iu":
            raise DataError(f"silhouettes have dtype {frames.dtype}; expected uint8", where)
        frames = np.clip(frames, 0, 255).astype(np.uint8)
    if is_binary(frames):
        return frames
    return np.where(frames > threshold, 255, 0).astype(np.uint8)


def is_binary(frames: np.ndarray) -> bool:
    """True when every pixel is 0 or 255."""
    lo = frames == 0
    return bool(np.all(lo | (frames == 255)))
