"""Phase 2: train the UNet and the condition encoder on frozen autoencoder latents (EMA, min-SNR loss,
per-factor condition dropout), writing checkpoints, sample sheets and finally the exported pipeline."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel

from conditioning.encoders import drop_masks
from diffusion.conditioned_unet import ConditionedUNet
from diffusion.pipeline import GaitCraftPipeline
from diffusion.schedule import diffusion_loss, loss_weights, scheduler_from_config, training_target
from diffusion.training.context import TrainContext
from diffusion.training.export import export_pipeline
from diffusion.training.latent_cache import FrameLatentCache
from diffusion.training.samples import write_sample_sheet


def _resume(ctx: TrainContext, ema: EMAModel) -> int:
    """Load the diffusion-phase checkpoint `ctx.resume` (after `accelerator.prepare`); returns its step."""
    state, tensors = ctx.restore()
    ctx.autoencoder.load_state_dict(tensors["autoencoder"])
    ctx.autoencoder.register_to_config(scaling_factor=state["ae_scaling_factor"])
    shadow = tensors["ema"]
    ema.load_state_dict({**state["ema"], "shadow_params": [shadow[str(i)] for i in range(len(shadow))]})
    return state["phase_step"]


def _checkpoint(ctx: TrainContext, step: int, ema: EMAModel) -> None:
    """Checkpoint phase 2 at `step`: accelerate's objects, plus the frozen autoencoder and the EMA weights."""
    ema_state = {k: v for k, v in ema.state_dict().items() if k != "shadow_params"}
    ctx.checkpoint("diffusion", step, {"autoencoder": ctx.autoencoder.state_dict(),
                                       "ema": {str(i): p for i, p in enumerate(ema.shadow_params)}},
                   {"ema": ema_state})


def _pipeline(ctx: TrainContext, conditioned_unet: ConditionedUNet) -> GaitCraftPipeline:
    """A pipeline over the live modules with the configured sampler."""
    return GaitCraftPipeline(conditioned_unet.unet, ctx.autoencoder, conditioned_unet.encoder,
                             scheduler_from_config(ctx.cfg.schedule))


def _with_ema(ctx: TrainContext, conditioned_unet: ConditionedUNet, ema: EMAModel, action):
    """Run `action(pipeline)` with the EMA weights swapped in (main process only), then swap back."""
    if ctx.accelerator.is_main_process:
        ema.store(conditioned_unet.parameters())
        ema.copy_to(conditioned_unet.parameters())
        conditioned_unet.eval()
        try:
            return action(_pipeline(ctx, conditioned_unet))
        finally:
            ema.restore(conditioned_unet.parameters())
            conditioned_unet.train()
    return None


def diffusion_phase(ctx: TrainContext) -> Path | None:
    """Train to `train.steps` steps (or where `ctx.limits` stops it) and export the run's `model/`; returns that
    folder, or None when the limits allowed no UNet step yet (nothing to export)."""
    tc, s, acc = ctx.cfg.train, ctx.cfg.schedule, ctx.accelerator
    ae = ctx.autoencoder.eval().requires_grad_(False)
    conditioned_unet = ConditionedUNet(ctx.unet, ctx.encoder).train()
    opt = torch.optim.AdamW(conditioned_unet.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    lr_sched = get_scheduler(tc.lr_schedule, opt, num_warmup_steps=tc.lr_warmup_steps, num_training_steps=tc.steps)
    ema = EMAModel(conditioned_unet.parameters(), decay=tc.ema_decay, use_ema_warmup=True, power=3 / 4)
    noise_sched = scheduler_from_config(s, "ddpm")
    latents = FrameLatentCache(ae, tc.latent_cache_mb * 2**20)
    model, opt, lr_sched = acc.prepare(conditioned_unet, opt, lr_sched)
    if ctx.resume is not None:
        step = _resume(ctx, ema)
    else:  # the phase's starting point: a killed run need not redo phase 1
        step = 0
        _checkpoint(ctx, step, ema)
    ema.to(acc.device)
    stop = ctx.limits.stop("diffusion", tc.steps, ctx.autoencoder_steps)
    progress = ctx.progress("diffusion", step, stop, tc.batch_size)
    while step < stop:
        batch = next(ctx.batches)
        b = batch.sil.shape[0]
        with torch.no_grad(), acc.autocast():
            z0 = latents.encode(batch.sil, batch.index, batch.frames)  # [b, t, c, 16, 11]
        noise = torch.randn(z0.shape, generator=ctx.generator).to(z0.device)
        t = torch.randint(0, s.num_train_timesteps, (b,), generator=ctx.generator).to(z0.device)
        null = drop_masks(b, tc.cond_dropout, tc.drop_all, ctx.generator, z0.device)
        with acc.autocast():
            pred = model(noise_sched.add_noise(z0, noise, t), t, batch.labels, null)
        loss = diffusion_loss(pred, training_target(noise_sched, z0, noise, t), loss_weights(noise_sched, t, tc.snr_gamma))
        acc.backward(loss)
        grad_norm = acc.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        lr_sched.step()
        opt.zero_grad(set_to_none=True)
        ema.step(conditioned_unet.parameters())
        step += 1
        progress.update(step, {"loss": loss.item(), "lr": lr_sched.get_last_lr()[0], "grad_norm": float(grad_norm)})
        if tc.sample_every and step % tc.sample_every == 0:
            path = ctx.run.folder.root / "samples" / f"step-{step:07d}.png"
            _with_ema(ctx, conditioned_unet, ema, partial(write_sample_sheet, path=path, steps=s.sample_steps,
                                                          guidance_scale=s.guidance_scale))
        if step % tc.checkpoint_every == 0 or step == stop:
            _checkpoint(ctx, step, ema)
    progress.close()
    if step == 0:
        return None
    target = ctx.run.folder.model
    _with_ema(ctx, conditioned_unet, ema, partial(export_pipeline, target=target, dtype=tc.export_dtype,
                                                  files=ctx.model_files))
    acc.wait_for_everyone()
    return target
