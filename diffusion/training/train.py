"""`train(config, data, out_dir, vocab)`: the two-phase training of the generator on the training kit.

Phase 1 trains the silhouette autoencoder, phase 2 the UNet and the condition encoder on its frozen latents.
The same code runs on CPU, one GPU or many (`accelerate launch`). The run folder has the kit's layout
(`gaitcraft.training`: config.yaml, data.json with the condition vocabulary, log.jsonl, checkpoints/), plus
`samples/` and, at the end, `model/` (the pipeline with EMA weights). The log's and the checkpoints' `step` counts
the run's steps, the autoencoder's then the UNet's; each record also names its `phase` and `phase_step`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from conditioning.vocab import ConditionVocab
from diffusion.config import ExperimentConfig, load_config
from diffusion.training.autoencoder_phase import autoencoder_phase
from diffusion.training.context import StepLimits, TrainContext, batch_stream, build_models
from diffusion.training.unet_phase import diffusion_phase
from diffusion.training.warm_start import warm_start
from gaitcraft.training import TrainingRun
from gaitcraft.training_data import TRAINING_DATA_FILE, write_training_data


def train(config: ExperimentConfig | str | Path, data: Iterable[dict], out_dir: str | Path,
          vocab: ConditionVocab, max_steps: int | None = None, limits: StepLimits | None = None,
          training_data: dict[str, Any] | None = None) -> Path | None:
    """Train (or resume) a generator in `out_dir` and return the exported model folder `out_dir/model`, or None
    when a limit stopped the run before the UNet's first step (nothing to export yet).

    data:  an iterable (re-iterated every epoch) of dicts {"sil": uint8 [b, t, 64, 64|44] or float, and per
           declared factor its label field: "subject": list[str], "clothing": list[str], "carry": list[str],
           "view": float tensor [b]}.
    vocab: the condition vocabulary of the training set (`ConditionVocab.from_labels`).
    Resuming happens automatically when `out_dir` holds a checkpoint of the same config and vocabulary (another is
    refused in one line), and continues exactly as an uninterrupted run would (same batches, noise and weights)
    when `data` is a re-iterable seeded source such as `diffusion.clips.training_loader`'s, on one process. With `train.init_from`, phase 2 starts from that
    model folder's weights and phase 1 is skipped.
    limits: where this session stops early, checkpointed (`StepLimits`: the whole run's steps over both phases
    and each phase's last step); rerun without them to go on. `max_steps` is `StepLimits(total=max_steps)`.
    training_data: the record of what data trains the model (`gaitcraft.training_data.describe_training_data`):
    written as `training_data.json` into the run folder once the folder is claimed, and into the exported model.
    """
    cfg = config if isinstance(config, ExperimentConfig) else load_config(config)
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    run = TrainingRun(out_dir, cfg, {"vocab": vocab.to_dict()}, mixed_precision=cfg.train.mixed_precision,
                      keep_checkpoints=cfg.train.keep_checkpoints)
    accelerator = run.accelerator
    model_files = {}
    if training_data is not None:
        model_files[TRAINING_DATA_FILE] = json.dumps(training_data, indent=1, sort_keys=True)
        if run.is_main:
            write_training_data(run.folder.root, training_data)
    if isinstance(data, torch.utils.data.DataLoader):
        data = accelerator.prepare_data_loader(data)  # each process reads its own shard
    torch.manual_seed(cfg.train.seed)  # identical model init on every process
    ae, unet, enc = build_models(cfg, vocab)
    if cfg.train.init_from:
        notes = warm_start(cfg.train.init_from, ae, unet, enc)  # a resumed checkpoint past step 0 overrides these
        if run.is_main and notes and not run.state:  # said once, when the run starts
            print(f"warm start from {cfg.train.init_from}: " + "; ".join(notes), file=sys.stderr)
    phase = run.state.get("phase", "diffusion" if cfg.train.init_from else "autoencoder")
    generator = torch.Generator().manual_seed(cfg.train.seed + 1000 * accelerator.process_index)
    batches = batch_stream(data, cfg.train.num_frames, accelerator.device, run.state.get("batches", 0))
    ctx = TrainContext(cfg, run, ae.to(accelerator.device), unet.to(accelerator.device), enc.to(accelerator.device),
                       generator, batches, run.checkpoint, limits or StepLimits(total=max_steps), model_files)
    if phase == "autoencoder" and not autoencoder_phase(ctx):
        return None
    return diffusion_phase(ctx)
