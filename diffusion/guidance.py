"""Classifier-free guidance, jointly over all factors or per factor.

Joint (a float w): eps = eps(none) + w * (eps(all) - eps(none)); two model evaluations.
Per factor (a dict {factor: w}): eps = eps(all) + sum_f (w_f - 1) * (eps(all) - eps(all but f)), a
leave-one-out form that needs 1 + (number of factors with w_f != 1) evaluations and equals eps(all)
when every w_f is 1. Factors left out of the dict get w = 1 (no extra guidance).
"""

from __future__ import annotations

import torch

from conditioning.conditions import Conditions
from conditioning.vocab import FACTORS
from gaitcraft.errors import ConfigError

Guidance = float | dict[str, float]


def guidance_variants(guidance_scale: Guidance) -> list[tuple[str, ...]]:
    """The condition variants to evaluate, as tuples of factors to null: `()` is the full condition."""
    if isinstance(guidance_scale, dict):
        if unknown := set(guidance_scale) - set(FACTORS):
            raise ConfigError(f"unknown factors {sorted(unknown)} in guidance_scale; valid: {', '.join(FACTORS)}")
        return [()] + [(f,) for f in FACTORS if float(guidance_scale.get(f, 1.0)) != 1.0]
    return [()] if float(guidance_scale) == 1.0 else [(), FACTORS]


def expand_conditions(cond: Conditions, variants: list[tuple[str, ...]]) -> Conditions:
    """Stack the variants of `cond` along the batch: `[len(variants) * b]` items, variant-major."""
    return Conditions.cat([cond.with_null(v) for v in variants])


def combine(pred: torch.Tensor, variants: list[tuple[str, ...]], guidance_scale: Guidance) -> torch.Tensor:
    """Guided prediction `[b, ...]` from the variant-major stacked prediction `[len(variants) * b, ...]`."""
    parts = pred.chunk(len(variants))
    full = parts[0]
    if len(variants) == 1:
        return full
    if not isinstance(guidance_scale, dict):
        return parts[1] + float(guidance_scale) * (full - parts[1])
    out = full
    for (factor,), part in zip(variants[1:], parts[1:]):
        out = out + (float(guidance_scale[factor]) - 1.0) * (full - part)
    return out
