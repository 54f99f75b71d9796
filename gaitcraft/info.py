"""`gaitcraft info`: what a dataset holds and every problem found in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.opengait_tree import Problem
from gaitcraft.types import is_binary


def inspect_dataset(path: str | Path, check_frames: bool = True, progress: bool = True) -> dict:
    """Summarise a dataset and list its problems (file + reason) without stopping at the first.

    With `check_frames`, every sequence is loaded: corrupt files, RGB frames, mixed sizes, zero frames and
    non-binary (grey) silhouettes are reported; non-binary ones stay usable (thresholded at 127).
    """
    index = DatasetIndex.open(path)
    problems: list[Problem] = list(index.problems)
    lengths, sizes, grey = [], Counter(), 0
    if check_frames:
        for rec in tqdm(index.records, desc="checking", unit="seq", disable=not progress):
            try:
                raw = rec.load_raw()
            except DataError as e:
                problems.append(Problem(e.path or str(rec.path), e.reason))
                continue
            if raw.ndim != 3 or raw.shape[0] == 0:
                problems.append(Problem(str(rec.path), f"bad silhouette shape {raw.shape}"))
                continue
            lengths.append(raw.shape[0])
            sizes[f"{raw.shape[1]}x{raw.shape[2]}"] += 1
            if not is_binary(raw):
                grey += 1
                problems.append(Problem(str(rec.path), "non-binary grayscale silhouettes (accepted, thresholded at 127)"))
    labs = [r.labels for r in index.records]
    out = {
        "path": str(path),
        "kind": index.kind,
        "subjects": len({lab.subject for lab in labs}),
        "sequences": len(labs),
        "types": dict(sorted(Counter(lab.seq_type for lab in labs).items())),
        "views": dict(sorted(Counter(lab.view_name for lab in labs).items())),
        "clothing": dict(Counter(lab.clothing for lab in labs)),
        "carry": dict(Counter(lab.carry for lab in labs)),
        "frame_sizes": dict(sizes),
        "non_binary_sequences": grey,
        "problems": [{"path": p.path, "reason": p.reason} for p in problems],
    }
    if lengths:
        arr = np.asarray(lengths)
        out["frames"] = {"min": int(arr.min()), "median": float(np.median(arr)), "mean": round(float(arr.mean()), 1),
                         "max": int(arr.max()), "total": int(arr.sum())}
    return out


def format_info(info: dict) -> str:
    """Human-readable text for `inspect_dataset`'s result."""
    lines = [f"{info['path']}  ({info['kind']})",
             f"  subjects: {info['subjects']}   sequences: {info['sequences']}",
             f"  types:    {' '.join(f'{k}:{v}' for k, v in info['types'].items())}",
             f"  views:    {' '.join(f'{k}:{v}' for k, v in info['views'].items())}",
             f"  clothing: {info['clothing']}   carry: {info['carry']}"]
    if "frames" in info:
        f = info["frames"]
        lines.append(f"  frames/seq: min {f['min']}  median {f['median']:g}  mean {f['mean']}  max {f['max']}  "
                     f"(total {f['total']}); sizes {info['frame_sizes']}")
    probs = info["problems"]
    lines.append(f"  problems: {len(probs)}" + ("" if probs else " (none)"))
    lines += [f"    {p['path']}: {p['reason']}" for p in probs]
    return "\n".join(lines)
