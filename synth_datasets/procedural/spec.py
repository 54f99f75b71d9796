"""The procedural dataset's spec: which subjects, sequence types, views and frame counts to render."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from gaitcraft.errors import ConfigError
from mesh.segmentation_noise import NOISE_MODES
from mesh.subjects import DEFAULT_WALKER, check_walker
from mesh.view_convention import SPEC_FILE
from synth_datasets.grid import parse_types, parse_views


@dataclass(frozen=True)
class ProceduralSpec:
    """Everything that determines a procedural dataset; two runs with equal specs write identical files."""

    subjects: int = 50
    types: tuple[str, ...] = field(default_factory=lambda: tuple(parse_types("nm:6,bg:2,cl:2")))
    views: tuple[float, ...] = field(default_factory=lambda: tuple(parse_views("0:180:18")))
    frames_min: int = 60
    frames_max: int = 90
    elevation: float = 0.0
    seed: int = 0
    train_subjects: int | None = None  # partition: first N train, rest test (default 60 %)
    noise: str = "clean"  # segmentation noise: "real" (calibrated background-subtraction defects) or "clean"
    walker: str = DEFAULT_WALKER  # walker version ('v1' rebuilds datasets made before versions existed)

    def __post_init__(self) -> None:
        check_walker(self.walker)
        if self.subjects < 1:
            raise ConfigError(f"--subjects must be at least 1, got {self.subjects}")
        if not 1 <= self.frames_min <= self.frames_max <= 1000:
            raise ConfigError(f"frames per sequence must satisfy 1 <= min <= max <= 1000, got {self.frames_min}..{self.frames_max}")
        if self.noise not in NOISE_MODES:
            raise ConfigError(f"--noise must be one of {', '.join(NOISE_MODES)}, got {self.noise!r}")

    def to_json(self) -> dict:
        """JSON-ready dict (stored in the dataset as `dataset_spec.json`)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict) -> ProceduralSpec:
        """Inverse of `to_json`; unknown keys are an error. A spec without a walker was written before walker
        versions existed, so it is a 'v1' spec."""
        names = {f.name for f in dataclasses.fields(cls)}
        extra = set(d) - names
        if extra:
            raise ConfigError(f"unknown spec keys {sorted(extra)}; valid: {sorted(names)}")
        d = {"walker": "v1", **d}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    @property
    def subject_ids(self) -> list[str]:
        """'001', '002', ... (three digits, CASIA-B style)."""
        return [f"{i:03d}" for i in range(1, self.subjects + 1)]

    @property
    def partition(self) -> tuple[list[str], list[str]]:
        """(train ids, test ids): the first `train_subjects` (default 60 %) train, the rest test."""
        ids = self.subject_ids
        n = self.train_subjects if self.train_subjects is not None else max(1, round(0.6 * len(ids)))
        return ids[:n], ids[n:]


def check_output_spec(root: Path, spec: ProceduralSpec) -> bool:
    """True if `root` already holds this spec's dataset (resume); False if new/empty; ConfigError if it holds
    a different dataset."""
    path = root / SPEC_FILE
    if not path.exists():
        if root.exists() and any(p.name != ".gitkeep" for p in root.iterdir()):
            raise ConfigError("output folder is not empty and holds no GaitCraft procedural dataset; "
                              "choose another --out", root)
        return False
    try:
        old = ProceduralSpec.from_json(json.loads(path.read_text())).to_json()
    except json.JSONDecodeError as e:
        raise ConfigError(f"unreadable spec file ({e})", path) from None
    old.setdefault("noise", "clean")  # written before segmentation noise existed: those renders were clean
    if old != spec.to_json():
        diff = sorted(k for k in set(old) | set(spec.to_json()) if old.get(k) != spec.to_json().get(k))
        raise ConfigError(f"output folder holds a different dataset (spec differs in {diff}); "
                          "use another --out or the same options to resume", root)
    return True
