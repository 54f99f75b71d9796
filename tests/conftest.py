"""Shared fixtures. The anny cache (~800 MB, ~80 s to build) is shared by every test through GAITCRAFT_CACHE."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("GAITCRAFT_CACHE", str(REPO / ".cache"))


def walker_blob(t: int = 12, h: int = 128, w: int = 96, seed: int = 0) -> np.ndarray:
    """A crafted silhouette sequence (ellipse torso + swinging legs) for I/O tests, `[t, h, w]` uint8 0/255."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((t, h, w), np.uint8)
    cx = w // 2 + int(rng.integers(-5, 6))
    for i in range(t):
        swing = 10 * np.sin(2 * np.pi * i / t)
        body = ((xx - cx) / 10) ** 2 + ((yy - h * 0.35) / (h * 0.25)) ** 2 <= 1
        head = (xx - cx) ** 2 + (yy - h * 0.08) ** 2 <= 64
        leg1 = (np.abs(xx - (cx + swing * (yy - h * 0.55) / (h * 0.45))) < 4) & (yy > h * 0.55) & (yy < h - 4)
        leg2 = (np.abs(xx - (cx - swing * (yy - h * 0.55) / (h * 0.45))) < 4) & (yy > h * 0.55) & (yy < h - 4)
        out[i][body | head | leg1 | leg2] = 255
    return out


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """One torch thread for the whole run: the test models are tiny, where OpenMP barriers cost more than they
    gain, and CI's two cores may be shared."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def blob():
    """One crafted `[12, 128, 96]` silhouette sequence."""
    return walker_blob()
