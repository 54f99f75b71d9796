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


#: CASIA-B's condition names (its sequence-type prefixes), what each means, and the categorical factor values it
#: asks for. 'bg' asks for a bag: the model's unspecified 'bag' when it knows one (a model trained on CASIA-B),
#: else the first exact bag of `BAGS` it knows (a model trained on the procedural walker).
CASIA_B_CONDITIONS: dict[str, tuple[str, dict[str, str]]] = {
    "nm": ("normal walking", {"clothing": "normal", "carry": "none"}),
    "bg": ("carrying a bag", {"clothing": "normal", "carry": "bag"}),
    "cl": ("in a coat", {"clothing": "coat", "carry": "none"}),
}
#: Per-factor CASIA-B names accepted in place of a value (`--clothing cl`, `--carry bg`).
CASIA_B_ALIASES: dict[str, dict[str, str]] = {"clothing": {"nm": "normal", "cl": "coat"},
                                               "carry": {"nm": "none", "bg": "bag"}}


def condition_name(values: dict[str, str]) -> str:
    """The CASIA-B condition of categorical values {factor: value}: 'cl' for a coat, else 'bg' when something is
    carried, else 'nm' (how a generated sequence's type folder is named)."""
    if values.get("clothing") == "coat":
        return "cl"
    return "nm" if values.get("carry", "none") == "none" else "bg"


def _model_bag(known_carry: tuple[str, ...] | list[str]) -> str | None:
    """The carry value 'bg' means for a model knowing `known_carry`: 'bag', else its first exact bag, else None."""
    if "bag" in known_carry:
        return "bag"
    return next((b for b in BAGS if b in known_carry), None)


def _asked_values(name: str, known) -> tuple[dict[str, str], str | None]:
    """({factor: model value} of CASIA-B condition `name`, the first factor the model lacks a value for or None)."""
    out = {}
    for kind, value in CASIA_B_CONDITIONS[name][1].items():
        got = _model_bag(known[kind]) if value == "bag" else value
        if got is None or got not in known[kind]:
            return out, kind
        out[kind] = got
    return out, None


def model_conditions(known: dict[str, tuple[str, ...] | list[str]]) -> list[str]:
    """The CASIA-B conditions a model knowing `known` ({factor: values}) can be asked for, in nm, bg, cl order."""
    return [name for name in CASIA_B_CONDITIONS if _asked_values(name, known)[1] is None]


def _valid_names(kind: str, known) -> str:
    """'bag, none (CASIA-B names: bg, nm)': the values of factor `kind` a model knows and their CASIA-B aliases."""
    values = list(known[kind])
    aliases = [a for a, v in CASIA_B_ALIASES.get(kind, {}).items()
               if v in values or (v == "bag" and _model_bag(values) is not None)]
    return ", ".join(values) + (f" (CASIA-B names: {', '.join(aliases)})" if aliases else "")


def check_condition_name(name: str) -> str:
    """`name` if it is a CASIA-B condition ('nm', 'bg', 'cl'), else a one-line `ConfigError` listing them."""
    if name not in CASIA_B_CONDITIONS:
        raise ConfigError(f"unknown condition {name!r}; valid: "
                          + ", ".join(f"{n} ({words})" for n, (words, _) in CASIA_B_CONDITIONS.items()))
    return name


def casia_b_condition(name: str, known: dict[str, tuple[str, ...] | list[str]]) -> dict[str, str]:
    """{factor: value} that the CASIA-B condition `name` ('nm', 'bg', 'cl') asks of a model knowing `known`
    ({factor name: values}); a condition the model cannot make is a one-line `ConfigError` naming the ones it can."""
    check_condition_name(name)
    values, missing = _asked_values(name, known)
    if missing is not None:
        words, wanted = CASIA_B_CONDITIONS[name]
        raise ConfigError(f"condition {name!r} ({words}) needs {missing} {wanted[missing]!r}, which this model does "
                          f"not know (its {missing}: {_valid_names(missing, known)}); conditions it can make: "
                          f"{', '.join(model_conditions(known)) or 'none'}")
    return values


def model_value(kind: str, value: str, known: dict[str, tuple[str, ...] | list[str]]) -> str:
    """The value of categorical factor `kind` that `value` names for a model knowing `known` ({factor: values}):
    the value itself, or the one its CASIA-B name stands for (`cl` -> coat, `bg` -> the model's bag). A value the
    model does not know is a one-line `ConfigError` listing the valid names."""
    if value in known[kind]:
        return value
    alias = CASIA_B_ALIASES.get(kind, {}).get(value)
    if alias is not None:
        got = _model_bag(known[kind]) if alias == "bag" else alias
        if got is not None and got in known[kind]:
            return got
    raise ConfigError(f"unknown {kind} {value!r}; this model knows: {_valid_names(kind, known)}")


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
