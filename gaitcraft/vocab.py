"""Label vocabularies and per-dataset label mappings (sequence type -> clothing / carry labels)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gaitcraft.errors import ConfigError, DataError
from gaitcraft.factors import factor, factors

#: Clothing values (declared with the factor in `gaitcraft.factors`).
CLOTHING: tuple[str, ...] = factor("clothing").values
#: Carried objects (declared with the factor in `gaitcraft.factors`).
CARRY: tuple[str, ...] = factor("carry").values
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
    """Return `value` if the categorical factor `kind` ('clothing', 'carry', ...) knows it, else raise listing
    the valid ones."""
    return factor(kind).check_value(value)


@dataclass(frozen=True)
class LabelMapping:
    """Maps a sequence-type folder name to its labels ({label field: value}) for one dataset family."""

    name: str
    prefixes: dict[str, dict[str, str]]
    exact: dict[str, dict[str, str]]

    def labels(self, seq_type: str) -> dict[str, str]:
        """{label field: value} (e.g. clothing, carry) of a sequence type; unknown types are an error naming the
        valid prefixes."""
        if seq_type in self.exact:
            return dict(self.exact[seq_type])
        prefix = seq_type.split("-")[0]
        if prefix in self.prefixes:
            return dict(self.prefixes[prefix])
        valid = sorted(self.prefixes) + sorted(self.exact)
        raise DataError(f"sequence type {seq_type!r} is not known to the {self.name} mapping; valid: {valid}")


#: CASIA-B's type prefixes: nm = normal walking, bg = with a bag, cl = in a coat.
_CASIA_B_TYPES = {"nm": {"clothing": "normal", "carry": "none"}, "bg": {"clothing": "normal", "carry": "bag"},
                  "cl": {"clothing": "coat", "carry": "none"}}
CASIA_B = LabelMapping("casia-b", _CASIA_B_TYPES, {})
OUMVLP = LabelMapping("ou-mvlp", {}, {"00": {"clothing": "normal", "carry": "none"},
                                      "01": {"clothing": "normal", "carry": "none"}})
#: GaitCraft walker names: CASIA-B prefixes; the exact bag comes from the manifest.
GENERIC = LabelMapping("generic", _CASIA_B_TYPES, {})
MAPPINGS = {m.name: m for m in (CASIA_B, OUMVLP, GENERIC)}


def load_manifest_mapping(path: str | Path) -> LabelMapping:
    """A generic mapping from a JSON file `{"<type or prefix>": {"clothing": ..., "carry": ...}}` (one value per
    categorical factor, each checked against the factor's values)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read label mapping: {e}", path) from None
    categorical = factors("categorical")
    shape = "{" + ", ".join(f"'{f.label}': ..." for f in categorical) + "}"
    exact = {}
    for key, val in raw.items():
        if not isinstance(val, dict) or set(val) != {f.label for f in categorical}:
            raise ConfigError(f"entry {key!r} must be {shape}", path)
        exact[key] = {f.label: f.check_value(val[f.label]) for f in categorical}
    return LabelMapping(f"manifest:{path.name}", {}, exact)


def mapping_for(name: str) -> LabelMapping:
    """A built-in mapping by name ('casia-b', 'ou-mvlp', 'generic') or a JSON mapping file path."""
    if name in MAPPINGS:
        return MAPPINGS[name]
    if Path(name).suffix == ".json":
        return load_manifest_mapping(name)
    raise ConfigError(f"unknown label mapping {name!r}; valid: {', '.join(MAPPINGS)} or a .json file")
