"""A synthetic dataset from a trained generator, end to end: spec -> novel identities -> sharded, batched,
resumable sampling -> quality checks (injected: privacy audit, curation) -> manifest, previews and card.

`build` is the one call behind `gaitcraft synth` and `gaitcraft demo`. Under `accelerate launch`, process r of w
takes every w-th sequence; each process writes only its own sequences (pkl + manifest row), and the main process
runs the checks and assembles the manifest, previews and card once every shard is done. Rerunning the same call
on a partial folder finishes it (resume); a folder holding another spec or model is refused.

The checks are measured outside this package (it must not depend on the evaluation code): `build` hands them
the finished sequences and records what they decide (identities to drop, sequences to prune).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accelerate import PartialState

from diffusion.pipeline import GaitCraftPipeline
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.atomic import remove_stale_temps
from gaitcraft.training_data import read_training_data
from synth_datasets.generated.finalize import finalize
from synth_datasets.generated.generator import load_generator, model_conditions, model_dir, model_hash
from synth_datasets.generated.plan import SeqJob, plan_jobs, shard
from synth_datasets.generated.previews import PREVIEWS
from synth_datasets.generated.sampling import generate_jobs
from synth_datasets.generated.spec import GeneratedSpec, resolve_spec, spec_record
from synth_datasets.generated.store import (
    check_output,
    checks_recorded,
    finished_index,
    read_excluded,
    record_checks,
    record_training_data,
)

#: The quality checks run between generation and the card: `checks(index, excluded, figures)` is handed the
#: finished sequences, the subjects/sequences already excluded ({name: reason}) and the folder for its figures,
#: and returns {'privacy': audit result with 'dropped' (identities to drop) and 'far', 'curation': result with
#: 'pruned' ([{'key', 'reason'}], sequences to leave out)}; either may be absent.
Checks = Callable[[DatasetIndex, dict[str, str], Path], dict[str, Any]]


def prepare(spec: GeneratedSpec, model: str | Path | None) -> tuple[GaitCraftPipeline, GeneratedSpec, dict[str, Any], list[SeqJob]]:
    """Load the model, check the spec against it (before any work), sample the novel identities and plan the
    jobs. Returns (pipeline, resolved spec, stored record, all jobs in order)."""
    folder = model_dir(model)
    pipe = load_generator(folder)
    spec = resolve_spec(spec, model_conditions(pipe))
    recipes = pipe.condition_encoder.sample_novel(spec.identities, spec.seed, method=spec.method,
                                                  margin=spec.margin, separation=spec.separation)
    jobs = plan_jobs(spec.subject_ids, recipes, list(spec.types), list(spec.views), spec.conditions)
    return pipe, spec, spec_record(spec, model_hash(folder)), jobs


def generate_shard(spec: GeneratedSpec, model: str | Path | None, out: str | Path, batch_size: int = 4,
                    progress: bool = True) -> dict[str, Any]:
    """Generate this process's shard of `spec` into `out`; returns a summary with 'main' (whether this process
    should finalize) after every shard has finished."""
    state = PartialState()
    pipe, spec, record, jobs = prepare(spec, model)
    pipe.to(state.device)
    root = Path(out)
    if state.is_main_process:
        resumed = check_output(root, record)
        remove_stale_temps(root)  # a killed run's half-written files; no shard writes yet
        record_training_data(root, read_training_data(model_dir(model)))  # for the card
    state.wait_for_everyone()
    if not state.is_main_process:
        resumed = check_output(root, record)
    mine = shard(jobs, state.process_index, state.num_processes)
    sha = record["model_sha256"]
    done = generate_jobs(pipe, root, mine, lambda j: j.labels(spec.seed, sha), spec.seed, spec.frames, spec.steps,
                         spec.guidance, batch_size, progress=progress and state.is_main_process,
                         excluded=read_excluded(root))
    state.wait_for_everyone()
    return {**done, "resumed": resumed, "jobs": len(jobs), "shard": len(mine), "rank": state.process_index,
            "world": state.num_processes, "main": state.is_main_process, "root": str(root), "spec": spec}


def run_checks(root: str | Path, checks: Checks) -> dict[str, Any]:
    """Hand the finished sequences to `checks` and record what they decide in `root/.synth/` (privacy.json,
    curation.json, excluded.json). Skipped ({'skipped': True}) when an earlier run of this folder already
    recorded its results, so a rerun does not audit the already-pruned set again."""
    root = Path(root)
    if checks_recorded(root):
        return {"skipped": True}
    index = finished_index(root)
    if not len(index):
        raise DataError("no finished synthetic sequences to audit", root)
    excluded = read_excluded(root)
    results = checks(index, dict(excluded), root / PREVIEWS)
    if "privacy" in results:
        reason = f"re-identifiable: nearest training identity under the FAR={results['privacy']['far'] * 100:g}% threshold"
        excluded.update({i: reason for i in results["privacy"]["dropped"]})
    if "curation" in results:
        excluded.update({p["key"]: f"pruned: {p['reason']}" for p in results["curation"]["pruned"]})
    record_checks(root, excluded, results)
    return results


def build(spec: GeneratedSpec, model: str | Path | None, out: str | Path, batch_size: int = 4,
          checks: Checks | None = None, progress: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate `spec` from `model` into `out`, run `checks` (when given) and write the manifest, partition,
    previews and dataset card. Every step says what it does through `log`.

    Returns {'main': whether this process finalized, 'generation': this shard's summary, 'checks': the check
    results ({} when none ran, {'skipped': True} when recorded earlier), 'dataset': the finalized dataset's
    summary (None on other processes), 'seconds': {'generate', 'checks', 'finalize'}}.
    """
    done = generate_shard(spec, model, out, batch_size, progress)
    out_summary: dict[str, Any] = {"main": done["main"], "generation": done, "checks": {}, "dataset": None,
                                   "seconds": {"generate": done["seconds"]}}
    if not done["main"]:
        return out_summary
    log(f"generated {done['generated']} sequences ({done['skipped']} already done) in {done['seconds']:.1f} s")
    if checks is not None:
        log("checking the generated sequences (privacy audit, curation)")
        t0 = time.perf_counter()
        res = out_summary["checks"] = run_checks(out, checks)
        out_summary["seconds"]["checks"] = time.perf_counter() - t0
        if res.get("skipped"):
            log("checks: already recorded by an earlier run of this folder")
        if "privacy" in res:
            p = res["privacy"]
            log(f"privacy: re-identification rate {p['rate']:.2f}% at FAR {p['far'] * 100:g}% (held-out real people: "
                f"{p.get('null_rate', float('nan')):.2f}%); dropped {len(p['dropped'])} identities")
        if "curation" in res:
            log(f"curation: pruned {len(res['curation']['pruned'])} of {res['curation']['sequences']} sequences")
    log("manifest, previews and dataset card")
    t0 = time.perf_counter()
    final = out_summary["dataset"] = finalize(out)
    out_summary["seconds"]["finalize"] = time.perf_counter() - t0
    log(f"{final['sequences']} sequences of {final['subjects']} identities -> {final['root']} (card {final['card']})")
    return out_summary
