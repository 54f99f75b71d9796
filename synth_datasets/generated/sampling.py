"""Batched sampling of a shard's jobs into an OpenGait tree, resumable and batch-independent.

A batch is fixed by the shard's job order, not by what is left to do: a batch with any unfinished sequence is
generated whole (each sequence with its own generator) and only the missing files are written. So a resumed
run computes every sequence in exactly the batch it would have had in an uninterrupted run, and writes
identical bytes. Each sequence's pkl is written first, then its manifest row, both atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from diffusion.guidance import Guidance
from diffusion.pipeline import GaitCraftPipeline
from gaitcraft.io.opengait_tree import write_opengait_sequence
from gaitcraft.types import SequenceLabels
from synth_datasets.generated.plan import SeqJob, batches, generators
from synth_datasets.generated.store import is_done, is_excluded, write_row


def generate_jobs(pipe: GaitCraftPipeline, root: str | Path, jobs: list[SeqJob],
                  labels: Callable[[SeqJob], SequenceLabels], seed: int, frames: int, steps: int, guidance: Guidance, batch_size: int = 4,
                  progress: bool = True, overwrite: bool = False, excluded: dict[str, str] | None = None) -> dict:
    """Generate every unfinished job of `jobs` (this shard's, in order) into `root`.

    labels: job -> `SequenceLabels` (with provenance) written to the manifest row.
    overwrite: regenerate and rewrite finished sequences too (`gaitcraft generate`).
    excluded: sequences/subjects dropped by curation (`store.read_excluded`): counted as finished, never
              written, but kept in their batches so the other sequences' batches do not change.
    Returns {'generated', 'skipped', 'seconds'}.
    """
    root = Path(root)
    excluded = excluded or {}

    def finished(job: SeqJob) -> bool:
        return not overwrite and (is_excluded(excluded, job.key) or is_done(root, job.key))

    todo = [b for b in batches(jobs, batch_size) if not all(finished(j) for j in b)]
    skipped = len(jobs) - sum(len(b) for b in todo)
    bar = tqdm(total=sum(len(b) for b in todo), desc="generate", unit="seq", disable=not progress)
    written, t0 = 0, time.perf_counter()
    try:
        for batch in todo:
            calls = [j.pipeline_conditions() for j in batch]
            out = pipe(**{name: [c[name] for c in calls] for name in calls[0]}, num_frames=frames,
                       num_inference_steps=steps, guidance_scale=guidance,
                       generator=generators(seed, batch)).sequences  # [b, t, 64, 64] uint8
            for job, frames_u8 in zip(batch, out):
                if finished(job):
                    skipped += 1
                    continue
                lab = labels(job)
                write_opengait_sequence(root, lab, frames_u8)
                write_row(root, lab, len(frames_u8))
                written += 1
            bar.update(len(batch))
    finally:
        bar.close()
    return {"generated": written, "skipped": skipped, "seconds": time.perf_counter() - t0}
