"""Reading a YAML or JSON file of settings (a config, a spec) with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gaitcraft.errors import ConfigError, os_problem


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


def strict_dataclass(cls: type, values: dict, what: str) -> Any:
    """`cls(**values)` for a dataclass `cls`, with keys it does not declare refused in one line naming `what`
    (a saved record of another version is an error, not silently half-read)."""
    unknown = set(values) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown {what} key(s) {sorted(unknown)}")
    return cls(**values)
