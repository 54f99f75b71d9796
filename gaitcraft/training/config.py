"""One config schema for every trainer: a YAML mapping whose `kind:` names what it trains, read strictly.

Each trainer declares its config as a dataclass of sections that mixes in `TrainingConfig` and lists the kinds it
reads in `KINDS`. `load_config(source, Schema, ...)` reads a file (or a built-in name from
`configs/`), refuses a missing or unknown `kind`, a kind none of the given schemas (or `kinds`) takes, an unknown
key anywhere and a value of the wrong type, each as one `ConfigError` line naming the file and the key. No key is
ever silently dropped.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, ClassVar

from gaitcraft.config_file import read_config_file
from gaitcraft.errors import ConfigError
from gaitcraft.paths import REPO_ROOT

#: every kind of training config, and the folder of `configs/` that holds its built-in files
KIND_FOLDERS = {"generator": "diffusion", "recognizer": "recognizer", "classifiers": "recognizer",
                "fused_recognizer": "reconstruction", "reconstructor": "reconstruction"}
KINDS = tuple(KIND_FOLDERS)


def plain(obj: Any) -> Any:
    """Tuples -> lists, recursively: the JSON/YAML-ready form of `dataclasses.asdict` output."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


class TrainingConfig:
    """What every trainer's config dataclass shares (mix it in; the dataclass declares `kind: str` first)."""

    #: the `kind` values this schema reads, the first being its default
    KINDS: ClassVar[tuple[str, ...]] = ()
    #: dotted keys a resumed run may change: how long and how often, never what is trained
    RESUMABLE: ClassVar[tuple[str, ...]] = ()

    def check(self) -> None:
        """Value checks beyond types (enumerations, sizes); raise `ConfigError` without a path."""

    def reseeded(self, seed: int | None):
        """This config with training seed `seed` (`train.seed`: weight init, batches, data draws); None keeps it."""
        if seed is None:
            return self
        return dataclasses.replace(self, train=dataclasses.replace(self.train, seed=int(seed)))

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (tuples as lists), `kind` included: what `from_dict` and `load_config` read back."""
        return plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, raw: Any, path: str | Path | None = None):
        """Build from nested mappings; an absent `kind` takes the schema's first (so a model's meta.json from
        before kinds existed still reads). Every problem is a `ConfigError` naming `path` and the key."""
        try:
            cfg = build_dataclass(cls, raw, "")
            if cfg.kind not in cls.KINDS:
                raise ConfigError(f"kind {cfg.kind!r} does not fit this schema; valid: {', '.join(cls.KINDS)}")
            cfg.check()
        except ConfigError as e:
            raise ConfigError(e.reason, path if path is not None else e.path) from None
        return cfg


def config_file(source: str | Path, kinds: tuple[str, ...] = KINDS) -> Path:
    """A config file given by path, or by name from `configs/` ('small' -> configs/<folder>/small.yaml, looking
    first in the folders of `kinds`); an unknown name is a `ConfigError` listing the built-in names."""
    path = Path(source)
    if path.is_file():
        return path
    own = list(dict.fromkeys(KIND_FOLDERS[k] for k in kinds))
    folders = own + [f for f in dict.fromkeys(KIND_FOLDERS.values()) if f not in own]
    for folder in folders:
        cand = REPO_ROOT / "configs" / folder / f"{source}.yaml"
        if cand.is_file():
            return cand
    names = sorted(p.stem for f in own for p in (REPO_ROOT / "configs" / f).glob("*.yaml"))
    raise ConfigError(f"no config {str(source)!r} (no such file, and no {path.name}.yaml in configs/"
                      f"{' or configs/'.join(own)}); built-in names: {names}")


def load_config(source: str | Path, *schemas: type[TrainingConfig], kinds: tuple[str, ...] | None = None,
                command: str | None = None):
    """The config in file `source` (or built-in name), built with the one of `schemas` whose `KINDS` hold its
    `kind`; `kinds` narrows what is taken. `command` names the caller in the wrong-kind message."""
    by_kind = {k: schema for schema in schemas for k in schema.KINDS}
    kinds = tuple(k for k in by_kind if kinds is None or k in kinds)
    path = config_file(source, kinds)
    raw = read_config_file(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"a config is a mapping of sections, got {type(raw).__name__}", path)
    if "kind" not in raw:
        raise ConfigError(f"missing key 'kind' (one of {', '.join(KINDS)})", path)
    kind = raw["kind"]
    if kind not in KIND_FOLDERS:
        raise ConfigError(f"kind {kind!r} is not one of {', '.join(KINDS)}", path)
    if kind not in kinds:
        taker = f"`{command}`" if command else "this"
        raise ConfigError(f"a {kind} config; {taker} takes a {' or '.join(kinds)} config", path)
    return by_kind[kind].from_dict(raw, path)


def build_dataclass(cls: type, raw: Any, where: str) -> Any:
    """Dataclass `cls` from nested mappings (`where`: the dotted section, '' at the top); each field is checked
    against its declared type and default."""
    section = f"section {where!r}" if where else "the config"
    if not isinstance(raw, dict):
        raise ConfigError(f"{section} must be a mapping, got {type(raw).__name__}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields, key=str)
    if unknown:
        keys = ", ".join(repr(f"{where}.{k}" if where else str(k)) for k in unknown)
        raise ConfigError(f"unknown key{'s' * (len(unknown) > 1)} {keys}; valid keys in {section}: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    defaults = cls()
    kwargs = {}
    for name, value in raw.items():
        default, key = getattr(defaults, name), f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(default):
            kwargs[name] = build_dataclass(type(default), value, key)
        else:
            kwargs[name] = _typed(default, value, key, _optional(hints.get(name)))
    try:
        return cls(**kwargs)
    except ConfigError as e:  # a section's own value checks (`__post_init__`) name the section
        raise ConfigError(f"{section}: {e.reason}", e.path) from None


def _optional(hint: Any) -> bool:
    """Whether a type hint admits None (`X | None`)."""
    return type(None) in typing.get_args(hint) and typing.get_origin(hint) in (typing.Union, types.UnionType)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _typed(default: Any, value: Any, key: str, optional: bool) -> Any:
    """`value` checked (and converted) against the type of the field's default."""
    if value is None and (optional or default is None):
        return None
    if isinstance(default, tuple):
        value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
        if default and all(_is_int(v) for v in default) and not all(_is_int(v) for v in value):
            raise ConfigError(f"{key} must be a list of integers, got {list(value)!r}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        if _is_int(default) and not float(value).is_integer():
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return type(default)(value)
    if default is not None and not isinstance(value, type(default)):
        raise ConfigError(f"{key} must be a {type(default).__name__}, got {value!r}")
    return value
