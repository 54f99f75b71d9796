"""The P x K training loop shared by the recognizer, the fused recognizer and the attribute classifiers, on the
training kit (`gaitcraft.training`).

CPU (bf16 autocast where it is fast), one GPU or many (`accelerate launch`) run the same code; with several
processes each draws its own P x K batches. Checkpoints hold what accelerate saves (model, SGD state, LR
schedule, RNGs) and the NumPy RNG states of the sampler and the clip dataset, so a resumed single-process run
with `num_workers: 0` continues with exactly the batches an uninterrupted one sees (with loader workers or
several processes, the resumed batches are drawn afresh).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from gaitcraft.dataset import ClipDataset, DatasetIndex, PKSampler, SequenceRecord
from gaitcraft.errors import DataError
from gaitcraft.training import TrainingRun, data_fingerprint

StepFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], tuple[torch.Tensor, dict[str, float]]]


def pk_sampler(records: list[SequenceRecord], train) -> PKSampler:
    """The P x K batch sampler of a config's `train` section over `records`: balanced across data sources when
    `train.source_balance` is set, with fixed identities per source when `train.source_p` is."""
    shares = train.source_p
    grouped = train.source_balance or shares is not None
    groups = [r.labels.source for r in records] if grouped else None
    p = sum(shares.values()) if shares else train.p
    return PKSampler([r.labels.subject for r in records], p, train.k, seed=train.seed, groups=groups, takes=shares)


@dataclass
class PKRun:
    """A P x K training session: the kit's run, the records it trains on, its sampler and clip dataset."""

    run: TrainingRun
    records: list[SequenceRecord]
    sampler: PKSampler
    dataset: ClipDataset


def start_pk_run(cfg, index: DatasetIndex, out_dir: str | Path, progress: bool, data: dict[str, Any] | None = None,
                 clips: type[ClipDataset] = ClipDataset) -> PKRun:
    """Claim the run folder for `cfg` on `index`'s sequences (plus the `data` identity entries), build the sampler
    and the `clips` dataset, and seed torch for the model's initialisation."""
    cfg.check()
    records = list(index.records)
    if not records:
        raise DataError("no training sequences in the index")
    t = cfg.train
    sampler = pk_sampler(records, t)  # refuses data too small for P x K before the folder is claimed
    run = TrainingRun(out_dir, cfg, {"sequences": data_fingerprint(records), **(data or {})},
                      mixed_precision=t.mixed_precision, keep_checkpoints=t.keep_checkpoints, progress=progress)
    dataset = clips(records, frames=t.frames, sampling=t.sampling, cut=True, seed=t.seed + 1)
    torch.manual_seed(t.seed)
    return PKRun(run, records, sampler, dataset)


def sgd_schedule(model: torch.nn.Module, optim) -> tuple[torch.optim.Optimizer, Any]:
    """OpenGait's SGD with momentum and its MultiStepLR, from a config's `optim` section."""
    optimizer = torch.optim.SGD(model.parameters(), lr=optim.lr, momentum=optim.momentum,
                                weight_decay=optim.weight_decay)
    return optimizer, torch.optim.lr_scheduler.MultiStepLR(optimizer, list(optim.milestones), optim.gamma)


def collate_clips(items: list[dict]) -> dict[str, torch.Tensor]:
    """Stack ClipDataset items: {'sil': uint8 [n, t, 64, 44], 'index': long [n]}."""
    return {"sil": torch.stack([it["sil"] for it in items]), "index": torch.tensor([it["index"] for it in items])}


def _seed_worker(worker_id: int) -> None:
    """DataLoader worker init: give each worker's copy of the clip dataset its own frame-sampling RNG."""
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng([info.seed % 2**32, worker_id])


def run_loop(pk: PKRun, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, step_fn: StepFn,
             train, max_steps: int | None = None, desc: str = "train") -> dict[str, Any]:
    """Train until `train.total_steps` (or `max_steps`, checkpointed there), resuming from the run's latest
    checkpoint. Returns {'steps', 'start_step', 'seconds' (this session),
    'train_seconds' (all sessions), 'last': the last step's numbers, 'model': the trained module}."""
    run, dataset, sampler = pk.run, pk.dataset, pk.sampler
    acc = run.accelerator
    stop = min(max_steps or train.total_steps, train.total_steps)
    model = model.to(memory_format=torch.channels_last)
    model, optimizer, scheduler = acc.prepare(model, optimizer, scheduler)
    state = run.restore()
    start = run.start_step
    if state:
        dataset.rng.bit_generator.state = state["rng"]["dataset"]
        sampler.rng.bit_generator.state = state["rng"]["sampler"]
    if acc.num_processes > 1:  # each process draws its own batches, derived from the shared state
        rank = acc.process_index
        sampler.rng = np.random.default_rng([int(sampler.rng.integers(2**62)), rank])
        dataset.rng = np.random.default_rng([int(dataset.rng.integers(2**62)), rank])
    sampler.batches = max(stop - start, 0)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_clips, num_workers=train.num_workers,
                        worker_init_fn=_seed_worker if train.num_workers > 0 else None)
    model.train()
    step, info = start, {}
    bar = run.progress(stop, start, desc=desc, log_every=train.log_every,
                       samples_per_step=sampler.p * sampler.k * acc.num_processes)
    for batch in loader:
        batch = {k: v.to(acc.device) for k, v in batch.items()}
        loss, info = step_fn(model, batch)
        optimizer.zero_grad(set_to_none=True)
        acc.backward(loss)
        optimizer.step()
        scheduler.step()
        step += 1
        info = {"loss": float(loss.detach()), **info, "lr": optimizer.param_groups[0]["lr"]}
        bar.update(step, info)
        if step % train.save_every == 0 or step == stop:
            run.save(step, {"rng": {"dataset": dataset.rng.bit_generator.state,
                                    "sampler": sampler.rng.bit_generator.state}})
    bar.close()
    return {"steps": step, "start_step": start, "seconds": bar.seconds, "train_seconds": run.train_seconds,
            "last": info, "model": acc.unwrap_model(model)}
