"""Phase 2: train the UNet and the condition encoder on frozen autoencoder latents (EMA, min-SNR loss,
per-factor condition dropout), writing checkpoints, sample sheets and finally the exported pipeline."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel

from conditioning.encoders import drop_masks
from diffusion.checkpoint import load_optimizer, load_weights
from diffusion.conditioned_unet import ConditionedUNet
from diffusion.latent_cache import FrameLatentCache
from diffusion.pipeline import GaitCraftPipeline
from diffusion.runlog import export_pipeline
from diffusion.samples import write_sample_sheet
from diffusion.schedule import diffusion_loss, loss_weights, scheduler_from_config, training_target
from diffusion.trainctx import Progress, TrainContext, restore_rng, write_checkpoint


def _resume(ctx: TrainContext, conditioned_unet: ConditionedUNet, ema: EMAModel, opt, lr_sched) -> int:
    """Load the diffusion-phase state of `ctx.resume`; returns the step to continue from."""
    folder, state = ctx.resume
    ctx.autoencoder.load_state_dict(load_weights(folder, "autoencoder"))
    ctx.autoencoder.register_to_config(scaling_factor=state["ae_scaling_factor"])
    restore_rng(ctx, folder, state)
    if state["step"] == 0:
        return 0
    # checkpoints store it as "denoiser" (its former name), kept so that existing runs resume
    conditioned_unet.load_state_dict(load_weights(folder, "denoiser"))
    shadow = load_weights(folder, "ema")
    ema.load_state_dict({**state["ema"], "shadow_params": [shadow[str(i)] for i in range(len(shadow))]})
    saved = load_optimizer(folder)
    opt.load_state_dict(saved["optimizer"])
    lr_sched.load_state_dict(saved["lr_scheduler"])
    return state["step"]


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
    """Train to `train.steps` steps (or where `ctx.limits` stops it) and export `out_dir/model`; returns that
    folder, or None when the limits allowed no UNet step yet (nothing to export)."""
    tc, s, acc = ctx.cfg.train, ctx.cfg.schedule, ctx.accelerator
    ae = ctx.autoencoder.eval().requires_grad_(False)
    conditioned_unet = ConditionedUNet(ctx.unet, ctx.encoder).train()
    opt = torch.optim.AdamW(conditioned_unet.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    lr_sched = get_scheduler(tc.lr_schedule, opt, num_warmup_steps=tc.lr_warmup_steps, num_training_steps=tc.steps)
    ema = EMAModel(conditioned_unet.parameters(), decay=tc.ema_decay, use_ema_warmup=True, power=3 / 4)
    noise_sched = scheduler_from_config(s, "ddpm")
    step = _resume(ctx, conditioned_unet, ema, opt, lr_sched) if ctx.resume is not None else 0
    latents = FrameLatentCache(ae, tc.latent_cache_mb * 2**20)
    model, opt = acc.prepare(conditioned_unet, opt)
    ema.to(acc.device)
    stop = ctx.limits.stop("diffusion", tc.steps, ctx.autoencoder_steps)
    progress = Progress(ctx, "diffusion", step, stop, tc.batch_size)
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
        progress.update(step, loss.item(), None, lr_sched.get_last_lr()[0], float(grad_norm))
        if tc.sample_every and step % tc.sample_every == 0:
            path = ctx.out_dir / "samples" / f"step-{step:07d}.png"
            _with_ema(ctx, conditioned_unet, ema, partial(write_sample_sheet, path=path, steps=s.sample_steps,
                                                          guidance_scale=s.guidance_scale))
        if step % tc.checkpoint_every == 0 or step == stop:
            ema_state = {k: v for k, v in ema.state_dict().items() if k != "shadow_params"}
            write_checkpoint(ctx, "diffusion", step,
                             {"autoencoder": ae.state_dict(), "denoiser": acc.unwrap_model(model).state_dict(),
                              "ema": {str(i): p for i, p in enumerate(ema.shadow_params)}},
                             {"optimizer": opt.state_dict(), "lr_scheduler": lr_sched.state_dict()},
                             {"ema": ema_state})
    progress.close()
    if step == 0:
        return None
    target = ctx.out_dir / "model"
    _with_ema(ctx, conditioned_unet, ema, partial(export_pipeline, target=target, dtype=tc.export_dtype))
    acc.wait_for_everyone()
    return target
