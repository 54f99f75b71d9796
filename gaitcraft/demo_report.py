"""The demo's report: the run's parameters, its figures and timings, and its plots and previews embedded.

`OUT/REPORT.md` is always the latest run's report. Every run's report is also kept, never overwritten, as
`OUT/reports/REPORT-<YYYYmmdd-HHMMSS>.md` (local time of the run), so a rerun does not destroy the last one. A
`REPORT.md` that has no copy there (written by hand or by an older GaitCraft) is moved there before the new one
is written.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from gaitcraft.defaults import format_guidance
from gaitcraft.io.atomic import atomic_write_text

LATEST = "REPORT.md"
ARCHIVE = "reports"
#: First line of every report: names its archived copy (invisible when the Markdown is rendered).
MARKER = "<!-- gaitcraft demo report {name} -->"
_MARKER_RE = re.compile(r"<!-- gaitcraft demo report (REPORT-[\w-]+) -->")


def _free_name(folder: Path, stem: str) -> str:
    """`stem`, or `stem-2`, `stem-3`, ... when a report of that name exists (two runs in one second)."""
    name, n = stem, 1
    while (folder / f"{name}.md").exists():
        n += 1
        name = f"{stem}-{n}"
    return name


def keep_unarchived(out: Path) -> Path | None:
    """Move `OUT/REPORT.md` into `OUT/reports/` when it is not a copy of a report kept there; returns where."""
    latest, folder = out / LATEST, out / ARCHIVE
    if not latest.is_file():
        return None
    with latest.open(errors="replace") as f:
        m = _MARKER_RE.fullmatch(f.readline().strip())
    if m and (folder / f"{m.group(1)}.md").is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("REPORT-%Y%m%d-%H%M%S", time.localtime(latest.stat().st_mtime))
    dest = folder / f"{_free_name(folder, stamp)}.md"
    os.replace(latest, dest)
    return dest


def write_report(out: str | Path, facts: dict[str, Any], started: float | None = None) -> tuple[Path, Path]:
    """Write the run's report as `OUT/reports/REPORT-<time>.md` and as `OUT/REPORT.md`; returns both paths."""
    out = Path(out)
    keep_unarchived(out)
    folder = out / ARCHIVE
    folder.mkdir(parents=True, exist_ok=True)
    name = _free_name(folder, time.strftime("REPORT-%Y%m%d-%H%M%S", time.localtime(started)))
    kept = folder / f"{name}.md"
    atomic_write_text(kept, render(facts, name, folder))
    latest = out / LATEST
    atomic_write_text(latest, render(facts, name, out))
    return latest, kept


def _link(path: str | Path, base: Path) -> str:
    """`path` relative to the report's folder (so the report and its images can be moved together)."""
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def _table(rows: list[tuple[str, str]], head: tuple[str, str]) -> list[str]:
    return [f"| {head[0]} | {head[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows), ""]


def _fmt_views(views: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in views)


def render(facts: dict[str, Any], name: str, base: Path) -> str:
    """The report's Markdown, with links relative to `base` (the folder it is written to)."""
    p, spec, ref = facts["parameters"], facts["parameters"]["spec"], facts["parameters"]["reference"]
    kept_in = _link(facts["reports"], base)
    lines = [MARKER.format(name=name), "# GaitCraft demo report", "",
             f"Run of {facts['started_text']} (local time), {facts['seconds']['total']:.0f} s wall time. Every run's "
             f"report is kept in {'this folder' if kept_in == '.' else f'`{kept_in}/`'} as `{name}.md`.", "",
             "## Parameters", ""]
    lines += _table([
        ("command", f"`{p['command']}`"),
        ("generator", f"`{p['model']}` (sha256 `{p['model_sha256'][:16]}…`)"),
        ("synthetic set", f"{spec['identities']} novel identities ('{spec['method']}' sampling, margin "
                          f"{spec['margin']:g}) x types {', '.join(spec['types'])} (bg carries {spec['bag']}) x "
                          f"views {_fmt_views(spec['views'])}; {spec['frames']} frames per sequence"),
        ("sampler", f"{spec['steps']} steps, classifier-free guidance {format_guidance(spec['guidance'])}, "
                    f"master seed {spec['seed']}, batch {p['batch']}"),
        ("reference walkers", f"{ref['subjects']} procedural subjects (seed {ref['seed']}): the generator's "
                              f"{ref['train']} training identities and {ref['subjects'] - ref['train']} held out; "
                              f"types {', '.join(ref['types'])} at views {_fmt_views(ref['views'])}; `{ref['path']}`"),
        ("privacy audit", f"recognizer `{p['recognizer']}`; identities under the FAR=1% threshold are dropped; "
                          "curation prunes nothing (fraction 0)"),
        ("controllability", f"classifiers `{p['classifiers']}`" if p.get("classifiers") else "not run"),
        ("cache", f"`{p['cache']}`"),
    ], ("parameter", "value"))

    c, privacy, curation = facts["counts"], facts.get("privacy"), facts.get("curation")
    rows = [("sequences generated by this run", f"{c['generated']} ({c['skipped']} already done)"),
            ("synthetic dataset", f"{c['sequences']} sequences of {c['subjects']} novel identities "
                                  f"({c['excluded']} identities or sequences excluded)")]
    if privacy:
        held = privacy.get("null_rate")
        rows += [("re-identification rate", f"{privacy['rate']:.1f}% of {privacy['identities']} novel identities "
                                            f"at FAR {privacy['far'] * 100:g}% (threshold {privacy['threshold']:.4f})"
                  + (f"; held-out real people: {held:.1f}%" if held is not None else "")),
                 ("identities dropped", f"{len(privacy['dropped'])}"
                  + (f" ({', '.join(privacy['dropped'])})" if privacy["dropped"] else ""))]
    if curation:
        rows.append(("curation", f"pruned {len(curation['pruned'])} of {curation['sequences']} sequences"))
    ctrl = facts.get("controllability")
    if ctrl:
        rows.append(("controllability (classifier accuracy on the synthetic set)",
                     ", ".join(f"{a} {v['accuracy']:.1f}%" for a, v in ctrl["attributes"].items())
                     + f" over {ctrl['sequences']} sequences"))
    lines += ["## Results", "", *_table(rows, ("figure", "value"))]

    steps = [("reference walkers (rendered once, then cached)", "reference"), ("generation", "generate"),
             ("privacy audit and curation", "checks"), ("manifest, previews and card", "finalize"),
             ("controllability", "controllability"), ("total", "total")]
    lines += ["## Timings", "", *_table([(label, f"{facts['seconds'][k]:.1f} s") for label, k in steps
                                         if k in facts["seconds"]], ("step", "wall time"))]

    lines += ["## Figures", ""]
    for title, path in facts["figures"].items():
        if Path(path).is_file():
            lines += [f"### {title}", "", f"![{title}]({_link(path, base)})", ""]
    if facts["previews"]:
        lines += ["### Previews", "", " ".join(f"![{Path(g).stem}]({_link(g, base)})" for g in facts["previews"]), ""]

    o = facts["outputs"]
    lines += ["## Outputs", "",
              f"- synthetic dataset (OpenGait pkl, `partition.json`, `manifest.jsonl`): `{_link(o['dataset'], base)}/`",
              f"- dataset card (counts, generator, seeds, privacy, curation): `{_link(o['card'], base)}`",
              f"- reference walkers: `{o['reference']}`", ""]
    return "\n".join(lines)
