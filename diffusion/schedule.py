"""Noise schedules (diffusers schedulers), training targets and the min-SNR weighted loss."""

from __future__ import annotations

import math

import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, SchedulerMixin

from gaitcraft.errors import ConfigError

#: Sampler names -> scheduler classes. 'ddpm' is the training noise process; 'ddim' and 'dpm++' are for sampling.
SAMPLERS = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler, "dpm++": DPMSolverMultistepScheduler}
PREDICTION_TYPES = ("epsilon", "v_prediction")


def _sampler_kwargs(kind: str) -> dict:
    """Per-sampler settings: no clipping (latents are not bounded to [-1, 1]); 'trailing' spacing for few steps."""
    if kind == "ddpm":
        return {"clip_sample": False}
    if kind == "ddim":
        return {"clip_sample": False, "set_alpha_to_one": False, "timestep_spacing": "trailing"}
    return {"algorithm_type": "dpmsolver++", "solver_order": 2, "timestep_spacing": "trailing"}


def shifted_betas(num_train_timesteps: int, beta_schedule: str, snr_shift: float) -> list[float]:
    """Betas of `beta_schedule` with every step's signal-to-noise ratio divided by `snr_shift**2`.

    A 30-frame clip repeats its information across frames, so at a given SNR the noisy clip still reveals its
    layout (view, clothing) and the model learns to read it from the input instead of from the conditions;
    shifting the SNR down (simple diffusion's shifted schedule) moves training to the noise levels where the
    conditions decide the output.
    """
    if not snr_shift > 0:
        raise ConfigError(f"snr_shift must be > 0, got {snr_shift}")
    base = DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule).alphas_cumprod.double()
    log_snr = torch.log(base) - torch.log1p(-base) - 2.0 * math.log(snr_shift)  # [T]
    cumprod = torch.sigmoid(log_snr)
    prev = torch.cat([torch.ones(1, dtype=cumprod.dtype), cumprod[:-1]])
    return (1.0 - cumprod / prev).clamp(1e-8, 0.999).tolist()


def make_scheduler(kind: str = "dpm++", num_train_timesteps: int = 1000, beta_schedule: str = "squaredcos_cap_v2",
                   prediction_type: str = "v_prediction", snr_shift: float = 1.0,
                   trained_betas: list[float] | None = None) -> SchedulerMixin:
    """A diffusers scheduler of `kind` ('ddpm', 'ddim', 'dpm++') over the given noise schedule, with its SNR
    divided by `snr_shift**2` (see `shifted_betas`); explicit `trained_betas` take precedence over both."""
    if kind not in SAMPLERS:
        raise ConfigError(f"unknown sampler {kind!r}; valid: {', '.join(SAMPLERS)}")
    if prediction_type not in PREDICTION_TYPES:
        raise ConfigError(f"unknown prediction_type {prediction_type!r}; valid: {', '.join(PREDICTION_TYPES)}")
    if trained_betas is None and snr_shift != 1.0:
        trained_betas = shifted_betas(num_train_timesteps, beta_schedule, snr_shift)
    return SAMPLERS[kind](num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule,
                          prediction_type=prediction_type, trained_betas=trained_betas, **_sampler_kwargs(kind))


def scheduler_from_config(schedule, kind: str | None = None) -> SchedulerMixin:
    """The scheduler an experiment's `schedule` section describes (`ScheduleConfig`), as `kind` (default: its sampler)."""
    return make_scheduler(kind or schedule.sampler, schedule.num_train_timesteps, schedule.beta_schedule,
                          schedule.prediction_type, schedule.snr_shift)


def swap_scheduler(scheduler: SchedulerMixin, kind: str) -> SchedulerMixin:
    """The same noise schedule and prediction type under another sampler ('ddim' <-> 'dpm++' ...)."""
    c = scheduler.config
    betas = c.get("trained_betas")
    return make_scheduler(kind, c.num_train_timesteps, c.beta_schedule, c.prediction_type,
                          trained_betas=None if betas is None else list(betas))


def training_target(scheduler: SchedulerMixin, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """What the model must predict: the noise ('epsilon') or the velocity ('v_prediction')."""
    if scheduler.config.prediction_type == "epsilon":
        return noise
    return scheduler.get_velocity(x0, noise, t)


def loss_weights(scheduler: SchedulerMixin, t: torch.Tensor, snr_gamma: float | None) -> torch.Tensor:
    """Per-sample min-SNR-gamma weights `[b]` (Hang et al. 2023) for the scheduler's prediction type; ones if None."""
    if snr_gamma is None:
        return torch.ones(t.shape[0], device=t.device)
    ac = scheduler.alphas_cumprod.to(t.device)[t]
    snr = ac / (1.0 - ac)
    clipped = torch.clamp(snr, max=snr_gamma)
    return clipped / (snr + 1.0) if scheduler.config.prediction_type == "v_prediction" else clipped / snr


def diffusion_loss(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted MSE over `[b, ...]` predictions: mean over elements per sample, weighted mean over samples."""
    per_sample = (pred.float() - target.float()).square().flatten(1).mean(1)  # [b]
    return (weights * per_sample).mean()
