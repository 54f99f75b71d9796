"""Where GaitCraft keeps caches, the shipped assets and the mocap clips."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root when running from a checkout (assets, configs and models live here).
REPO_ROOT = Path(__file__).resolve().parent.parent


#: Where the caches go, for help texts: one rule for `make` and for `gaitcraft` run directly, so that the anny
#: build (~800 MB) happens once.
CACHE_RULE = ("$GAITCRAFT_CACHE if set, else .cache/ in the GaitCraft checkout (beside pyproject.toml), else "
              "~/.cache/gaitcraft for an installed copy")


def cache_dir() -> Path:
    """Root of GaitCraft's caches: $GAITCRAFT_CACHE if set, else `.cache/` in the checkout GaitCraft runs from
    (wherever the command is started), else `~/.cache/gaitcraft` when GaitCraft is installed without a
    checkout. `make` uses the same rule (it sets nothing), so both share one cache."""
    env = os.environ.get("GAITCRAFT_CACHE")
    if env:
        return Path(env)
    if (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT / ".cache"
    return Path.home() / ".cache" / "gaitcraft"


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
