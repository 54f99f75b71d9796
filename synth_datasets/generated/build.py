"""Generation of a synthetic dataset at scale: spec -> novel identities -> sharded, batched, resumable sampling.

Under `accelerate launch`, process r of w takes every w-th sequence; each process writes only its own
sequences (pkl + manifest row), and the main process assembles the manifest, previews and card once every
shard is done. Rerunning the same command on a partial folder finishes it (resume); a folder holding another
spec or model is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelerate import PartialState

from diffusion.pipeline import GaitCraftPipeline
from synth_datasets.generated.generator import load_generator, model_conditions, model_dir, model_hash
from synth_datasets.generated.plan import SeqJob, plan_jobs, shard
from synth_datasets.generated.sampling import generate_jobs
from synth_datasets.generated.spec import GeneratedSpec, resolve_spec, spec_record
from synth_datasets.generated.store import check_output, read_excluded, remove_stale_temps


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


def build_synthetic(spec: GeneratedSpec, model: str | Path | None, out: str | Path, batch_size: int = 4,
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
