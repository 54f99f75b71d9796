"""Train the reconstructor on the procedural dataset's ground truth, on CPU or GPU under `accelerate`.

`train(config, data, out_dir)` trains on the training partition of a GaitCraft procedural tree (or on an
index you pass) and leaves `out_dir/model.safetensors` + `meta.json` (loadable with
`mesh.reconstruction.api.load_reconstructor`). Checkpoints every `save_every` steps hold weights, optimizer,
torch RNG and the clip sampler's NumPy RNG, so a resumed run sees exactly the batches an uninterrupted one does.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import CheckpointError
from gaitcraft.io.run_checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint, save_final
from gaitcraft.precision import make_accelerator
from gaitcraft.splits import training_index as split_training_index
from gaitcraft.training import load_config
from mesh.reconstruction.config import ReconstructionConfig
from mesh.reconstruction.data import ReconClips
from mesh.reconstruction.losses import reconstruction_loss
from mesh.reconstruction.setup import build_model, make_body_setup


def training_index(data: str | Path | DatasetIndex, partition: str | Path | None = None,
                   allow_test_ids: bool = False) -> DatasetIndex:
    """The training sequences: an index as given, or the TRAIN_SET of a dataset folder's split
    (`gaitcraft.partition`: `partition`, else its partition.json; a folder with neither is refused)."""
    return data if isinstance(data, DatasetIndex) else split_training_index(data, partition, allow_test_ids)


def lr_at(step: int, cfg: ReconstructionConfig) -> float:
    """Linear warm-up, then cosine decay to 5 % of the peak at `total_steps`."""
    o, total = cfg.optim, cfg.train.total_steps
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    frac = (step - o.warmup_steps) / max(1, total - o.warmup_steps)
    return o.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))



def train(config: ReconstructionConfig | str | Path, data: str | Path | DatasetIndex, out_dir: str | Path, *,
          max_steps: int | None = None, resume: bool = True, progress: bool = True,
          partition: str | Path | None = None, allow_test_ids: bool = False) -> dict[str, Any]:
    """Train (or resume) a reconstructor; returns a summary (steps, seconds, last losses, sequences).

    A dataset folder trains on the TRAIN_SET of its split (`partition`, else its partition.json; see
    `gaitcraft.partition`); an index trains on all its sequences.

    `max_steps` stops early; the run stays resumable up to `config.train.total_steps`, and the weights at
    the stopping point are written as a finished run (meta `finished: false`).
    """
    cfg = config if isinstance(config, ReconstructionConfig) else load_config(config, ReconstructionConfig)
    t = cfg.train
    out_dir = Path(out_dir)
    index = training_index(data, partition, allow_test_ids)  # before the body model: a bad split fails fast
    setup = make_body_setup(cfg.model)
    clips = ReconClips(index, t.frames, setup.body, setup.vertex_ids, setup.joint_bones, t.seed)
    keys = sorted(json.dumps(r.labels.to_json(), sort_keys=True, default=str) for r in clips.records)
    fingerprint = {"config": cfg.to_dict(), "data": hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]}
    torch.manual_seed(t.seed)
    model = build_model(cfg.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    start, seconds_before = 0, 0.0
    ckpt = latest_checkpoint(out_dir) if resume else None
    if ckpt is not None:
        state = load_checkpoint(ckpt, model, optimizer)
        if state.get("fingerprint") != fingerprint:
            raise CheckpointError("checkpoint was made with another config or data; use a new output folder", ckpt)
        start, seconds_before = int(state["step"]), float(state["train_seconds"])
        clips.rng.bit_generator.state = state["rng"]
    accelerator = make_accelerator(t.mixed_precision)
    model = model.to(memory_format=torch.channels_last)
    model, optimizer = accelerator.prepare(model, optimizer)
    layer, joint_bones = setup.layer.to(accelerator.device), torch.as_tensor(setup.joint_bones)
    stop = min(max_steps or t.total_steps, t.total_steps)
    bar = tqdm(total=stop, initial=start, desc=cfg.name, disable=not (progress and accelerator.is_main_process))
    t0, step, info = time.perf_counter(), start, {}
    model.train()
    while step < stop:
        batch = {k: v.to(accelerator.device) for k, v in clips.batch(t.batch_size).items()}
        idx = torch.from_numpy(np.sort(clips.rng.choice(t.frames, t.decode_frames, replace=False)))
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step, cfg)
        out = model(batch["sil"], view_R=batch["view_R"][:, idx], frame_idx=idx)
        loss, info = reconstruction_loss(out, batch, layer, cfg.loss, joint_bones, idx)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        optimizer.step()
        step += 1
        info = {"loss": float(loss.detach()), **info, "lr": optimizer.param_groups[0]["lr"]}
        bar.set_postfix(loss=f"{info['loss']:.3f}", mpjpe=f"{info['mpjpe_mm']:.0f}mm")
        bar.update(1)
        if accelerator.is_main_process and (step % t.log_every == 0 or step == stop):
            out_dir.mkdir(parents=True, exist_ok=True)
            with (out_dir / "train_log.jsonl").open("a") as fh:
                fh.write(json.dumps({"step": step, **info}) + "\n")
        if accelerator.is_main_process and (step % t.save_every == 0 or step == stop):
            state = {"fingerprint": fingerprint, "train_seconds": seconds_before + time.perf_counter() - t0,
                     "rng": clips.rng.bit_generator.state}
            save_checkpoint(out_dir, step, accelerator.unwrap_model(model), optimizer.optimizer, state,
                            t.keep_checkpoints)
    bar.close()
    seconds = time.perf_counter() - t0
    summary = {"steps": step, "train_seconds": seconds_before + seconds, "session_seconds": seconds,
               "sequences": len(clips), "last": info}
    if accelerator.is_main_process:
        meta = setup.meta() | {"kind": "reconstructor", "config": cfg.to_dict(), "step": step,
                               "finished": step >= t.total_steps, "data": fingerprint["data"], "summary": summary}
        save_final(out_dir, accelerator.unwrap_model(model), meta)
    return summary
