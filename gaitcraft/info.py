"""`gaitcraft info`: what a dataset holds and every problem found in it.

Per-file problems (a corrupt pkl, a stray file) are listed one per line. What holds for many files at once
(grey values read as binary, a frame size models do not take) is one finding with a count. Short sequences and
missing subject/type/view cells go in a summary table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gaitcraft.dataset import MODEL_FRAME_SIZE, DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.factors import factors
from gaitcraft.io.opengait_tree import Problem
from gaitcraft.path_labels import UNKNOWN
from gaitcraft.pretreat_job import MIN_FRAMES_WARNING
from gaitcraft.types import read_silhouette_values

#: Sequences at or under this many frames are counted apart: too short for most gait models.
VERY_SHORT_FRAMES = 3
#: Rows of each table printed as text (the JSON always holds every row).
TEXT_ROWS = 25
#: Example paths kept per dataset-wide finding.
EXAMPLES = 3


def _label_fields() -> tuple[tuple[str, str], ...]:
    """(name in reports, `SequenceLabels` field) of the labels a path may leave unknown."""
    return (("subject", "subject"), ("type", "seq_type"), ("view", "view_name"),
            *((f.name, f.label) for f in factors("categorical")))


def inspect_dataset(path: str | Path, check_frames: bool = True, progress: bool = True) -> dict:
    """Summarise a dataset and list its problems (file + reason) without stopping at the first.

    With `check_frames`, every sequence is loaded: corrupt files, RGB frames, mixed sizes, zero frames and
    unusable values (NaN, negative, out of range) are per-file problems; how values were read (e.g. grayscale
    read as binary at 127) and frame sizes other than the models' 64x64 are dataset-wide findings with a count;
    sequences under `MIN_FRAMES_WARNING` frames are listed. Missing cells (subject x type x view, over the
    subjects, types and views the tree itself uses) are listed without opening any file.
    """
    index = DatasetIndex.open(path)
    problems: list[Problem] = list(index.problems)
    lengths, sizes, short = [], Counter(), []
    found: dict[str, list[str]] = defaultdict(list)  # finding -> paths it holds for
    if check_frames:
        for rec in tqdm(index.records, desc="checking", unit="seq", disable=not progress):
            try:
                raw = rec.load_raw()
                _, how = read_silhouette_values(raw, where=str(rec.source))
            except DataError as e:
                problems.append(Problem(e.path or str(rec.source), e.reason))
                continue
            lengths.append(raw.shape[0])
            size = f"{raw.shape[1]}x{raw.shape[2]}"
            sizes[size] += 1
            if how:
                found[how].append(str(rec.source))
            if raw.shape[1:] != MODEL_FRAME_SIZE:
                found[f"{size}, not the {'x'.join(map(str, MODEL_FRAME_SIZE))} models take"].append(str(rec.source))
            if raw.shape[0] < MIN_FRAMES_WARNING:
                short.append({**_cell(rec.labels), "frames": int(raw.shape[0]), "path": str(rec.source)})
    labs = [r.labels for r in index.records]
    out = {
        "path": str(path),
        "kind": index.kind,
        "subjects": len({lab.subject for lab in labs}),
        "sequences": len(labs),
        "types": dict(sorted(Counter(lab.seq_type for lab in labs).items())),
        "views": dict(sorted(Counter(lab.view_name for lab in labs).items())),
        **{f.name: dict(Counter(getattr(lab, f.label) for lab in labs)) for f in factors("categorical")},
        "unknown_labels": [name for name, f in _label_fields() if any(getattr(lab, f) == UNKNOWN for lab in labs)],
        "frame_sizes": dict(sizes),
        "findings": [{"finding": what, "sequences": len(paths), "examples": paths[:EXAMPLES]}
                     for what, paths in sorted(found.items(), key=lambda kv: -len(kv[1]))],
        "short_sequences": _short_summary(short) if check_frames else None,
        "missing_cells": _missing_cells(index) if index.kind not in ("video", "frames") else None,
        "problems": [{"path": p.path, "reason": p.reason} for p in problems],
    }
    if lengths:
        arr = np.asarray(lengths)
        out["frames"] = {"min": int(arr.min()), "median": float(np.median(arr)), "mean": round(float(arr.mean()), 1),
                         "max": int(arr.max()), "total": int(arr.sum())}
    return out


def _cell(labels) -> dict:
    return {"subject": labels.subject, "type": labels.seq_type, "view": labels.view_name}


def _short_summary(short: list[dict]) -> dict:
    """Sequences under `MIN_FRAMES_WARNING` frames: how many, how many per frame count, and each one."""
    by_frames = Counter(s["frames"] for s in short)
    return {"under_frames": MIN_FRAMES_WARNING, "count": len(short),
            f"1_to_{VERY_SHORT_FRAMES}_frames": sum(n for f, n in by_frames.items() if f <= VERY_SHORT_FRAMES),
            "by_frames": {str(f): by_frames[f] for f in range(1, MIN_FRAMES_WARNING)},
            "sequences": sorted(short, key=lambda s: (s["subject"], s["type"], s["view"]))}


def _missing_cells(index: DatasetIndex) -> dict:
    """Subject x type x view cells absent from the tree, over the subjects, types and views it uses."""
    have = {r.labels.key for r in index.records}
    subjects = sorted({k[0] for k in have})
    types = sorted({k[1] for k in have})
    views = sorted({k[2] for k in have})
    missing = [{"subject": s, "type": t, "view": v} for s in subjects for t in types for v in views
               if (s, t, v) not in have]
    return {"subjects": len(subjects), "types": len(types), "views": len(views),
            "cells": len(subjects) * len(types) * len(views), "count": len(missing), "missing": missing}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def format_info(info: dict) -> str:
    """Human-readable text for `inspect_dataset`'s result."""
    lines = [f"{info['path']}  ({info['kind']})",
             f"  subjects: {info['subjects']}   sequences: {info['sequences']:,}",
             f"  types:    {' '.join(f'{k}:{v}' for k, v in info['types'].items())}",
             f"  views:    {' '.join(f'{k}:{v}' for k, v in info['views'].items())}",
             "  " + "   ".join(f"{f.name}: {info[f.name]}" for f in factors("categorical"))]
    if info["unknown_labels"]:
        lines.append(f"  unknown:  {', '.join(info['unknown_labels'])} (not stated by the path)")
    if "frames" in info:
        f = info["frames"]
        lines.append(f"  frames/seq: min {f['min']}  median {f['median']:g}  mean {f['mean']}  max {f['max']}  "
                     f"(total {f['total']:,}); sizes {info['frame_sizes']}")
    if info["findings"]:
        lines.append("  findings:")
        for f in info["findings"]:
            lines.append(f"    {_plural(f['sequences'], 'sequence is', 'sequences are')} {f['finding']}"
                         + (f" (e.g. {f['examples'][0]})" if f["sequences"] < info["sequences"] else ""))
    lines += _summary_table(info)
    probs = info["problems"]
    lines.append(f"  problems: {len(probs)}" + ("" if probs else " (none)"))
    lines += [f"    {p['path']}: {p['reason']}" for p in probs]
    return "\n".join(lines)


