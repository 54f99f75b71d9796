"""The generator a synthetic dataset comes from: where the shipped one lives, loading it with one-line errors,
its content hash (provenance) and the condition values it knows."""

from __future__ import annotations

import hashlib
from pathlib import Path

from diffusion.pipeline import GaitCraftPipeline
from gaitcraft.errors import CheckpointError
from gaitcraft.paths import REPO_ROOT

#: The shipped generator: a folder written by `GaitCraftPipeline.save_pretrained` (model_index.json, unet/,
#: autoencoder/, condition_encoder/, scheduler/).
DEFAULT_MODEL = REPO_ROOT / "assets" / "models" / "generator"
GENERATOR_NAME = "gaitcraft-diffusion"


def model_dir(path: str | Path | None) -> Path:
    """The model folder to use: `path`, else the shipped one; a missing folder is a one-line `CheckpointError`."""
    if path is None:
        if not DEFAULT_MODEL.is_dir():
            raise CheckpointError(f"no shipped generator at {DEFAULT_MODEL}; train one with "
                                  "`gaitcraft train --data DIR --out RUN` and pass --model RUN/model")
        return DEFAULT_MODEL
    p = Path(path)
    if not p.is_dir():
        raise CheckpointError("model folder does not exist", p)
    return p


def load_generator(path: str | Path | None = None) -> GaitCraftPipeline:
    """Load the pipeline at `path` (default: the shipped generator), strictly."""
    return GaitCraftPipeline.from_pretrained(model_dir(path))


def model_hash(path: str | Path) -> str:
    """sha256 (hex) over the model's safetensors files, in sorted relative-path order (names and bytes)."""
    root = Path(path)
    files = sorted(root.rglob("*.safetensors"))
    if not files:
        raise CheckpointError("model folder holds no .safetensors weights", root)
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def model_conditions(pipe: GaitCraftPipeline) -> dict[str, list]:
    """What the model can be asked for: its vocabularies keyed by `vocab_key` (training identities, clothing,
    carry) and the frame range."""
    return {**pipe.condition_encoder.vocab.to_dict(),
            "max_frames": int(pipe.unet.config.max_frames), "num_frames": int(pipe.unet.config.num_frames)}
