"""Distances between part embeddings `[n, c, p]`, as OpenGait's evaluator computes them."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def distance_matrix(probe: np.ndarray, gallery: np.ndarray, metric: str = "euc", max_elements: int = 1 << 25) -> np.ndarray:
    """Probe-to-gallery distances `[n_probe, n_gallery]` (float64).

    probe `[n, c, p]`, gallery `[m, c, p]`. 'euc' is OpenGait's: the Euclidean distance per strip, averaged over
    strips. 'cos' is 1 - cosine similarity per strip, averaged over strips. Flat `[n, d]` inputs are one strip.
    Probes are processed in chunks so the `[p, chunk, m]` intermediate stays under `max_elements` floats.
    """
    if metric not in ("euc", "cos"):
        raise ValueError(f"unknown metric {metric!r}; valid: euc, cos")
    x = torch.as_tensor(_as3d(probe), dtype=torch.float32).permute(2, 0, 1)  # [p, n, c]
    y = torch.as_tensor(_as3d(gallery), dtype=torch.float32).permute(2, 0, 1)  # [p, m, c]
    if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[2]:
        raise ValueError(f"probe {tuple(probe.shape)} and gallery {tuple(gallery.shape)} differ in [c, p]")
    if metric == "cos":
        x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    y2 = y.pow(2).sum(-1).unsqueeze(1)  # [p, 1, m]
    chunk = max(1, max_elements // max(1, y.shape[0] * y.shape[1]))
    out = []
    for xs in x.split(chunk, dim=1):
        inner = xs.matmul(y.transpose(1, 2))  # [p, b, m]
        if metric == "cos":
            d = 1.0 - inner
        else:
            d = F.relu(xs.pow(2).sum(-1).unsqueeze(2) + y2 - 2 * inner).sqrt()
        out.append(d.mean(0))
    if not out:
        return np.zeros((0, y.shape[1]))
    return torch.cat(out).double().numpy()


def _as3d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 2:
        return a[:, :, None]  # [n, d, 1]
    if a.ndim != 3:
        raise ValueError(f"embeddings must be [n, c, p] or [n, d], got shape {a.shape}")
    return a
