"""BatchNorm statistics re-estimated on unlabelled sequences of another domain (AdaBN, Li et al. 2016).

A model trained on synthetic silhouettes keeps the feature means and variances of synthetic data in its
BatchNorm layers. Recomputing them on a sample of the target domain's silhouettes, with no labels and no
gradient step, tells how much of a domain gap is first-order statistics: what adaptation recovers is that
share, what stays is in the learned features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from eval.evaluation.embed import packed_clips
from gaitcraft.errors import DataError


def batchnorm_layers(model: torch.nn.Module) -> list[torch.nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer of `model`, in module order."""
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def adapt_batchnorm(model: torch.nn.Module, sequences: Sequence[np.ndarray], frames_limit: int = 30,
                    batch_frames: int = 720, progress: bool = False) -> torch.nn.Module:
    """Replace the running mean and variance of every BatchNorm layer of a sequence model (`model(x, seq_lens=...)`)
    by their averages over `sequences` (uint8 silhouettes `[t, 64, 64]` or cut `[t, 64, 44]`), in place.

    Each sequence gives up to `frames_limit` frames spread evenly over it, as at evaluation; sequences are packed
    into forward passes of up to `batch_frames` frames, and each pass's statistics count once (a cumulative
    average). A pass of a single sequence (the last, or one longer than `batch_frames`) is skipped: a
    per-sequence BatchNorm has no variance over one.
    Weights are not touched. Returns the model, in eval mode, with each layer's momentum as it was.
    """
    layers = batchnorm_layers(model)
    if not layers:
        raise ValueError("the model has no BatchNorm layer to adapt")
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes instead of an exponential one
    model.train()
    passes = 0
    try:
        with torch.no_grad():
            for frames, lens in packed_clips(sequences, frames_limit, batch_frames, progress, "adapt BatchNorm"):
                if len(lens) > 1:
                    model(torch.from_numpy(frames)[None], seq_lens=lens)  # input [1, sum(t), 64, 44]
                    passes += 1
    finally:
        for m, momentum in zip(layers, momenta):
            m.momentum = momentum
        model.eval()
    if not passes:
        raise DataError(f"{len(sequences)} sequences are too few to adapt BatchNorm on (a pass needs two)")
    return model
