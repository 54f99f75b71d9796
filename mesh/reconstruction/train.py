"""Train the reconstructor on the procedural dataset's ground truth, on CPU or GPU under `accelerate`.

`train(config, data, out_dir)` trains on the training partition of a GaitCraft procedural tree (or on an
index you pass) in the run folder `out_dir` (layout: `gaitcraft.training`) and leaves `out_dir/model/`
(`model.safetensors` + `meta.json`, loadable with `mesh.reconstruction.api.load_reconstructor`). Checkpoints every
`save_every` steps hold what accelerate saves (weights, optimizer, RNGs) and the clip sampler's NumPy RNG, so a
resumed run sees exactly the batches an uninterrupted one does.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gaitcraft.dataset import DatasetIndex
from gaitcraft.splits import training_index as split_training_index
from gaitcraft.training import TrainingRun, data_fingerprint, load_config
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
          max_steps: int | None = None, progress: bool = True, partition: str | Path | None = None,
          allow_test_ids: bool = False) -> dict[str, Any]:
    """Train (or resume) a reconstructor; returns a summary (steps, seconds, last losses, sequences).

    A dataset folder trains on the TRAIN_SET of its split (`partition`, else its partition.json; see
    `gaitcraft.partition`); an index trains on all its sequences.

    `max_steps` stops early; the run stays resumable up to `config.train.total_steps`, and the weights at
    the stopping point are written as the run's model (meta `finished: false`).
    """
    if not isinstance(config, ReconstructionConfig):
        config = load_config(config, ReconstructionConfig, command="mesh train")
    cfg = config
    t = cfg.train
    index = training_index(data, partition, allow_test_ids)  # before the body model: a bad split fails fast
    setup = make_body_setup(cfg.model)
    clips = ReconClips(index, t.frames, setup.body, setup.vertex_ids, setup.joint_bones, t.seed)
    run = TrainingRun(out_dir, cfg, {"sequences": data_fingerprint(clips.records)},
                      mixed_precision=t.mixed_precision, keep_checkpoints=t.keep_checkpoints, progress=progress)
    torch.manual_seed(t.seed)
    model = build_model(cfg.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    acc = run.accelerator
    model = model.to(memory_format=torch.channels_last)
    model, optimizer = acc.prepare(model, optimizer)
    if state := run.restore():
        clips.rng.bit_generator.state = state["rng"]
    layer, joint_bones = setup.layer.to(acc.device), torch.as_tensor(setup.joint_bones)
    stop = min(max_steps or t.total_steps, t.total_steps)
    step, info = run.start_step, {}
    bar = run.progress(stop, step, desc=cfg.name, log_every=t.log_every, show=("loss", "mpjpe_mm"),
                       samples_per_step=t.batch_size * acc.num_processes)
    model.train()
    while step < stop:
        batch = {k: v.to(acc.device) for k, v in clips.batch(t.batch_size).items()}
        idx = torch.from_numpy(np.sort(clips.rng.choice(t.frames, t.decode_frames, replace=False)))
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step, cfg)
        out = model(batch["sil"], view_R=batch["view_R"][:, idx], frame_idx=idx)
        loss, info = reconstruction_loss(out, batch, layer, cfg.loss, joint_bones, idx)
        optimizer.zero_grad(set_to_none=True)
        acc.backward(loss)
        acc.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        optimizer.step()
        step += 1
        info = {"loss": float(loss.detach()), **info, "lr": optimizer.param_groups[0]["lr"]}
        bar.update(step, info)
        if step % t.save_every == 0 or step == stop:
            run.save(step, {"rng": clips.rng.bit_generator.state})
    bar.close()
    summary = {"steps": step, "train_seconds": run.train_seconds, "session_seconds": bar.seconds,
               "sequences": len(clips), "last": info}
    run.save_model(model, setup.meta() | {"kind": "reconstructor", "config": cfg.to_dict(), "step": step,
                                          "camera_side": clips.side,  # the side its walkers were filmed from
                                          "finished": step >= t.total_steps,
                                          "data": run.data["sequences"], "summary": summary})
    return summary
