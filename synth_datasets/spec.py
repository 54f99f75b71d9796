"""The procedural dataset's spec: which subjects, sequence types, views and frame counts to render."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from gaitcraft.errors import ConfigError

#: Sequence-type prefixes the walker can render (CASIA-B naming).
TYPE_PREFIXES = ("nm", "bg", "cl")
#: Walker versions, oldest first: 'v1' is the first walker (kept so its datasets can be rebuilt byte for byte),
#: 'v2' is calibrated on real CASIA-B silhouettes.
WALKERS = ("v1", "v2")
DEFAULT_WALKER = "v2"


def check_walker(walker: str) -> str:
    """`walker` if it is a known walker version, else a ConfigError listing them."""
    if walker not in WALKERS:
        raise ConfigError(f"unknown walker {walker!r}; valid: {', '.join(WALKERS)}")
    return walker


def parse_types(text: str) -> list[str]:
    """'nm:6,bg:2,cl:2' -> ['nm-01', ..., 'nm-06', 'bg-01', 'bg-02', 'cl-01', 'cl-02']."""
    out: list[str] = []
    for part in text.split(","):
        name, _, count = part.strip().partition(":")
        if name not in TYPE_PREFIXES:
            raise ConfigError(f"unknown condition {name!r} in --types {text!r}; valid: {', '.join(TYPE_PREFIXES)}")
        try:
            n = int(count or 1)
        except ValueError:
            raise ConfigError(f"bad count {count!r} for {name!r} in --types {text!r}; write e.g. nm:6") from None
        if not 1 <= n <= 99:
            raise ConfigError(f"count for {name!r} must be 1..99, got {n}")
        out += [f"{name}-{i:02d}" for i in range(1, n + 1)]
    if len(set(out)) != len(out):
        raise ConfigError(f"--types {text!r} names a condition twice")
    return out


def parse_views(text: str) -> list[float]:
    """'0:180:18' (start:stop:step, stop included) or '0,45,90' -> degrees in [0, 360)."""
    try:
        if ":" in text:
            start, stop, step = (float(x) for x in text.split(":"))
            if step <= 0:
                raise ValueError("step must be positive")
            n = int(round((stop - start) / step)) + 1
            views = [start + i * step for i in range(n) if start + i * step <= stop + 1e-9]
        else:
            views = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as e:
        raise ConfigError(f"bad view string {text!r} ({e}); write '0:180:18' or '0,45,90'") from None
    if not views:
        raise ConfigError(f"view string {text!r} gives no views")
    bad = [v for v in views if not 0 <= v < 360]
    if bad:
        raise ConfigError(f"views must be in [0, 360) degrees, got {bad}")
    return views


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
    walker: str = DEFAULT_WALKER  # walker version ('v1' rebuilds datasets made before versions existed)

    def __post_init__(self) -> None:
        check_walker(self.walker)
        if self.subjects < 1:
            raise ConfigError(f"--subjects must be at least 1, got {self.subjects}")
        if not 1 <= self.frames_min <= self.frames_max <= 1000:
            raise ConfigError(f"frames per sequence must satisfy 1 <= min <= max <= 1000, got {self.frames_min}..{self.frames_max}")

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


SPEC_FILE = "dataset_spec.json"


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
    if old != spec.to_json():
        diff = sorted(k for k in set(old) | set(spec.to_json()) if old.get(k) != spec.to_json().get(k))
        raise ConfigError(f"output folder holds a different dataset (spec differs in {diff}); "
                          "use another --out or the same options to resume", root)
    return True
