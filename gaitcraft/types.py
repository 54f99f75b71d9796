"""Core types: a silhouette sequence and its labels."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.factors import factor, factors


def view_name(view: float) -> str:
    """OpenGait folder name of a view: 90 -> '090', 45.5 -> '045.5'; NaN (a view nobody stated) -> 'unknown'."""
    v = float(view)
    if v != v:
        return "unknown"
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
    clothing:  a value of the `clothing` factor (`gaitcraft.factors`).
    carry:     a value of the `carry` factor.
    source:    dataset the sequence comes from ('casia-b', 'procedural', 'gaitcraft-diffusion', ...).
    provenance: for synthetic data: generator, checkpoint hash, seed, identity recipe.
    """

    subject: str
    seq_type: str
    view: float
    clothing: str = factor("clothing").default
    carry: str = factor("carry").default
    source: str = "unknown"
    elevation: float = 0.0
    provenance: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def view_name(self) -> str:
        """The OpenGait view folder name ('090')."""
        return view_name(self.view)

    def categorical_labels(self) -> dict[str, str]:
        """{factor name: label} of the categorical factors (clothing, carry, ...), in declaration order."""
        return {f.name: getattr(self, f.label) for f in factors("categorical")}

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
    """Check a `[t, h, w]` silhouette stack and return it as uint8 0/255 (see `read_silhouette_values`).

    Raises `DataError` naming `where` for wrong rank, zero frames, an unusable dtype or unusable values.
    """
    return read_silhouette_values(frames, where, threshold)[0]


def read_silhouette_values(frames: np.ndarray, where: str = "sequence", threshold: int = 127
                           ) -> tuple[np.ndarray, str | None]:
    """Read a `[t, h, w]` silhouette stack as uint8 0/255; returns (frames, how its values were read).

    The rule per dtype, so every consumer reads a file the same way:
    - bool, or integers already 0/255: binary as stored (how = None);
    - integers 0/1: masks, scaled to 0/255;
    - other integers in 0-255 (e.g. the grey edges of OpenGait's cubic resize): binary at `threshold`;
    - floats in 0-1: binary at 0.5; floats in 0-255 (any above 1): binary at `threshold`;
    - NaN, infinity, negative values, or values above 255 (above 1 is read as the 0-255 scale): `DataError`.
    `how` is a short phrase for reports ('grayscale 0-255, read as binary at 127'), None when nothing was
    converted.
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
        return frames.astype(np.uint8) * 255, None
    if frames.dtype.kind == "f":
        return _read_float(frames, where, threshold)
    if frames.dtype.kind not in "iu":
        raise DataError(f"silhouettes have dtype {frames.dtype}; expected uint8, bool or float", where)
    if frames.dtype != np.uint8:
        lo, hi = int(frames.min()), int(frames.max())
        if lo < 0 or hi > 255:
            raise DataError(f"{frames.dtype} silhouette values span {lo}..{hi}; expected 0-255 (or 0/1)", where)
        frames = frames.astype(np.uint8)
    if is_binary(frames):
        return frames, None
    if int(frames.max()) == 1:
        return frames * np.uint8(255), "0/1 masks, read as 0/255"
    return binarize_at(frames, threshold), f"grayscale 0-255, read as binary at {threshold}"


def _read_float(frames: np.ndarray, where: str, threshold: int) -> tuple[np.ndarray, str]:
    """Floats: scale 0-1 or 0-255 by the largest value; anything outside both is refused."""
    if not np.isfinite(frames).all():
        raise DataError(f"{frames.dtype} silhouettes hold NaN or infinite values", where)
    lo, hi = float(frames.min()), float(frames.max())
    if lo < 0:
        raise DataError(f"{frames.dtype} silhouettes hold negative values (min {lo:g}); expected 0-1 or 0-255", where)
    if hi > 255:
        raise DataError(f"{frames.dtype} silhouette values reach {hi:g}; expected 0-1 or 0-255", where)
    if hi <= 1.0:
        if np.all((frames == 0) | (frames == 1)):
            return frames.astype(np.uint8) * np.uint8(255), f"{frames.dtype} 0/1 masks, read as 0/255"
        return np.where(frames > 0.5, 255, 0).astype(np.uint8), f"{frames.dtype} 0-1, read as binary at 0.5"
    if np.all((frames == 0) | (frames == 255)):
        return frames.astype(np.uint8), f"{frames.dtype} 0/255 masks, read as uint8"
    return binarize_at(frames, threshold), f"{frames.dtype} 0-255, read as binary at {threshold}"


def binarize_at(frames: np.ndarray, threshold: int) -> np.ndarray:
    """0/255 uint8: 255 where `frames > threshold`."""
    return np.where(frames > threshold, 255, 0).astype(np.uint8)


def is_binary(frames: np.ndarray) -> bool:
    """True when every pixel is 0 or 255."""
    lo = frames == 0
    return bool(np.all(lo | (frames == 255)))
