"""Silhouette video diffusion: autoencoder, spatio-temporal UNet, schedules, guidance, training and the pipeline."""

from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.pipeline import GaitCraftPipeline
from diffusion.schedule import make_scheduler, swap_scheduler
from diffusion.unet import SpatioTemporalUNet

__all__ = ["GaitCraftPipeline", "SilhouetteAutoencoder", "SpatioTemporalUNet", "make_scheduler", "swap_scheduler"]
