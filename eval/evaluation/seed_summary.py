"""Gains over training seeds: the augmentation experiment run with several seeds, summarised as the mean gain
per probe set (NM/BG/CL) and overall, with its standard deviation, standard error and Student-t 95 % interval.

A gain is the real+synthetic run's rank-1 minus the real-only run's of the same seed, so the seed's own luck
(which moves both arms) cancels; the interval says how far the mean gain could be from the true one with this
many seeds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from scipy import stats

from eval.evaluation.augment_experiment import RUNS, mean_rank1
from gaitcraft.errors import DataError

#: report.json entries that must agree across the seeds pooled into one summary (the recipe and the data)
SAME_ACROSS_SEEDS = ("real", "synthetic", "steps", "per_source_mining", "balance_sources", "synthetic_per_batch",
                     "split")


def interval(values: list[float], level: float = 0.95) -> dict[str, Any]:
    """{'n', 'mean', 'sd', 'se', 'low', 'high'} of `values`: sample standard deviation (n - 1) and the two-sided
    Student-t interval of the mean at `level` (low = high = mean, sd = se = 0 for one value)."""
    n = len(values)
    if n == 0:
        raise DataError("no values to summarise")
    mean = sum(values) / n
    if n == 1:
        return {"n": 1, "mean": mean, "sd": 0.0, "se": 0.0, "low": mean, "high": mean}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return {"n": n, "mean": mean, "sd": sd, "se": se, "low": mean - half, "high": mean + half}


def read_reports(folders: list[str | Path]) -> list[dict[str, Any]]:
    """The `report.json` of each augmentation-experiment folder, refusing missing reports, a seed given twice and
    seeds run with another recipe or other data (their gains would not be comparable)."""
    reports = []
    for folder in folders:
        path = Path(folder) / "report.json"
        if not path.is_file():
            raise DataError(f"{path}: no report (run the experiment there to the end first)")
        try:
            reports.append(json.loads(path.read_text()))
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: not a readable report ({e.msg})") from None
    if not reports:
        raise DataError("no experiment folders given")
    seeds = [r["config"]["train"]["seed"] for r in reports]
    if len(set(seeds)) < len(seeds):
        raise DataError(f"the same training seed appears twice among the reports (seeds {seeds})")
    first = reports[0]
    recipe = {k: v for k, v in first["config"].items() if k != "train"}
    for folder, r in zip(folders[1:], reports[1:]):
        for key in SAME_ACROSS_SEEDS:
            if r.get(key) != first.get(key):
                raise DataError(f"{folder}: {key} is {r.get(key)!r}, not {first.get(key)!r} as in {folders[0]}")
        if {k: v for k, v in r["config"].items() if k != "train"} != recipe:
            raise DataError(f"{folder}: trained with another recognizer recipe than {folders[0]}")
    return reports


def summarise(reports: list[dict[str, Any]], level: float = 0.95) -> dict[str, Any]:
    """Per-seed rank-1 of both arms and gains, and an `interval` of the gain per probe set and of the mean gain."""
    sets = list(reports[0]["gain"])
    seeds = []
    for r in sorted(reports, key=lambda r: r["config"]["train"]["seed"]):
        arms = {arm: dict(r["runs"][arm]["rank1"]) for arm in RUNS}  # {arm: {probe set: rank-1}}
        if any(v is None for a in arms.values() for v in a.values()):
            raise DataError(f"seed {r['config']['train']['seed']}: a probe set has no rank-1 ({arms})")
        for a in arms.values():
            a["mean"] = mean_rank1({k: a[k] for k in sets})
        gain = {k: arms[RUNS[1]][k] - arms[RUNS[0]][k] for k in [*sets, "mean"]}
        seeds.append({"seed": r["config"]["train"]["seed"], **arms, "gain": gain})
    gains = {s: interval([x["gain"][s] for x in seeds], level) for s in [*sets, "mean"]}
    arms = {arm: interval([x[arm]["mean"] for x in seeds], level) for arm in RUNS}
    return {"level": level, "sets": sets, "seeds": seeds, "gain": gains, "arms": arms,
            **{k: reports[0].get(k) for k in SAME_ACROSS_SEEDS}, "recipe": reports[0]["config"]["name"]}
