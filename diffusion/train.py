"""`train(config, data, out_dir, vocab)`: the two-phase training of the generator under `accelerate`.

Phase 1 trains the silhouette autoencoder, phase 2 the UNet and the condition encoder on its frozen latents.
The same code runs on CPU, one GPU or many (`accelerate launch`). The run folder holds `run_config.json`,
`log.csv`, `checkpoints/`, `samples/` and, at the end, `model/` (the pipeline with EMA weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch

from conditioning.vocab import ConditionVocab
from diffusion.checkpoint import load_checkpoint
from diffusion.config import ExperimentConfig, load_config
from diffusion.runlog import CsvLog, check_run_config
from diffusion.train_ae import autoencoder_phase
from diffusion.train_unet import diffusion_phase
from diffusion.trainctx import StepLimits, TrainContext, batch_stream, build_models
from diffusion.warm_start import warm_start
from gaitcraft.precision import make_accelerator


def train(config: ExperimentConfig | str | Path, data: Iterable[dict], out_dir: str | Path,
          vocab: ConditionVocab, max_steps: int | None = None, limits: StepLimits | None = None) -> Path | None:
    """Train (or resume) a generator in `out_dir` and return the exported model folder `out_dir/model`, or None
    when a limit stopped the run before the UNet's first step (nothing to export yet).

    data:  an iterable (re-iterated every epoch) of dicts {"sil": uint8 [b, t, 64, 64|44] or float, and per
           declared factor its label field: "subject": list[str], "clothing": list[str], "carry": list[str],
           "view": float tensor [b]}.
    vocab: the condition vocabulary of the training set (`ConditionVocab.from_labels`).
    Resuming happens automatically when `out_dir` holds a checkpoint of the same config, and continues exactly
    as an uninterrupted run would (same batches, noise and weights) when `data` is a re-iterable seeded source
    such as `diffusion.clips.training_loader`'s, on one process. With `train.init_from`, phase 2 starts from that
    model folder's weights and phase 1 is skipped.
    limits: where this session stops early, checkpointed (`StepLimits`: the whole run's steps over both phases
    and each phase's last step); rerun without them to go on. `max_steps` is `StepLimits(total=max_steps)`.
    """
    cfg = config if isinstance(config, ExperimentConfig) else load_config(config)
    out = Path(out_dir)
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    accelerator = make_accelerator(cfg.train.mixed_precision)
    if isinstance(data, torch.utils.data.DataLoader):
        data = accelerator.prepare_data_loader(data)  # each process reads its own shard
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        check_run_config(out, {"config": cfg.to_dict(), "vocab": vocab.to_dict()})
    accelerator.wait_for_everyone()
    torch.manual_seed(cfg.train.seed)  # identical model init on every process
    ae, unet, enc = build_models(cfg, vocab)
    if cfg.train.init_from:
        warm_start(cfg.train.init_from, ae, unet, enc)  # a resumed checkpoint past step 0 overrides these weights
    resume = load_checkpoint(out / "checkpoints")
    first = "diffusion" if cfg.train.init_from else "autoencoder"
    phase, step = (resume[1]["phase"], resume[1]["step"]) if resume else (first, 0)
    generator = torch.Generator().manual_seed(cfg.train.seed + 1000 * accelerator.process_index)
    log = CsvLog(out / "log.csv", phase, step) if accelerator.is_main_process else None
    limits = limits or StepLimits(total=max_steps)
    skip = resume[1].get("batches", 0) if resume else 0  # checkpoints from before the count: the stream restarts
    ctx = TrainContext(cfg, accelerator, out, ae.to(accelerator.device), unet.to(accelerator.device),
                       enc.to(accelerator.device), generator,
                       batch_stream(data, cfg.train.num_frames, accelerator.device, skip), log, resume, limits)
    if phase == "autoencoder" and not autoencoder_phase(ctx):
        return None
    return diffusion_phase(ctx)
