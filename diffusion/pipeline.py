"""`GaitCraftPipeline`: conditions -> latent video diffusion -> decoded binary silhouettes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DiffusionPipeline, SchedulerMixin
from diffusers.utils import BaseOutput

from conditioning.encoder import ConditionEncoder
from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.data import to_uint8_64
from diffusion.guidance import Guidance, combine, expand_conditions, guidance_variants
from diffusion.layers import channels_last_
from diffusion.loading import load_model, load_scheduler
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.defaults import DEFAULT_GUIDANCE
from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.factors import factor_names, factors
from gaitcraft.precision import fast_bf16

#: what `GaitCraftPipeline` can return: silhouettes as numpy or torch, or the denoised latents (not decoded)
OUTPUT_TYPES = ("np", "pt", "latent")


@dataclass
class GaitCraftPipelineOutput(BaseOutput):
    """What `GaitCraftPipeline` returns.

    sequences: uint8 0/255 silhouettes `[b, t, 64, 64]`, a numpy array (`output_type="np"`) or a CPU torch tensor
               (`"pt"`); or, for `"latent"`, the denoised latents `[b, t, c, h, w]` float32 on the pipeline's
               device (decode them with `GaitCraftPipeline.decode_latents`).
    """

    sequences: np.ndarray | torch.Tensor


def check_compatible(unet: SpatioTemporalUNet, autoencoder: SilhouetteAutoencoder, encoder: ConditionEncoder,
                     scheduler: SchedulerMixin) -> None:
    """Raise `CheckpointError` naming the first mismatch between components saved from different configs."""
    checks = [
        ("unet.in_channels", unet.config.in_channels, "autoencoder.latent_channels", autoencoder.config.latent_channels),
        ("unet.out_channels", unet.config.out_channels, "autoencoder.latent_channels",
         autoencoder.config.latent_channels),
        ("unet.cond_dim", unet.config.cond_dim, "condition_encoder.cond_dim", encoder.config.cond_dim),
        ("unet.prediction_type", unet.config.prediction_type, "scheduler.prediction_type",
         scheduler.config.prediction_type),
    ]
    for a, va, b, vb in checks:
        if va != vb:
            raise CheckpointError(f"components come from different configs: {a}={va!r} but {b}={vb!r}")


class GaitCraftPipeline(DiffusionPipeline):
    """Generates uint8 silhouette clips `[b, t, 64, 64]` for the declared factors: identities (training ids or
    recipes), clothing, carried object and view. Swap samplers with `pipe.scheduler = swap_scheduler(pipe.scheduler, 'ddim')`."""

    def __init__(self, unet: SpatioTemporalUNet, autoencoder: SilhouetteAutoencoder,
                 condition_encoder: ConditionEncoder, scheduler: SchedulerMixin):
        super().__init__()
        check_compatible(unet, autoencoder, condition_encoder, scheduler)
        self.register_modules(unet=unet, autoencoder=autoencoder, condition_encoder=condition_encoder,
                              scheduler=scheduler)
        self.set_progress_bar_config(disable=True)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> GaitCraftPipeline:
        """Load a folder written by `save_pretrained`, strictly: any missing or mismatched part is a CheckpointError."""
        root = Path(path)
        index_path = root / "model_index.json"
        if not index_path.is_file():
            raise CheckpointError("not a GaitCraft model folder (model_index.json is missing)", root)
        index = json.loads(index_path.read_text())
        if index.get("_class_name") != cls.__name__:
            raise CheckpointError(f"model folder holds a {index.get('_class_name')!r}, not a {cls.__name__}", root)
        parts = {"unet": SpatioTemporalUNet, "autoencoder": SilhouetteAutoencoder, "condition_encoder": ConditionEncoder}
        for name in [*parts, "scheduler"]:
            if not (root / name).is_dir():
                raise CheckpointError(f"model folder is missing component {name!r} (folder {name}/)", root)
        models = {name: channels_last_(load_model(c, root / name, name)) for name, c in parts.items()}
        return cls(scheduler=load_scheduler(root / "scheduler"), **models)

    @torch.no_grad()
    def __call__(self, num_frames: int | None = None, num_inference_steps: int = 15,
                 guidance_scale: Guidance = DEFAULT_GUIDANCE,
                 generator: torch.Generator | list[torch.Generator] | None = None,
                 batch_size: int | None = None, output_type: str = "np", return_dict: bool = True,
                 **conditions: Any) -> GaitCraftPipelineOutput | tuple:
        """Sample silhouette clips.

        **conditions: one keyword per declared factor (`gaitcraft.factors`); a factor left out takes its declared
                  default (identity None = unconditional, clothing 'normal', carry 'none', view 90):
                  identity: training id, `IdentityRecipe` (or its JSON dict), `[identity_dim]` vector, or None;
                  clothing / carry: vocabulary values or None; view: degrees in [0, 360) or None.
                  Each may be a list (one per sequence); scalars broadcast to `batch_size` (default 1); None is
                  the factor's null (unconditional) embedding.
        guidance_scale: a float (joint CFG over all factors) or {factor: scale} (per-factor CFG).
        generator: one `torch.Generator`, or one per sequence (then each sequence's noise is independent of
                   the batch it is generated in).
        output_type: "np" (uint8 0/255 silhouettes `[b, num_frames, 64, 64]`, numpy), "pt" (the same as a torch
                     tensor) or "latent" (the denoised latents, not decoded).
        Returns a `GaitCraftPipelineOutput`, or with `return_dict=False` the tuple `(sequences,)`.
        """
        if unknown := sorted(set(conditions) - set(factor_names())):
            raise ConfigError(f"unknown conditions {unknown}; valid: {', '.join(factor_names())}")
        if output_type not in OUTPUT_TYPES:
            raise ConfigError(f"output_type {output_type!r}; valid: {', '.join(OUTPUT_TYPES)}")
        num_frames = self.unet.config.num_frames if num_frames is None else int(num_frames)
        try:
            self.unet.check_frames(num_frames)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        if num_inference_steps < 1:
            raise ConfigError(f"num_inference_steps must be >= 1, got {num_inference_steps}")
        device = self.unet.device
        cond = self.condition_encoder.conditions(
            batch_size=batch_size, **{f.name: conditions.get(f.name, f.default) for f in factors()})
        b = len(cond)
        if isinstance(generator, list) and len(generator) != b:
            raise ConfigError(f"got {len(generator)} generators for {b} sequences")
        shape = (num_frames, self.autoencoder.config.latent_channels, *self.autoencoder.latent_size)
        gens = generator if isinstance(generator, list) else [generator] * b
        latents = torch.stack([torch.randn(shape, generator=g) for g in gens]).to(device)  # [b, t, c, h, w]
        latents = latents * self.scheduler.init_noise_sigma

        variants = guidance_variants(guidance_scale)
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast_bf16(device)):
            emb = self.condition_encoder(expand_conditions(cond, variants))  # [v*b, cond_dim]
            for t in self.progress_bar(self.scheduler.timesteps):
                x_in = self.scheduler.scale_model_input(latents, t).repeat(len(variants), 1, 1, 1, 1)
                pred = combine(self.unet(x_in, t, emb).float(), variants, guidance_scale)
                latents = self.scheduler.step(pred, t, latents).prev_sample  # [b, t, c, h, w]
        if output_type == "latent":
            sequences = latents
        else:
            sequences = self.decode_latents(latents)  # [b, t, 64, 64] uint8
            if output_type == "pt":
                sequences = torch.from_numpy(sequences)
        return GaitCraftPipelineOutput(sequences=sequences) if return_dict else (sequences,)

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> np.ndarray:
        """Denoised latents `[b, t, c, h, w]` -> uint8 0/255 silhouettes `[b, t, 64, 64]` (8 clips per decoder call)."""
        device = self.autoencoder.device
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast_bf16(device)):
            probs = torch.cat([self.autoencoder.decode_video(chunk) for chunk in latents.to(device).split(8)])
        return to_uint8_64(probs)  # [b, t, h, w]
