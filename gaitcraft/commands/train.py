"""`gaitcraft train`: train the silhouette video diffusion generator (implementation in `diffusion/`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `train`."""
    from gaitcraft.arguments import add_partition_arguments

    p = sub.add_parser(name, help=summary, description=(
        "Train the controllable silhouette video diffusion generator from scratch on a silhouette dataset: "
        "phase 1 a small silhouette autoencoder (64x44 -> 16x11x4 latents), phase 2 the spatio-temporal UNet and "
        "the condition encoders (identity bank, clothing, carry, Fourier view) with per-factor condition "
        "dropout, EMA, bf16 autocast and gradient clipping. Runs under `accelerate` (CPU, one GPU, or "
        "`accelerate launch` for many). RUN gets config.yaml, data.json (the condition vocabulary), "
        "training_data.json (the tree, its split, the identities trained on and held out, and whether the data is "
        "real; copied into model/ for the dataset cards and privacy audits of what the model generates), log.jsonl, "
        "checkpoints/, samples/ (contact sheets every N steps) and, at the end, model/ (the pipeline for "
        "`gaitcraft generate --model RUN/model`). "
        "Rerun the same command to resume (on one process it continues exactly as an uninterrupted run, so a "
        "long CPU run can be done in pieces with the step limits below); a RUN of another config is refused."))
    p.add_argument("--data", required=True, help="OpenGait / GaitCraft tree; the TRAIN_SET of its split trains")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--config", default="default",
                   help="configs/diffusion/<NAME>.yaml or a YAML file (default: default, the shipped model's)")
    add_partition_arguments(p)
    p.add_argument("--max-steps", type=int, metavar="N",
                   help="stop the run at its step N, counting the autoencoder's steps and then the UNet's (with "
                        "autoencoder_training.steps A, N <= A stops inside phase 1 with no model yet; N = A + U "
                        "stops the UNet at its step U and exports the model); checkpointed there, and rerunning "
                        "without it (or with a larger N) continues (default: no limit)")
    p.add_argument("--max-ae-steps", type=int, metavar="N",
                   help="stop phase 1 (the autoencoder) at its step N at the latest (default: no limit)")
    p.add_argument("--max-unet-steps", type=int, metavar="N",
                   help="stop phase 2 (the UNet) at its step N at the latest and export the model there "
                        "(default: no limit)")
    return p


def run(args) -> int:
    """Build the data loader and vocabulary, then train."""
    from diffusion.clips import training_loader
    from diffusion.config import load_config
    from diffusion.training import StepLimits, train
    from gaitcraft.arguments import require_at_least_one
    from gaitcraft.factors import factors
    from gaitcraft.splits import select_training
    from gaitcraft.training_data import describe_training_data

    require_at_least_one(args, "max_steps", "max_ae_steps", "max_unet_steps")
    cfg = load_config(args.config)
    split = select_training(args.data, args.partition, args.allow_test_ids)
    for line in split.notes(args.data):
        print(line)
    index = split.index
    loader, vocab = training_loader(index, cfg.train.batch_size, cfg.train.num_frames, cfg.train.seed)
    values = "; ".join(f"{f.name} {', '.join(vocab.values(f.name))}" for f in factors("categorical"))
    print(f"training on {len(index)} sequences of {len(vocab.identities)} identities ({values})")
    limits = StepLimits(args.max_steps, args.max_ae_steps, args.max_unet_steps)
    record = describe_training_data(args.data, split)
    if record["kind"] == "real":
        print(f"note: {args.data} is real (not GaitCraft-made) data: the model and what it generates derive from it "
              "and inherit its licence (research-only for CASIA-B); recorded in RUN/training_data.json and the model")
    model = train(cfg, loader, args.out, vocab, limits=limits, training_data=record)
    if model is None:
        print(f"stopped before the UNet's first step (--max-steps / --max-ae-steps); checkpoint in {args.out}/"
              "checkpoints, no model yet: rerun without the limit (or with a larger one) to continue")
        return 0
    print(f"model -> {model}  (try: gaitcraft generate --model {model} --out out/generated)")
    return 0
