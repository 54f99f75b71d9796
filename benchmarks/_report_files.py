"""The ending every report-writing benchmark shares: the Markdown report and its JSON twin written atomically, the
report printed, and a user or machine fault said in one line with exit status 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from gaitcraft.errors import GaitCraftError
from gaitcraft.io.atomic import atomic_write_text


def write_report(out: Path, data: dict, markdown: str) -> None:
    """`out` (Markdown) and `out.json` (`data`), each replaced in one step."""
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out.with_suffix(".json"), json.dumps(data, indent=1))
    atomic_write_text(out, markdown)


def write_report_with_figure(out: Path, data: dict, figure: Callable[[Path], None],
                             markdown: Callable[[str], str]) -> Path:
    """`out` (Markdown from `markdown(figure file name)`), `out.json` (`data`) and the figure `out.png` drawn by
    `figure(path)`; returns `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    figure(out.with_suffix(".png"))
    write_report(out, data, markdown(out.with_suffix(".png").name))
    return out


def report_main(work: Callable[[], Path]) -> int:
    """Run `work` (which writes a report and returns its path) and print the report: 0; on a GaitCraft error or an
    OS fault (unreadable input, read-only folder, full disk), one line on stderr: 2."""
    try:
        out = work()
    except (GaitCraftError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(out.read_text())
    return 0
