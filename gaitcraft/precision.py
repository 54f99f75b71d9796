"""Mixed precision that follows the hardware: bf16 autocast only where bf16 is fast.

On CPUs with AVX512-BF16 / AMX, oneDNN runs bf16 matmuls and convolutions several times faster than fp32.
On CPUs without them (AVX2 only), PyTorch falls back to reference kernels (`_slow_conv2d`) that are ~10x
*slower* than fp32, so 'auto' picks fp32 there.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

from gaitcraft.errors import ConfigError

MIXED_PRECISIONS = ("auto", "no", "bf16", "fp16")


def fast_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether bf16 autocast is fast on `device`: CUDA with bf16, or a CPU with oneDNN bf16 (AVX512-BF16 / AMX)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return False


def resolve_mixed_precision(value: str, where: str = "mixed_precision") -> str:
    """'auto' -> 'bf16' where it is fast (see `fast_bf16`), else 'no'; other valid values are kept."""
    if value not in MIXED_PRECISIONS:
        raise ConfigError(f"{where} {value!r}; valid: {', '.join(MIXED_PRECISIONS)}")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if value == "auto":
        return "bf16" if fast_bf16(device) else "no"
    if value == "fp16" and device == "cpu":
        raise ConfigError(f"{where} 'fp16' needs a GPU; use 'auto', 'bf16' or 'no' on the CPU")
    return value


def make_accelerator(mixed_precision: str):
    """An `accelerate.Accelerator` on the GPU when there is one, else the CPU, with the resolved precision.

    accelerate keeps one precision per process; a second run in the same process with another precision
    (a benchmark comparing fp32 with bf16, a test suite) re-creates that state, keeping the distributed setup.
    A prepared LR scheduler steps once per `scheduler.step()` call, as the trainers' schedules count steps (by
    default accelerate would step it once per process).
    """
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    precision = resolve_mixed_precision(mixed_precision)
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") != precision:
        AcceleratorState._reset_state(reset_partial_state=False)
    return Accelerator(mixed_precision=precision, cpu=not torch.cuda.is_available(),
                       step_scheduler_with_optimizer=False)


def inference_autocast(device: torch.device | str = "cpu", enabled: bool | None = None):
    """bf16 autocast for inference where it is fast (or as `enabled` forces), else a no-op context."""
    device = torch.device(device)
    use = fast_bf16(device) if enabled is None else enabled
    return torch.autocast(device.type, dtype=torch.bfloat16) if use else nullcontext()
