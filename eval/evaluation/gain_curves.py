"""Gain curves: the augmentation experiment's gain as one setting moves (synthetic identities per batch, number of
synthetic identities, sampler guidance, training steps), one `augment-experiment` report per point.

Points on one curve must share the training seed, the real tree and its split, so that the curve shows the
setting and not the seed's luck or other data; the seed-to-seed spread at one setting (from `seed_summary`) is
what a difference along the curve has to beat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.evaluation.seed_summary import read_reports, summarise
from gaitcraft.errors import DataError

#: report.json entries that every point of one curve must share
SAME_ALONG_A_CURVE = ("real", "split")


def curve(name: str, points: list[tuple[str, str | Path]]) -> dict[str, Any]:
    """{'name', 'points': [{'x', 'folder', 'seed', 'real', 'real+synthetic', 'gain', ...}]} for the labelled
    experiment folders `points` [(x label, folder)], in the order given; refuses a curve whose points differ in
    training seed, real tree or split."""
    if not points:
        raise DataError(f"curve {name!r}: no points")
    rows, first = [], None
    for x, folder in points:
        report = read_reports([folder])[0]
        if first is None:
            first = (folder, report)
        else:
            for key in SAME_ALONG_A_CURVE:
                if report.get(key) != first[1].get(key):
                    raise DataError(f"{folder}: {key} is {report.get(key)!r}, not {first[1].get(key)!r} as in "
                                    f"{first[0]} (curve {name!r})")
            if report["config"]["train"]["seed"] != first[1]["config"]["train"]["seed"]:
                raise DataError(f"{folder}: training seed {report['config']['train']['seed']}, not "
                                f"{first[1]['config']['train']['seed']} as in {first[0]} (curve {name!r}): a curve "
                                "compares settings at one seed")
        row = summarise([report])["seeds"][0]
        rows.append({"x": str(x), "folder": str(folder), "synthetic": report.get("synthetic"),
                     "steps": report.get("steps"), "synthetic_per_batch": report.get("synthetic_per_batch"), **row})
    return {"name": name, "sets": [k for k in rows[0]["gain"] if k != "mean"], "points": rows}


def parse_point(text: str) -> tuple[str, str]:
    """'X=FOLDER' -> (X, FOLDER); a clear error for anything else."""
    x, sep, folder = text.partition("=")
    if not sep or not x or not folder:
        raise DataError(f"{text!r}: a curve point is X=FOLDER (the setting's value, then the experiment folder)")
    return x, folder
