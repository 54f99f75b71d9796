"""Augmentation experiment: a recognizer trained on real-train alone and one trained on real-train +
synthetic, with the same recipe and number of steps, both evaluated on the real test identities with the
CASIA-B protocol. Writes a Markdown report (table + figure) and JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.evaluation.protocols import CASIA_B_PROBES
from eval.evaluation.recognizer import evaluate
from eval.training.recognizer_config import RecognizerConfig
from eval.training.train_recognizer import train
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError, DataError
from gaitcraft.io.atomic import atomic_save, atomic_write_text
from gaitcraft.partition import ALL
from gaitcraft.splits import evaluation_index, select_training
from gaitcraft.training import load_config, read_log

RUNS = ("real", "real+synthetic")
#: The `source` labels `combine` gives the two datasets (what per-source mining and `train.source_p` key on).
REAL_SOURCE, SYNTHETIC_SOURCE = "real", "synthetic"


def combine(real: DatasetIndex, synthetic: DatasetIndex, real_source: str = REAL_SOURCE,
            synthetic_source: str = SYNTHETIC_SOURCE) -> DatasetIndex:
    """One index of two datasets, each record's `source` set to `real_source` / `synthetic_source` (so
    per-source triplet mining can tell them apart). Shared subject ids are an error (they would be merged)."""
    shared = sorted({r.labels.subject for r in real} & {r.labels.subject for r in synthetic})
    if shared:
        raise DataError(f"real and synthetic data share subject ids {shared[:5]}; give the synthetic set another "
                        "prefix (gaitcraft synth --prefix)")

    def relabel(index: DatasetIndex, source: str) -> list:
        return [dataclasses.replace(r, labels=dataclasses.replace(r.labels, source=source)) for r in index.records]

    return DatasetIndex(relabel(real, real_source) + relabel(synthetic, synthetic_source))


def merge_synthetic(trees: Sequence[str | Path]) -> DatasetIndex:
    """The training identities of every synthetic tree (the TRAIN_SET of its partition.json, else all of it) as
    one index. A subject id in two trees is an error: the two people would train as one."""
    merged: list = []
    owner: dict[str, str] = {}
    for tree in trees:
        index = select_training(tree, default=ALL).index
        for subject in sorted(set(index.values("subject"))):
            if subject in owner:
                raise DataError(f"subject {subject} is also in the synthetic tree {owner[subject]}; give one of them "
                                "another prefix (gaitcraft synth --prefix)", tree)
            owner[subject] = str(tree)
        merged += index.records
    return DatasetIndex(merged)


def experiment_config(config: str | Path | RecognizerConfig, steps: int | None = None,
                      per_source_mining: bool = False, balance_sources: bool = False,
                      seed: int | None = None) -> RecognizerConfig:
    """The shared recipe: `config` with `steps` total steps (LR milestones scaled to match), the mining mode,
    whether each batch draws its identities equally from the real and the synthetic source, and the training seed
    (`train.seed`: weight init, batches and frame draws; None keeps the config's)."""
    cfg = config if isinstance(config, RecognizerConfig) else load_config(config, RecognizerConfig, kinds=("recognizer",))
    cfg = cfg.reseeded(seed)
    t, o = cfg.train, cfg.optim
    if steps is not None:
        scale = steps / t.total_steps
        miles = tuple(sorted({max(1, int(round(m * scale))) for m in o.milestones}))
        t = dataclasses.replace(t, total_steps=steps, save_every=min(t.save_every, steps))
        o = dataclasses.replace(o, milestones=miles)
    t = dataclasses.replace(t, source_balance=balance_sources or t.source_balance)
    cfg = dataclasses.replace(cfg, train=t, optim=o,
                              loss=dataclasses.replace(cfg.loss, per_source_mining=per_source_mining))
    cfg.check()
    return cfg


def augmented_config(cfg: RecognizerConfig, synthetic_per_batch: int | None) -> RecognizerConfig:
    """The real+synthetic run's recipe: `cfg` itself, or with `synthetic_per_batch` synthetic identities added to
    each batch beside the real run's `train.p` real ones, so the real identities are seen exactly as often as in
    the real-only run."""
    if synthetic_per_batch is None:
        return cfg
    if synthetic_per_batch < 1:
        raise ConfigError(f"synthetic identities per batch must be >= 1, got {synthetic_per_batch}")
    t = dataclasses.replace(cfg.train, source_p={REAL_SOURCE: cfg.train.p, SYNTHETIC_SOURCE: int(synthetic_per_batch)})
    out = dataclasses.replace(cfg, train=t)
    out.check()
    return out


def probe_sets_for(index: DatasetIndex) -> dict[str, tuple[str, ...]]:
    """The CASIA-B probe sets (NM/BG/CL) that have sequences in `index`."""
    types = set(index.values("seq_type"))
    return {k: v for k, v in CASIA_B_PROBES.items() if types & set(v)}


def run_experiment(real: str | Path, synthetic: str | Path | Sequence[str | Path], out: str | Path,
                   config: str | Path = "gaitbase_cpu_small", steps: int | None = None,
                   per_source_mining: bool = False, partition: str | Path | None = None,
                   progress: bool = True, balance_sources: bool = False,
                   synthetic_per_batch: int | None = None, seed: int | None = None,
                   arm: str | None = None, allow_test_ids: bool = False) -> dict[str, Any]:
    """Train both recognizers (resumable runs in `out/runs/`), evaluate on the real test split, write the report.
    `synthetic_per_batch` adds that many synthetic identities to each real+synthetic batch (`augmented_config`);
    `seed` sets both runs' training seed, so the experiment can be repeated to see how far a reseed moves it.
    `arm` ('real' or 'real+synthetic') trains and evaluates that run only and writes no report, so the two runs
    can go in two processes; a later call without `arm` resumes both finished runs and writes the report.
    The real tree's split (`partition`, else its partition.json; see `gaitcraft.partition`) gives the training
    and test identities; the synthetic tree trains on its partition.json's TRAIN_SET, or on every identity when
    it has none (none of its identities is ever tested on). Several synthetic trees train as one synthetic source
    (`merge_synthetic`)."""
    if arm is not None and arm not in RUNS:
        raise ConfigError(f"unknown arm {arm!r}; valid: {', '.join(RUNS)}")
    out = Path(out)
    real_index = DatasetIndex.open(real)
    real_split = select_training(real, partition, allow_test_ids, index=real_index)
    for line in real_split.notes(real):
        print(line)
    real_train, real_test = real_split.index, evaluation_index(real, "test", partition, index=real_index)
    # the real-only arm never reads the synthetic tree, so it can start while that tree is still being generated
    trees = [synthetic] if isinstance(synthetic, (str, Path)) else list(synthetic)
    syn = merge_synthetic(trees) if arm != "real" else None
    probes = probe_sets_for(real_test)
    if not probes:
        raise DataError("the real test split has no CASIA-B probe types (nm-05/06, bg-01/02, cl-01/02)", real)
    cfg = experiment_config(config, steps, per_source_mining, balance_sources, seed)
    configs = {"real": cfg, "real+synthetic": augmented_config(cfg, synthetic_per_batch)}
    data = {"real": real_train, "real+synthetic": combine(real_train, syn) if syn is not None else None}
    result: dict[str, Any] = {"config": cfg.to_dict(), "steps": cfg.train.total_steps,
                              "per_source_mining": per_source_mining,
                              "balance_sources": cfg.train.source_balance, "synthetic_per_batch": synthetic_per_batch,
                              "augmented_config": configs["real+synthetic"].to_dict(),
                              "real": str(real), "synthetic": " + ".join(map(str, trees)),
                              "split": real_split.partition.source,
                              "runs": {}}
    for name in RUNS if arm is None else (arm,):
        run_dir = out / "runs" / name.replace("+", "_plus_")
        summary = train(configs[name], data[name], run_dir, progress=progress)
        ev = evaluate(run_dir, real_test, "casia-b", probe_sets=probes, progress=progress)
        result["runs"][name] = {"train": {k: summary[k] for k in ("steps", "identities", "sequences", "sources")},
                                "rank1": {k: v["mean"] for k, v in ev["probe_sets"].items()},
                                "eval": ev, "log": read_log(run_dir)}
    if arm is not None:
        return result
    base, aug = (result["runs"][n]["rank1"] for n in RUNS)
    result["gain"] = {k: None if base[k] is None or aug[k] is None else aug[k] - base[k] for k in base}
    # the headline is the mean over probe sets, so the report states it rather than leaving it to the reader
    result["mean"] = {n: mean_rank1(result["runs"][n]["rank1"]) for n in RUNS}
    result["mean_gain"] = (None if None in result["mean"].values()
                           else result["mean"][RUNS[1]] - result["mean"][RUNS[0]])
    write_report(out, result)
    return result


def mean_rank1(rank1: dict[str, float | None]) -> float | None:
    """Mean rank-1 over the probe sets (NM/BG/CL); None when any set has no score."""
    vals = list(rank1.values())
    return None if not vals or None in vals else sum(vals) / len(vals)


def format_report(result: dict[str, Any]) -> str:
    """Markdown table: rank-1 per probe set and their mean for each run, and the gain."""
    sets = list(result["gain"])
    fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    lines = ["# Augmentation experiment", "",
             f"- real: `{result['real']}`; synthetic: `{result['synthetic']}`",
             f"- recipe: `{result['config']['name']}`, {result['steps']} steps each, training seed "
             f"{result['config']['train']['seed']}; per-source triplet mining: "
             f"{'yes' if result['per_source_mining'] else 'no'}"
             + ("" if result.get("synthetic_per_batch") else
                f"; batches balanced across sources: {'yes' if result.get('balance_sources') else 'no'}"),
             *([f"- real+synthetic batches: the real run's {result['config']['train']['p']} real identities plus "
                f"{result['synthetic_per_batch']} synthetic ones (K = {result['config']['train']['k']} each)"]
               if result.get("synthetic_per_batch") else []),
             f"- split of the real tree: {result.get('split', 'its partition.json')}",
             "- evaluation: real test identities, CASIA-B protocol (gallery nm-01..04, identical views excluded)", "",
             "| training data | identities | sequences | " + " | ".join(f"rank-1 {s} (%)" for s in sets)
             + " | mean (%) |",
             "|---|---|---|" + "---|" * (len(sets) + 1)]
    for name in RUNS:
        r = result["runs"][name]
        lines.append(f"| {name} | {r['train']['identities']} | {r['train']['sequences']} | "
                     + " | ".join(fmt(r["rank1"][s]) for s in sets) + f" | {fmt(result['mean'][name])} |")
    lines.append("| **gain** | | | " + " | ".join(fmt(result["gain"][s]) for s in sets)
                 + f" | **{fmt(result['mean_gain'])}** |")
    lines += ["", "![loss curves and rank-1](augment.png)", ""]
    return "\n".join(lines)


def write_figure(path: Path, result: dict[str, Any]) -> None:
    """Loss curves of both runs beside rank-1 bars per probe set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5), dpi=100)
    sets = list(result["gain"])
    for i, name in enumerate(RUNS):
        log = result["runs"][name]["log"]
        a.plot([r["step"] for r in log], [r["loss"] for r in log], label=name)
        vals = [result["runs"][name]["rank1"][s] or 0.0 for s in sets]
        b.bar(np.arange(len(sets)) + (i - 0.5) * 0.4, vals, width=0.4, label=name)
    a.set_xlabel("step")
    a.set_ylabel("training loss")
    a.legend(fontsize=8)
    b.set_xticks(np.arange(len(sets)), sets)
    b.set_ylabel("rank-1 (%)")
    b.legend(fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def write_report(out: Path, result: dict[str, Any]) -> None:
    """`out/report.md`, `out/report.json` and `out/augment.png`."""
    write_figure(out / "augment.png", result)
    atomic_write_text(out / "report.json", json.dumps(result, indent=1, default=str))
    atomic_write_text(out / "report.md", format_report(result))
