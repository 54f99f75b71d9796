"""Where GaitCraft keeps caches, the shipped assets and the mocap clips."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root when running from a checkout (assets, configs and models live here).
REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Root of GaitCraft's caches: $GAITCRAFT_CACHE, else ~/.cache/gaitcraft."""
    return Path(os.environ.get("GAITCRAFT_CACHE", Path.home() / ".cache" / "gaitcraft"))


def anny_cache_dir() -> Path:
    """The anny build cache (~800 MB, ~80 s to build once); $ANNY_CACHE_DIR wins if set."""
    return Path(os.environ.get("ANNY_CACHE_DIR", cache_dir() / "anny"))


def mocap_dir() -> Path:
    """The CMU walking BVH clips: $GAITCRAFT_MOCAP, else ../shared/data/mocap/cmu beside the checkout,
    else the copy under `assets/mocap/cmu` in the checkout."""
    env = os.environ.get("GAITCRAFT_MOCAP")
    if env:
        return Path(env)
    for cand in (REPO_ROOT / "assets" / "mocap" / "cmu", REPO_ROOT.parent / "shared" / "data" / "mocap" / "cmu"):
        if cand.is_dir():
            return cand
    return REPO_ROOT / "assets" / "mocap" / "cmu"
