"""`ConditionedUNet`: the condition encoder and the UNet as one trainable module (what accelerate wraps and EMA
tracks during training)."""

from __future__ import annotations

import torch
import torch.nn as nn

from conditioning.encoder import ConditionEncoder
from diffusion.unet import SpatioTemporalUNet


class ConditionedUNet(nn.Module):
    """Labels + noisy latents -> UNet prediction: the encoder turns the labels into the UNet's condition embedding,
    and both train jointly."""

    def __init__(self, unet: SpatioTemporalUNet, encoder: ConditionEncoder):
        super().__init__()
        self.unet = unet
        self.encoder = encoder

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, labels: dict[str, list[str] | torch.Tensor],
                null: dict[str, torch.Tensor]) -> torch.Tensor:
        """noisy `[b, t, c, h, w]`, timesteps `[b]`, labels `{factor: b values}`, CFG null masks `{factor: [b]}`
        -> prediction `[b, t, c, h, w]`."""
        cond = self.encoder.conditions_from_labels(labels, null)
        return self.unet(noisy, timesteps, self.encoder(cond))
