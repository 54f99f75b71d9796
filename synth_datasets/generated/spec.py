"""The spec of a synthetic dataset drawn from a trained generator: N novel identities x sequence types x views,
frames per sequence, sampler settings and the seed. Read from YAML/JSON or flags, checked against the model."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conditioning.novel import DEFAULT_METHOD
from diffusion.guidance import guidance_variants
from gaitcraft.config_file import read_config_file
from gaitcraft.defaults import DEFAULT_GUIDANCE, parse_guidance
from gaitcraft.errors import ConfigError
from gaitcraft.factors import factors
from gaitcraft.vocab import BAGS, GENERIC, cycled_bag, model_conditions
from synth_datasets.grid import parse_types, parse_views


def split_bags(bag: str) -> list[str]:
    """The carry values of a spec's `bag` ('backpack' or 'shoulder_bag,backpack,handbag')."""
    return [b.strip() for b in bag.split(",") if b.strip()]


@dataclass(frozen=True)
class GeneratedSpec:
    """Everything that determines a synthetic dataset (with the model); equal specs give identical files.

    identities: number of novel identities; types: CASIA-B style type folders ('nm-01', 'bg-01', 'cl-01');
    views: degrees; frames: frames per sequence; seed: master seed (identities and every sequence's noise);
    steps / guidance: sampler steps and classifier-free guidance scale; bag: the carry value of `bg` types, or
    several separated by commas, cycled over identities and bg-NN like the procedural subjects' own bags ('auto' =
    every one of shoulder_bag, backpack, handbag the model knows, else 'bag'); method / margin / separation:
    novel-identity sampling (see `conditioning.sample_novel`); prefix: subject id prefix ('syn0001').
    """

    identities: int = 10
    types: tuple[str, ...] = field(default_factory=lambda: tuple(parse_types("nm:2,bg:1,cl:1")))
    views: tuple[float, ...] = field(default_factory=lambda: tuple(parse_views("0:180:18")))
    frames: int = 30
    seed: int = 0
    steps: int = 15
    guidance: float | dict[str, float] = DEFAULT_GUIDANCE  # joint scale, or {factor: scale} per factor
    bag: str = "auto"
    method: str = DEFAULT_METHOD
    margin: float = 0.5
    separation: float = 0.0
    prefix: str = "syn"

    def __post_init__(self) -> None:
        if self.identities < 1:
            raise ConfigError(f"identities must be at least 1, got {self.identities}")
        if self.frames < 1 or self.steps < 1:
            raise ConfigError(f"frames and steps must be at least 1, got frames={self.frames}, steps={self.steps}")
        if not self.types or not self.views:
            raise ConfigError("the spec needs at least one sequence type and one view")
        odd = [t for t in self.types if not re.fullmatch(r"(nm|bg|cl)-\d{2}", str(t))]
        if odd:
            raise ConfigError(f"sequence types must look like nm-01, bg-01 or cl-01 (CASIA-B naming), got {odd}")
        bad = [v for v in self.views if not 0.0 <= float(v) < 360.0]
        if bad:
            raise ConfigError(f"views must be in [0, 360) degrees, got {bad}")
        guidance_variants(self.guidance)  # the pipeline's own check: unknown factors, listing the valid ones
        if isinstance(self.guidance, dict):
            object.__setattr__(self, "guidance", {k: float(v) for k, v in self.guidance.items()})
        if not self.prefix.isalnum():
            raise ConfigError(f"prefix must be letters/digits, got {self.prefix!r}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (stored in the output folder)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict[str, Any], where: str = "spec") -> GeneratedSpec:
        """Build from a dict; `types` may be 'nm:2,bg:1' or a list, `views` '0:180:18' or a list. Unknown keys raise."""
        names = {f.name for f in dataclasses.fields(cls)}
        if extra := sorted(set(d) - names):
            raise ConfigError(f"unknown spec keys {extra}; valid: {sorted(names)}", where)
        d = dict(d)
        if isinstance(d.get("types"), str):
            d["types"] = parse_types(d["types"])
        if isinstance(d.get("views"), str):
            d["views"] = parse_views(d["views"])
        try:
            if isinstance(d.get("guidance"), str):
                d["guidance"] = parse_guidance(d["guidance"])
            if "views" in d:
                d["views"] = [float(v) for v in d["views"]]
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
        except (TypeError, ValueError) as e:
            raise ConfigError(f"bad spec value ({e})", where) from None

    @property
    def subject_ids(self) -> list[str]:
        """'syn0001', 'syn0002', ... one per novel identity."""
        return [f"{self.prefix}{i:04d}" for i in range(1, self.identities + 1)]

    @property
    def bags(self) -> list[str]:
        """The carry values `bg` types cycle over (one unless `bag` lists several)."""
        return split_bags(self.bag)

    def conditions(self, subject_index: int, seq_type: str) -> dict[str, str]:
        """{factor: value} (clothing, carry) of the 1-based identity `subject_index`'s sequence type: nm ->
        normal/none, cl -> coat/none, bg-NN -> normal and bag number (subject_index + NN - 2) of `bags`, so
        identities spread evenly over the bags and one identity's bg-01, bg-02, ... carry different ones."""
        labels = GENERIC.labels(seq_type)
        if labels["carry"] == "bag":
            labels["carry"] = cycled_bag(self.bags, seq_type, subject_index - 1) if self.bags else self.bag
        return labels


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """A spec dict from a YAML or JSON file (one-line `ConfigError` if unreadable or not a mapping)."""
    path = Path(path)
    raw = read_config_file(path, "spec")
    if not isinstance(raw, dict):
        raise ConfigError("a spec file must hold a mapping of spec keys", path)
    return raw


def resolve_spec(spec: GeneratedSpec, known: dict[str, list]) -> GeneratedSpec:
    """Check the spec against what the model knows (`generator.model_conditions`) before any work, and fix
    `bag='auto'`. Unknown conditions raise one `ConfigError` listing the valid values."""
    bag = spec.bag
    if bag == "auto":
        exact = [b for b in BAGS if b in known["carry"]]
        bag = ",".join(exact) or ("bag" if "bag" in known["carry"] else "")
        if any(t.startswith("bg") for t in spec.types) and not bag:
            raise ConfigError(f"the spec asks for bg sequences but the model knows no bag; its carry values: "
                              f"{', '.join(known['carry'])}")
        bag = bag or "bag"
    spec = dataclasses.replace(spec, bag=bag)
    needed = [spec.conditions(i, t) for t in spec.types for i in range(1, len(spec.bags) + 1)]
    values = {f.name: list(known[f.vocab_key]) for f in factors("categorical")}
    for f in factors("categorical"):
        missing = sorted({c[f.name] for c in needed if f.name in c} - set(known[f.vocab_key]))
        if missing:
            raise ConfigError(f"the spec asks for {f.name} {', '.join(missing)} but the model knows only: "
                              f"{', '.join(known[f.vocab_key])} (the CASIA-B conditions it can make: "
                              f"{', '.join(model_conditions(values)) or 'none'})")
    if not 1 <= spec.frames <= known["max_frames"]:
        raise ConfigError(f"frames={spec.frames} is not supported by this model: it takes 1..{known['max_frames']} "
                          f"frames (trained on {known['num_frames']})")
    return spec


def spec_record(spec: GeneratedSpec, model_hash: str) -> dict[str, Any]:
    """What the output folder stores and compares on resume: the spec and the model's hash."""
    return {"spec": spec.to_json(), "model_sha256": model_hash}


def spec_text(record: dict[str, Any]) -> str:
    """The stored form of a spec record (stable JSON)."""
    return json.dumps(record, indent=1, sort_keys=True)