def _summary_table(info: dict) -> list[str]:
    """The summary rows, then the short sequences and the missing cells, each as a table."""
    short, miss = info["short_sequences"], info["missing_cells"]
    if short is None and miss is None:
        return []
    rows = []  # (what, count, detail)
    if short is not None:
        per = ", ".join(f"{f}: {n}" for f, n in short["by_frames"].items())
        rows.append((f"sequences under {short['under_frames']} frames", short["count"], f"by frame count {per}"))
        rows.append((f"sequences of 1-{VERY_SHORT_FRAMES} frames", short[f"1_to_{VERY_SHORT_FRAMES}_frames"], ""))
    if miss is not None:
        rows.append(("missing subject/type/view cells", miss["count"],
                     f"of {miss['subjects']} subjects x {miss['types']} types x {miss['views']} views "
                     f"= {miss['cells']:,}"))
    width = max(len(r[0]) for r in rows)
    lines = ["  summary:"] + [f"    {what.ljust(width)}  {n:>7,}   {detail}".rstrip() for what, n, detail in rows]
    if short and short["count"]:
        lines.append(f"  short sequences (under {short['under_frames']} frames):")
        lines += _table(["subject", "type", "view", "frames"],
                        [[s["subject"], s["type"], s["view"], str(s["frames"])] for s in short["sequences"]])
    if miss and miss["count"]:
        lines.append("  missing cells:")
        lines += _table(["subject", "types", "missing views"], _missing_rows(miss))
    return lines


def _missing_rows(miss: dict) -> list[list[str]]:
    """[subject, types, views] rows. Views a subject lacks in every type make one 'all N' row; the rest are
    grouped by the set of views missing, the types sharing it joined."""
    views_of: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for m in miss["missing"]:
        views_of[m["subject"]][m["type"]].append(m["view"])
    rows = []
    for subject, per_type in views_of.items():
        everywhere = set.intersection(*map(set, per_type.values())) if len(per_type) == miss["types"] else set()
        if everywhere and miss["types"] > 1:
            rows.append([subject, f"all {miss['types']}", " ".join(sorted(everywhere))])
        types_of: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for seq_type, views in per_type.items():
            rest = tuple(v for v in views if v not in everywhere or miss["types"] == 1)
            if rest:
                types_of[rest].append(seq_type)
        rows += [[subject, " ".join(types), " ".join(views)] for views, types in types_of.items()]
    return rows


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, at most `TEXT_ROWS` rows and a line saying how many more the JSON holds."""
    shown = rows[:TEXT_ROWS]
    widths = [max(len(r[i]) for r in [head, *shown]) for i in range(len(head))]
    out = ["    " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *shown]]
    if len(rows) > len(shown):
        out.append(f"    ... {len(rows) - len(shown):,} more rows (all of them in --json)")
    return out
