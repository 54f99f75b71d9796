"""Sample contact sheets written during training: a few training identities at three views, plus an
unconditional row, from the EMA weights."""

from __future__ import annotations

from pathlib import Path

import torch

from diffusion.pipeline import GaitCraftPipeline
from gaitcraft.factors import factors
from gaitcraft.io.preview import write_contact_sheet


def sample_conditions(pipe: GaitCraftPipeline, n_ids: int = 2) -> list[dict]:
    """Fixed conditions for progress sheets: `n_ids` identities x views 0/90/180, and one all-null row."""
    vocab = pipe.condition_encoder.vocab
    # every other factor at its declared default, or the first value the model knows
    fixed = {f.name: f.default if f.kind != "categorical" or f.default in vocab.values(f.name)
             else vocab.values(f.name)[0] for f in factors()}
    rows = [{**fixed, "identity": i, "view": v} for i in vocab.identities[:n_ids] for v in (0.0, 90.0, 180.0)]
    return rows + [dict.fromkeys(fixed)]


def write_sample_sheet(pipe: GaitCraftPipeline, path: Path, steps: int, guidance_scale: float, seed: int = 0) -> Path:
    """Generate the fixed conditions and write them as one PNG contact sheet at `path`."""
    rows = sample_conditions(pipe)
    seqs = pipe(**{name: [r[name] for r in rows] for name in rows[0]}, num_inference_steps=steps,
                guidance_scale=guidance_scale,
                generator=[torch.Generator().manual_seed(seed + i) for i in range(len(rows))]).sequences
    captions = [" | ".join("null" if v is None else str(v) for v in r.values()) for r in rows]
    write_contact_sheet(path, list(seqs), captions)
    return path
