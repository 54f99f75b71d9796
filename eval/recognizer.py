"""The recognizer's public face: load a trained run or an OpenGait checkpoint, embed data, run a protocol."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from eval.embed import embed_records
from eval.embedding_set import EmbeddingSet
from eval.gaitbase import GaitBase
from eval.opengait_checkpoint import check_state_dict, load_opengait_checkpoint
from eval.protocols import CASIA_B_GALLERY, casia_b, generic
from eval.recognizer_config import RecognizerConfig
from eval.train_recognizer import model_config
from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.io.run_checkpoints import read_final


def checkpoint_id(path: str | Path) -> str:
    """A short content hash of a run's weights or of an OpenGait `.pt` file (the embedding-cache key)."""
    path = Path(path)
    f = path / "model.safetensors" if path.is_dir() else path
    h = hashlib.sha256()
    with open(f, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def load_recognizer(path: str | Path) -> tuple[GaitBase, dict[str, Any]]:
    """(model in eval mode, meta) from a run folder written by `train`, or from an OpenGait `.pt` file."""
    path = Path(path)
    if path.is_file() and path.suffix in (".pt", ".pth"):
        model = load_opengait_checkpoint(path)
        return model, {"kind": "opengait", "config": None, "classes": None, "step": None}
    if not path.exists():
        raise CheckpointError("no such run folder or checkpoint file", path)
    weights, meta = read_final(path)
    if meta.get("kind") != "gaitbase":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not a gaitbase recognizer", path)
    cfg = RecognizerConfig.from_dict(meta["config"], where=f"{path}/meta.json")
    model = GaitBase(model_config(cfg, len(meta["classes"])))
    check_state_dict(model, weights, str(path))
    model.load_state_dict(weights)
    return model.eval(), meta


def embed(checkpoint: str | Path, index, cache: str | Path | bool = True, progress: bool = True,
          bf16: bool = False) -> EmbeddingSet:
    """Embeddings of every sequence in `index` with the recognizer at `checkpoint`, cached."""
    return _embed(checkpoint, *load_recognizer(checkpoint), index, cache, progress, bf16)


def _embed(checkpoint, model, meta, index, cache, progress, bf16=False) -> EmbeddingSet:
    cfg = RecognizerConfig.from_dict(meta["config"]) if meta["config"] else RecognizerConfig()
    return embed_records(model, index.records, checkpoint_id(checkpoint), cfg.eval.frames_limit,
                         cfg.eval.batch_frames, bf16, cache, progress)


def evaluate(checkpoint: str | Path, index, protocol: str = "casia-b", *, gallery: dict | None = None,
             probe: dict | None = None, probe_sets: dict | None = None, gallery_types: tuple[str, ...] | None = None,
             metric: str | None = None,
             cache: str | Path | bool = True, progress: bool = True) -> dict:
    """Run a protocol on `index` (pass the test partition) with the recognizer at `checkpoint`.

    protocol 'casia-b': optional `probe_sets` {'NM': [types], ...} restricts or replaces NM/BG/CL, and
    `gallery_types` replaces nm-01..04 (for trees with other type names).
    protocol 'generic': `gallery` and `probe` are filters for `EmbeddingSet.select`
    (e.g. {'seq_types': ['nm-01']}); without them each sequence is a probe against all the others.
    """
    model, meta = load_recognizer(checkpoint)
    es = _embed(checkpoint, model, meta, index, cache, progress)
    metric = metric or (meta["config"] or {}).get("eval", {}).get("metric", "euc")
    if protocol == "casia-b":
        result = casia_b(es, tuple(gallery_types or CASIA_B_GALLERY), probe_sets, metric)
    elif protocol == "generic":
        g = es.select(**gallery) if gallery else np.ones(len(es), bool)
        p = es.select(**probe) if probe else np.ones(len(es), bool)
        result = generic(es, g, p, metric=metric)
    else:
        raise ConfigError(f"unknown protocol {protocol!r}; valid: casia-b, generic")
    result["checkpoint"] = str(checkpoint)
    result["sequences"] = len(es)
    return result
