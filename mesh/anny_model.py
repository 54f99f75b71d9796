"""The shared anny body model: one build per process, cached on disk under GaitCraft's cache dir."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

from gaitcraft.errors import GaitCraftError
from gaitcraft.paths import anny_cache_dir


def cache_is_built(cache: Path) -> bool:
    """Whether `cache` already holds anny's built model data for the installed anny (else the next load builds it)."""
    try:
        from anny.models.model_data import CURRENT_DATA_VERSION

        version = f"v{CURRENT_DATA_VERSION}"
    except ImportError:  # another anny layout: any built data counts
        version = "v*"
    return any(Path(cache).glob(f"{version}/build_model_data_*.safetensors"))


@functools.lru_cache(maxsize=1)
def load_anny():
    """Return the default `anny.Anny()` model (rig 'anny', 104 bones, 13,718 vertices).

    The first build on a machine takes ~1-7 min and writes ~800 MB to `anny_cache_dir()` (it says so on stderr
    before it starts); later loads take seconds.
    """
    cache = anny_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ANNY_CACHE_DIR", str(cache))
    try:
        import warp  # anny's skinning backend; its start-up banner would repeat in every worker

        warp.config.log_level = warp.LOG_ERROR
        _init_warp_quietly(warp)
        import anny
    except ImportError as e:
        raise GaitCraftError(f"the anny body model is unavailable ({e}); install it with `pip install anny`") from None
    from anny.paths import set_anny_cache_path

    set_anny_cache_path(str(cache))
    cold = not cache_is_built(cache)
    if cold:  # minutes without output otherwise: say what is happening
        print(f"building the anny body model once (~1-7 min, cached in {cache})", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    model = anny.Anny()
    if cold:
        print(f"anny body model built in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


# warp's native start-up probe prints this on every machine without an NVIDIA driver, where it means nothing
_NO_CUDA_DRIVER = "Could not find or load the NVIDIA CUDA driver"


def _init_warp_quietly(warp) -> None:
    """`warp.init()` without its no-CUDA-driver notice on CPU-only machines. The notice is printed by native
    code straight to fd 2, so no Python log level or warnings filter reaches it; where torch does see a GPU the
    notice is kept, since then it reports a real problem."""
    import torch

    from gaitcraft.io.native_stderr import filtered_native_stderr

    cpu_only = not torch.cuda.is_available()
    with filtered_native_stderr(keep=lambda line: not (cpu_only and _NO_CUDA_DRIVER in line)):
        warp.init()
