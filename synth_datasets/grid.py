"""The grid a dataset covers: its sequence types (CASIA-B naming, 'nm:6,bg:2,cl:2') and views ('0:180:18'),
parsed from the strings users write in flags and spec files."""

from __future__ import annotations

from gaitcraft.errors import ConfigError
from gaitcraft.vocab import CASIA_B_VIEWS

#: Sequence-type prefixes the walker can render (CASIA-B naming).
TYPE_PREFIXES = ("nm", "bg", "cl")


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
    """'0:180:18' (start:stop:step, stop included), '0,45,90' or 'casia-b' (CASIA-B's 11 views, 0 to 180 by 18)
    -> degrees in [0, 360)."""
    if text.strip().lower() == "casia-b":
        return list(CASIA_B_VIEWS)
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
        raise ConfigError(f"bad view string {text!r} ({e}); write '0:180:18', '0,45,90' or 'casia-b'") from None
    if not views:
        raise ConfigError(f"view string {text!r} gives no views")
    bad = [v for v in views if not 0 <= v < 360]
    if bad:
        raise ConfigError(f"views must be in [0, 360) degrees, got {bad}")
    return views
