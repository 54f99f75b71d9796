"""Conversions between stored silhouettes (uint8 0/255, 64x64) and the model's 64x44 float frames."""

from __future__ import annotations

import numpy as np
import torch

from gaitcraft.errors import DataError

#: Columns cut from each side of a 64-wide frame (OpenGait's `w // 64 * 10`), giving 64x44.
CUT = 10


def to_model_frames(sil: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Clips `[b, t, 64, 64]` or `[b, t, 64, 44]` (uint8 0/255 or float 0..1) -> float `[b, t, 64, 44]` in {0, 1}."""
    x = torch.as_tensor(sil)
    if x.dim() != 4 or x.shape[2] != 64 or x.shape[3] not in (64, 44):
        raise DataError(f"expected silhouette clips [b, t, 64, 64] or [b, t, 64, 44], got {tuple(x.shape)}")
    if x.shape[3] == 64:
        x = x[..., CUT:-CUT]
    if x.dtype == torch.uint8:
        return (x > 127).float()
    return (x.float() > 0.5).float()


def to_uint8_64(prob: torch.Tensor, threshold: float = 0.5) -> np.ndarray:
    """Foreground probabilities `[b, t, 64, 44]` -> uint8 0/255 `[b, t, 64, 64]` (44 columns padded back with zeros)."""
    b, t, h, w = prob.shape
    out = np.zeros((b, t, h, w + 2 * CUT), dtype=np.uint8)
    out[..., CUT:CUT + w] = (prob.float() > threshold).cpu().numpy().astype(np.uint8) * 255
    return out
