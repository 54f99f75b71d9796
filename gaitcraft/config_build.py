"""Strict dataclass configs from YAML/JSON mappings: unknown keys and wrongly typed values are `ConfigError`s
that name the key's path (no key is ever silently dropped)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from gaitcraft.errors import ConfigError, os_problem
from gaitcraft.paths import REPO_ROOT


def config_file(kind: str, path_or_name: str | Path) -> Path:
    """A config file given by path, or by name from `configs/<kind>/` ('small' -> configs/<kind>/small.yaml);
    an unknown name is a `ConfigError` listing the built-in names."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    folder = REPO_ROOT / "configs" / kind
    cand = folder / f"{path_or_name}.yaml"
    if not cand.is_file():
        names = sorted(p.stem for p in folder.glob("*.yaml"))
        raise ConfigError(f"no {kind} config {str(path_or_name)!r} (no file {cand.name} in configs/{kind}); "
                          f"built-in names: {names}")
    return cand


def read_config_file(path: str | Path, what: str = "config") -> Any:
    """The parsed content of a YAML file (JSON for `.json`, itself valid YAML). An unreadable file or a syntax
    error is a one-line `ConfigError` naming the file, line and column, not the parser's multi-line dump."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {what}: not a UTF-8 text file", path) from None
    except OSError as e:
        raise ConfigError(f"cannot read {what}: {os_problem(e)}", path) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"line {e.lineno}, column {e.colno}: invalid JSON {what}: {e.msg}", path) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = " ".join(x for x in (e.problem, e.context and f"({e.context})") if x) or "syntax error"
        raise ConfigError(f"{where}invalid YAML {what}: {problem}", path) from None
    except yaml.YAMLError as e:
        raise ConfigError(f"invalid YAML {what}: {' '.join(str(e).split())}", path) from None


def plain(obj: Any) -> Any:
    """Tuples -> lists, recursively: the JSON/YAML-ready form of `dataclasses.asdict` output."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _typed(default: Any, value: Any, where: str) -> Any:
    """`value` checked (and converted) against the type of the field's default."""
    if isinstance(default, tuple):
        value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
        if default and all(_is_int(v) for v in default) and not all(_is_int(v) for v in value):
            raise ConfigError(f"{where} must be a list of integers, got {list(value)!r}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        if _is_int(default) and not float(value).is_integer():
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return type(default)(value)
    if default is not None and not isinstance(value, type(default)):
        raise ConfigError(f"{where} must be a {type(default).__name__}, got {value!r}")
    return value


def build_dataclass(cls: type, raw: Any, where: str) -> Any:
    """Dataclass `cls` from nested mappings; each field is checked against its default's type."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(raw).__name__}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise ConfigError(f"unknown keys {unknown} in {where}; valid keys: {sorted(fields)}")
    defaults = cls()
    kwargs = {}
    for name, value in raw.items():
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = build_dataclass(type(default), value, f"{where}.{name}")
        else:
            kwargs[name] = _typed(default, value, f"{where}.{name}")
    try:
        return cls(**kwargs)
    except ConfigError as e:  # a section's own value checks (`__post_init__`) name the section
        raise ConfigError(f"{where}: {e.reason}", e.path) from None
