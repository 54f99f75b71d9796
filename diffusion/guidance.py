"""Classifier-free guidance, jointly over all factors, per factor, or both.

Joint (a float w): eps = eps(none) + w * (eps(all) - eps(none)); two model evaluations.
Per factor (a dict {factor: w_f}, optionally with a joint base `all: w`):
    eps = eps(none) + w * (eps(all) - eps(none)) + sum_f (w_f - w) * (eps(all) - eps(all but f)).
The base w defaults to 1 (then the joint term is just eps(all) and eps(none) is not evaluated), and a factor
left out of the dict gets w_f = w, so it is guided only by the joint term. `{'all': 4, 'identity': 8}` keeps
every factor at the default joint scale 4 and pushes identity to 8 with one extra evaluation (three in all);
`{'identity': 8}` is the leave-one-out form, 1 + (number of factors with w_f != w) evaluations.
A `rescale: phi` entry (0..1) applies diffusers' guidance rescale (Lin et al. 2023): the guided prediction's
standard deviation is pulled back towards the full-condition prediction's, by the fraction phi, to counter the
over-saturation that large scales cause.
"""

from __future__ import annotations

import torch
from diffusers.guiders.guider_utils import rescale_noise_cfg

from conditioning.conditions import Conditions
from gaitcraft.errors import ConfigError
from gaitcraft.factors import factor_names

Guidance = float | dict[str, float]

#: The dict key that sets the joint base scale of per-factor guidance.
JOINT_KEY = "all"
#: The dict key of the guidance-rescale fraction.
RESCALE_KEY = "rescale"


def _base_and_factors(scales: dict[str, float]) -> tuple[float, dict[str, float]]:
    """(joint base w, {factor: w_f}) for every factor, checking the names."""
    names = factor_names()
    if unknown := set(scales) - set(names) - {JOINT_KEY, RESCALE_KEY}:
        raise ConfigError(f"unknown factors {sorted(unknown)} in guidance_scale; valid: {', '.join(names)} "
                          f"(and '{JOINT_KEY}' for the joint base, '{RESCALE_KEY}' for guidance rescale)")
    if not 0.0 <= float(scales.get(RESCALE_KEY, 0.0)) <= 1.0:
        raise ConfigError(f"guidance {RESCALE_KEY}={scales[RESCALE_KEY]} must be in [0, 1]")
    base = float(scales.get(JOINT_KEY, 1.0))
    return base, {f: float(scales.get(f, base)) for f in names}


def guidance_variants(guidance_scale: Guidance) -> list[tuple[str, ...]]:
    """The condition variants to evaluate, as tuples of factors to null: `()` is the full condition,
    `factor_names()` (every factor) the unconditional one, `(f,)` all but factor f."""
    every = factor_names()
    if isinstance(guidance_scale, dict):
        base, per = _base_and_factors(guidance_scale)
        joint = [every] if base != 1.0 else []
        return [()] + joint + [(f,) for f in every if per[f] != base]
    return [()] if float(guidance_scale) == 1.0 else [(), every]


def guidance_rescale(guidance_scale: Guidance) -> float:
    """The guidance-rescale fraction of a guidance setting (0 = off; only the dict form carries one)."""
    return float(guidance_scale.get(RESCALE_KEY, 0.0)) if isinstance(guidance_scale, dict) else 0.0


def expand_conditions(cond: Conditions, variants: list[tuple[str, ...]]) -> Conditions:
    """Stack the variants of `cond` along the batch: `[len(variants) * b]` items, variant-major."""
    return Conditions.cat([cond.with_null(v) for v in variants])


def combine(pred: torch.Tensor, variants: list[tuple[str, ...]], guidance_scale: Guidance) -> torch.Tensor:
    """Guided prediction `[b, ...]` from the variant-major stacked prediction `[len(variants) * b, ...]`."""
    parts = dict(zip(variants, pred.chunk(len(variants))))
    full = parts[()]
    if isinstance(guidance_scale, dict):
        base, per = _base_and_factors(guidance_scale)
    else:
        base, per = float(guidance_scale), {}
    every = factor_names()
    out = parts[every] + base * (full - parts[every]) if every in parts else full
    for factor, scale in per.items():
        if (factor,) in parts:
            out = out + (scale - base) * (full - parts[(factor,)])
    phi = guidance_rescale(guidance_scale)
    return rescale_noise_cfg(out, full, guidance_rescale=phi) if phi > 0 else out
