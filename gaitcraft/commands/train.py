"""`gaitcraft train`: train the silhouette video diffusion generator (implementation in `diffusion/`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `train`."""
    p = sub.add_parser(name, help=summary, description=(
        "Train the controllable silhouette video diffusion generator from scratch on a silhouette dataset: "
        "phase 1 a small silhouette autoencoder (64x44 -> 16x11x4 latents), phase 2 the spatio-temporal UNet and "
        "the condition encoders (identity bank, clothing, carry, Fourier view) with per-factor condition "
        "dropout, EMA, bf16 autocast and gradient clipping. Runs under `accelerate` (CPU, one GPU, or "
        "`accelerate launch` for many). RUN gets run_config.json, log.csv, checkpoints/, samples/ (contact "
        "sheets every N steps) and, at the end, model/ (the pipeline for `gaitcraft generate --model RUN/model`). "
        "Rerun the same command to resume; a RUN of another config is refused."))
    p.add_argument("--data", required=True, help="OpenGait / GaitCraft tree; TRAIN_SET of its partition.json is used")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--config", default="default",
                   help="configs/diffusion/<NAME>.yaml or a YAML file (default: default, the shipped model's)")
    p.add_argument("--partition", help="partition JSON (default <data>/partition.json; all sequences if absent)")
    p.add_argument("--max-steps", type=int, help="stop the UNet phase at this step (checkpoint + export); "
                   "rerun without it to continue to the config's steps")
    return p


def run(args) -> int:
    """Build the data loader and vocabulary, then train."""
    from diffusion.clips import training_loader
    from diffusion.config import load_config
    from diffusion.train import train
    from gaitcraft.config_build import config_file
    from gaitcraft.dataset import open_split

    cfg = load_config(config_file("diffusion", args.config))
    index = open_split(args.data, "train", args.partition)
    loader, vocab = training_loader(index, cfg.train.batch_size, cfg.train.num_frames, cfg.train.seed)
    print(f"training on {len(index)} sequences of {len(vocab.identities)} identities "
          f"(clothing {', '.join(vocab.clothing)}; carry {', '.join(vocab.carry)})")
    model = train(cfg, loader, args.out, vocab, max_steps=args.max_steps)
    print(f"model -> {model}  (try: gaitcraft generate --model {model} --out out/generated)")
    return 0
