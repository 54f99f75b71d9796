"""Export the trained generator: the pipeline folder `model/`, weights stored in the configured dtype."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import torch

from gaitcraft.errors import ConfigError
from gaitcraft.training.checkpoints import replace_folder

EXPORT_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def export_pipeline(pipe, target: Path, dtype: str = "float32", files: dict[str, str] | None = None) -> Path:
    """`save_pretrained` (weights stored as `dtype`) into a temp folder, add `files` ({name: text}, e.g. the
    training-data record), then swap it into `target`, so the folder appears whole or not at all.

    Loading casts the weights back to float32; with bf16 autocast at inference, float16 storage halves
    the model's size at no visible cost.
    """
    if dtype not in EXPORT_DTYPES:
        raise ConfigError(f"unknown export dtype {dtype!r}; valid: {', '.join(EXPORT_DTYPES)}")
    if dtype != "float32":
        parts = {}
        for name, module in pipe.components.items():
            if isinstance(module, torch.nn.Module):
                module = copy.deepcopy(module)
                for p in module.parameters():
                    p.data = p.data.to(EXPORT_DTYPES[dtype])
            parts[name] = module
        pipe = type(pipe)(**parts)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(str(tmp))
    for name, text in (files or {}).items():
        (tmp / name).write_text(text, encoding="utf-8")
    return replace_folder(tmp, target)
