"""Label vocabularies and per-dataset label mappings (sequence type -> clothing / carry)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gaitcraft.errors import ConfigError, DataError

#: Clothing values. 'coat' is CASIA-B's `cl` (a long coat).
CLOTHING: tuple[str, ...] = ("normal", "coat")
#: Carried objects. 'bag' is an unspecified bag (CASIA-B `bg`); the walker names the exact object.
CARRY: tuple[str, ...] = ("none", "shoulder_bag", "backpack", "handbag", "bag")
#: The exact bags a walker's `bg` sequence can carry (procedural subjects and synthetic identities cycle over them).
BAGS: tuple[str, ...] = ("shoulder_bag", "backpack", "handbag")


def cycled_bag(bags: list[str] | tuple[str, ...], seq_type: str, offset: int = 0) -> str:
    """The bag of a `bg-NN` sequence when a walker cycles over `bags`: bg-01 carries bags[offset], bg-02 the next."""
    return bags[(offset + int(seq_type.split("-")[1]) - 1) % len(bags)]


#: The CASIA-B eleven views.
CASIA_B_VIEWS: tuple[float, ...] = tuple(float(v) for v in range(0, 181, 18))
#: CASIA-B sequence types.
CASIA_B_TYPES: tuple[str, ...] = tuple(
    [f"nm-{i:02d}" for i in range(1, 7)] + [f"bg-{i:02d}" for i in range(1, 3)] + [f"cl-{i:02d}" for i in range(1, 3)]
)


def check_value(kind: str, value: str) -> str:
    """Return `value` if it is in the `kind` vocabulary ('clothing' or 'carry'), else raise listing valid ones."""
    vocab = {"clothing": CLOTHING, "carry": CARRY}[kind]
    if value not in vocab:
        raise ConfigError(f"unknown {kind} {value!r}; valid values: {', '.join(vocab)}")
    return value


@dataclass(frozen=True)
class LabelMapping:
    """Maps a sequence-type folder name to (clothing, carry) for one dataset family."""

    name: str
    prefixes: dict[str, tuple[str, str]]
    exact: dict[str, tuple[str, str]]

    def conditions(self, seq_type: str) -> tuple[str, str]:
        """(clothing, carry) for a sequence type; unknown types are an error naming the valid prefixes."""
        if seq_type in self.exact:
            return self.exact[seq_type]
        prefix = seq_type.split("-")[0]
        if prefix in self.prefixes:
            return self.prefixes[prefix]
        valid = sorted(self.prefixes) + sorted(self.exact)
        raise DataError(f"sequence type {seq_type!r} is not known to the {self.name} mapping; valid: {valid}")


CASIA_B = LabelMapping("casia-b", {"nm": ("normal", "none"), "bg": ("normal", "bag"), "cl": ("coat", "none")}, {})
OUMVLP = LabelMapping("ou-mvlp", {}, {"00": ("normal", "none"), "01": ("normal", "none")})
#: GaitCraft walker names: CASIA-B prefixes; the exact bag comes from the manifest.
GENERIC = LabelMapping(
    "generic", {"nm": ("normal", "none"), "bg": ("normal", "bag"), "cl": ("coat", "none")}, {}
)
MAPPINGS = {m.name: m for m in (CASIA_B, OUMVLP, GENERIC)}


def load_manifest_mapping(path: str | Path) -> LabelMapping:
    """A generic mapping from a JSON file `{"<type or prefix>": {"clothing": ..., "carry": ...}}`."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read label mapping: {e}", path) from None
    exact = {}
    for key, val in raw.items():
        if not isinstance(val, dict) or set(val) != {"clothing", "carry"}:
            raise ConfigError(f"entry {key!r} must be {{'clothing': ..., 'carry': ...}}", path)
        exact[key] = (check_value("clothing", val["clothing"]), check_value("carry", val["carry"]))
    return LabelMapping(f"manifest:{path.name}", {}, exact)


def mapping_for(name: str) -> LabelMapping:
    """A built-in mapping by name ('casia-b', 'ou-mvlp', 'generic') or a JSON mapping file path."""
    if name in MAPPINGS:
        return MAPPINGS[name]
    if Path(name).suffix == ".json":
        return load_manifest_mapping(name)
    raise ConfigError(f"unknown label mapping {name!r}; valid: {', '.join(MAPPINGS)} or a .json file")
