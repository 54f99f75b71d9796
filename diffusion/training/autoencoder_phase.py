"""Phase 1: train the per-frame silhouette autoencoder (BCE + soft Dice, noise on the latent), then set its
latent scaling factor so the diffusion phase sees unit-variance latents."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.loading import load_model
from diffusion.training.context import TrainContext
from gaitcraft.errors import ConfigError


def autoencoder_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float) -> tuple[torch.Tensor, float]:
    """(BCE + dice_weight * (1 - soft Dice), IoU of the thresholded masks) for `[n, 1, h, w]` logits and 0/1 targets."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    inter = (prob * target).flatten(1).sum(1)
    dice = (2 * inter + 1.0) / (prob.flatten(1).sum(1) + target.flatten(1).sum(1) + 1.0)  # [n]
    hard = (logits > 0).float()
    iou = ((hard * target).sum() / ((hard + target).clamp(max=1).sum()).clamp(min=1)).item()
    return bce + dice_weight * (1 - dice.mean()), iou


def sample_frames(sil: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """`n` random frames `[n, 1, h, w]` from clips `[b, t, h, w]` (with replacement)."""
    frames = sil.reshape(-1, 1, *sil.shape[2:])
    idx = torch.randint(0, frames.shape[0], (n,), generator=generator)
    return frames[idx.to(frames.device)]


@torch.no_grad()
def latent_scale(ctx: TrainContext, batches: int = 8) -> float:
    """1 / std of the latents over a few training batches (averaged over processes)."""
    ae = ctx.accelerator.unwrap_model(ctx.autoencoder).eval()
    var = torch.zeros((), device=ctx.accelerator.device)
    for _ in range(batches):
        with ctx.accelerator.autocast():
            var += ae.encode_video(next(ctx.batches).sil).float().var() / batches
    var = ctx.accelerator.reduce(var, reduction="mean")
    return float(1.0 / var.sqrt().clamp(min=1e-4))


def autoencoder_phase(ctx: TrainContext) -> bool:
    """Train the autoencoder for `autoencoder_training.steps` steps (resuming if a checkpoint says so); returns
    False when `ctx.limits` stopped it earlier (checkpointed there, so a rerun continues)."""
    cfg, acc = ctx.cfg.autoencoder_training, ctx.accelerator
    if cfg.pretrained:
        use_pretrained(ctx, Path(cfg.pretrained))
        return True
    ae = ctx.autoencoder.train()
    opt = torch.optim.AdamW(ae.parameters(), lr=cfg.lr)
    model, opt = acc.prepare(ae, opt)
    step = 0
    if ctx.resume is not None:
        step = ctx.restore()[0]["phase_step"]
    latent_shape = (cfg.batch_frames, ae.config.latent_channels, *ae.latent_size)
    stop = ctx.limits.stop("autoencoder", cfg.steps)
    progress = ctx.progress("autoencoder", step, stop, cfg.batch_frames)
    while step < stop:
        frames = sample_frames(next(ctx.batches).sil, cfg.batch_frames, ctx.generator)  # [n, 1, 64, 44]
        noise = (cfg.latent_noise * torch.randn(latent_shape, generator=ctx.generator)).to(frames.device)
        with acc.autocast():
            logits = model(frames, noise)
        loss, iou = autoencoder_loss(logits.float(), frames, cfg.dice_weight)
        acc.backward(loss)
        grad_norm = acc.clip_grad_norm_(model.parameters(), ctx.cfg.train.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        progress.update(step, {"loss": loss.item(), "iou": iou, "lr": cfg.lr, "grad_norm": float(grad_norm)})
        if (step % ctx.cfg.train.checkpoint_every == 0 or step == stop) and step < cfg.steps:
            ctx.checkpoint("autoencoder", step)
    progress.close()
    if step < cfg.steps:
        return False
    ctx.autoencoder = acc.unwrap_model(model).eval().requires_grad_(False)
    ctx.autoencoder.register_to_config(scaling_factor=latent_scale(ctx))
    end_phase(ctx)
    return True


def end_phase(ctx: TrainContext) -> None:
    """Phase 2 starts from here: it resumes from nothing, and accelerate forgets phase 1's model and optimizer
    (so phase 2's checkpoints hold the same objects whether or not phase 1 ran in this process)."""
    ctx.resume = None
    ctx.accelerator.free_memory()


def use_pretrained(ctx: TrainContext, folder: Path) -> None:
    """Take a trained autoencoder (a model folder or its `autoencoder/` component) instead of phase 1."""
    folder = folder / "autoencoder" if (folder / "autoencoder").is_dir() else folder
    ae = load_model(SilhouetteAutoencoder, folder, "autoencoder")
    want = ctx.autoencoder.config.latent_channels
    if ae.config.latent_channels != want:
        raise ConfigError(f"pretrained autoencoder has {ae.config.latent_channels} latent channels, the config {want}",
                          folder)
    ctx.autoencoder = ae.to(ctx.accelerator.device).requires_grad_(False)
    end_phase(ctx)
