"""Training the generator: what is the generator's alone, on the shared training kit (`gaitcraft.training`).

- `train.train(config, data, out_dir, vocab)`: the entry point;
- `autoencoder_phase` (phase 1: the silhouette autoencoder and its latent scale) and `unet_phase` (phase 2: the
  UNet and condition encoder on frozen latents, EMA, sample sheets, the exported pipeline);
- `context`: the batch stream that counts the batches drawn (so a resumed run draws the same ones), the step limits
  and what both phases share; `latent_cache`: each training frame encoded once; `warm_start`: phase 2 from a
  trained model folder; `samples`: contact sheets; `export`: the pipeline folder in its storage dtype.
"""

from diffusion.training.context import StepLimits, build_models
from diffusion.training.train import train

__all__ = ["StepLimits", "build_models", "train"]
