"""Sample contact sheets written during training: a few training identities at three views, plus an
unconditional row, from the EMA weights."""

from __future__ import annotations

from pathlib import Path

import torch

from diffusion.pipeline import GaitCraftPipeline
from gaitcraft.io.preview import write_contact_sheet


def sample_conditions(pipe: GaitCraftPipeline, n_ids: int = 2) -> list[dict]:
    """Fixed conditions for progress sheets: `n_ids` identities x views 0/90/180, and one all-null row."""
    vocab = pipe.condition_encoder.vocab
    clothing = "normal" if "normal" in vocab.clothing else vocab.clothing[0]
    carry = "none" if "none" in vocab.carry else vocab.carry[0]
    rows = [{"identity": i, "clothing": clothing, "carry": carry, "view": v}
            for i in vocab.identities[:n_ids] for v in (0.0, 90.0, 180.0)]
    return rows + [{"identity": None, "clothing": None, "carry": None, "view": None}]


def write_sample_sheet(pipe: GaitCraftPipeline, path: Path, steps: int, guidance_scale: float, seed: int = 0) -> Path:
    """Generate the fixed conditions and write them as one PNG contact sheet at `path`."""
    rows = sample_conditions(pipe)
    seqs = pipe(identity=[r["identity"] for r in rows], clothing=[r["clothing"] for r in rows],
                carry=[r["carry"] for r in rows], view=[r["view"] for r in rows], num_inference_steps=steps,
                guidance_scale=guidance_scale, generator=[torch.Generator().manual_seed(seed + i) for i in range(len(rows))]).sequences
    captions = [" | ".join("null" if v is None else str(v) for v in r.values()) for r in rows]
    write_contact_sheet(path, list(seqs), captions)
    return path
