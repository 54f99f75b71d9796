"""The training loop shared by the recognizer and the attribute classifiers, under `accelerate`.

CPU (bf16 autocast on AMX), one GPU or many (`accelerate launch`) run the same code; with several processes
each draws its own P x K batches. Checkpoints every `save_every` steps hold model, optimizer, torch RNG and
the NumPy RNG states of the sampler and the clip dataset, so a resumed single-process run with
`num_workers: 0` continues with exactly the batches an uninterrupted one sees (with loader workers or
several processes, the resumed batches are drawn afresh).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from gaitcraft.dataset import PKSampler, SequenceRecord
from gaitcraft.errors import CheckpointError
from gaitcraft.io.run_checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint
from gaitcraft.precision import make_accelerator

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
class LoopSpec:
    """What the loop needs to know beyond the model: length, precision, checkpointing."""

    total_steps: int
    save_every: int
    keep_checkpoints: int = 2
    log_every: int = 10
    mixed_precision: str = "bf16"  # 'no' | 'bf16' | 'fp16' (GPU only)
    num_workers: int = 0
    fingerprint: dict | None = None  # config + data identity; a resume from another one is refused


def collate_clips(items: list[dict]) -> dict[str, torch.Tensor]:
    """Stack ClipDataset items: {'sil': uint8 [n, t, 64, 44], 'index': long [n]}."""
    return {"sil": torch.stack([it["sil"] for it in items]), "index": torch.tensor([it["index"] for it in items])}


def _seed_worker(worker_id: int) -> None:
    """DataLoader worker init: give each worker's copy of the clip dataset its own frame-sampling RNG."""
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng([info.seed % 2**32, worker_id])



def _load_checked(model: torch.nn.Module, weights: dict[str, torch.Tensor], where: str) -> None:
    """Load weights after OpenGait-style key checks (names the mismatching keys)."""
    from eval.models.opengait_checkpoint import check_state_dict

    check_state_dict(model, weights, where)
    model.load_state_dict(weights)


def run_loop(run_dir: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
             dataset: Any, sampler: Any, step_fn: StepFn, spec: LoopSpec, resume: bool = True,
             progress: bool = True, desc: str = "train") -> dict[str, Any]:
    """Train until `spec.total_steps`, resuming from the newest checkpoint in `run_dir` when asked.

    `dataset` and `sampler` must expose a NumPy Generator as `.rng` and the sampler a `.batches` count.
    Returns {'steps', 'start_step', 'seconds' (this session), 'train_seconds' (all sessions), 'last': info}.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    accelerator = make_accelerator(spec.mixed_precision)
    start, train_seconds = 0, 0.0
    ckpt = latest_checkpoint(run_dir) if resume else None
    if ckpt is not None:
        state = load_checkpoint(ckpt, model, optimizer, load=_load_checked)
        if spec.fingerprint is not None and state.get("fingerprint") != spec.fingerprint:
            raise CheckpointError("checkpoint was made with another config or data; use a new --out folder", ckpt)
        start, train_seconds = int(state["step"]), float(state.get("train_seconds", 0.0))
        dataset.rng.bit_generator.state = state["rng"]["dataset"]
        sampler.rng.bit_generator.state = state["rng"]["sampler"]
        scheduler.last_epoch = start
    if accelerator.num_processes > 1:  # each process draws its own batches, derived from the shared state
        rank = accelerator.process_index
        sampler.rng = np.random.default_rng([int(sampler.rng.integers(2**62)), rank])
        dataset.rng = np.random.default_rng([int(dataset.rng.integers(2**62)), rank])
    sampler.batches = max(spec.total_steps - start, 0)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_clips, num_workers=spec.num_workers,
                        worker_init_fn=_seed_worker if spec.num_workers > 0 else None)
    model = model.to(memory_format=torch.channels_last)
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    step, info, t0 = start, {}, time.perf_counter()
    bar = tqdm(total=spec.total_steps, initial=start, desc=desc, disable=not (progress and accelerator.is_main_process))
    log_path = run_dir / "train_log.jsonl"

    def checkpoint() -> None:
        if accelerator.is_main_process:
            state = {"fingerprint": spec.fingerprint, "train_seconds": train_seconds + time.perf_counter() - t0,
                     "rng": {"dataset": dataset.rng.bit_generator.state, "sampler": sampler.rng.bit_generator.state}}
            save_checkpoint(run_dir, step, accelerator.unwrap_model(model), optimizer.optimizer, state,
                            spec.keep_checkpoints)

    for batch in loader:
        batch = {k: v.to(accelerator.device) for k, v in batch.items()}
        loss, info = step_fn(model, batch)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        optimizer.step()
        scheduler.step()
        step += 1
        info = {"loss": float(loss.detach()), **info, "lr": optimizer.param_groups[0]["lr"]}
        rate = (step - start) / max(time.perf_counter() - t0, 1e-9)
        bar.set_postfix(loss=f"{info['loss']:.3f}", it_s=f"{rate:.2f}")
        bar.update(1)
        if accelerator.is_main_process and (step % spec.log_every == 0 or step == spec.total_steps):
            with log_path.open("a") as fh:
                fh.write(json.dumps({"step": step, **info}) + "\n")
        if step % spec.save_every == 0 or step == spec.total_steps:
            checkpoint()
    bar.close()
    seconds = time.perf_counter() - t0
    return {"steps": step, "start_step": start, "seconds": seconds, "train_seconds": train_seconds + seconds,
            "last": info, "model": accelerator.unwrap_model(model)}
