"""The recognizer's public face: load a trained run or an OpenGait checkpoint, embed data, run a protocol."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.embed import embed_records
from eval.evaluation.embedding_set import EmbeddingSet
from eval.evaluation.protocols import CASIA_B_GALLERY, casia_b, generic
from eval.models.gaitbase import GaitBase
from eval.models.gaitbase_config import model_config
from eval.models.opengait_checkpoint import check_state_dict, load_opengait_checkpoint
from eval.training.recognizer_config import RecognizerConfig
from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.training import model_folder, read_model


def checkpoint_id(path: str | Path) -> str:
    """A short content hash of a run's weights or of an OpenGait `.pt` file (the embedding-cache key)."""
    path = Path(path)
    f = model_folder(path) / "model.safetensors" if path.is_dir() else path
    h = hashlib.sha256()
    with open(f, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def load_recognizer(path: str | Path) -> tuple[GaitBase, dict[str, Any]]:
    """(model in eval mode, meta) from a model folder written by `train` (or its run folder), or from an
    OpenGait `.pt` file."""
    path = Path(path)
    if path.is_file() and path.suffix in (".pt", ".pth"):
        model = load_opengait_checkpoint(path)
        return model, {"kind": "opengait", "config": None, "classes": None, "step": None}
    if not path.exists():
        raise CheckpointError("no such run folder or checkpoint file", path)
    weights, meta = read_model(path)
    if meta.get("kind") != "gaitbase":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not a gaitbase recognizer", path)
    cfg = RecognizerConfig.from_dict(meta["config"], model_folder(path) / "meta.json")
    model = GaitBase(model_config(cfg, len(meta["classes"])))
    check_state_dict(model, weights, str(path))
    model.load_state_dict(weights)
    return model.eval(), meta


def embed(checkpoint: str | Path, index, cache: str | Path | bool = True, progress: bool = True,
          bf16: bool = False, frames_limit: int | None = None) -> EmbeddingSet:
    """Embeddings of every sequence in `index` with the recognizer at `checkpoint`, cached. Each sequence gives
    up to `frames_limit` frames spread evenly over it (default: the run's `eval.frames_limit`)."""
    return _embed(checkpoint, *load_recognizer(checkpoint), index, cache, progress, bf16, frames_limit)


def _embed(checkpoint, model, meta, index, cache, progress, bf16=False, frames_limit=None) -> EmbeddingSet:
    cfg = RecognizerConfig.from_dict(meta["config"]) if meta["config"] else RecognizerConfig()
    return embed_records(model, index.records, checkpoint_id(checkpoint), frames_limit or cfg.eval.frames_limit,
                         cfg.eval.batch_frames, bf16, cache, progress)


def run_kind(path: str | Path) -> str | None:
    """The `kind` the meta.json of a model (or run) folder names ('gaitbase', 'fused', ...); None for anything
    else."""
    meta = model_folder(path) / "meta.json"
    if not meta.is_file():
        return None
    try:
        return json.loads(meta.read_text()).get("kind")
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"cannot read run: {e}", path) from None


def embed_checkpoint(checkpoint: str | Path, index, cache: str | Path | bool = True,
                     progress: bool = True) -> tuple[EmbeddingSet, dict[str, Any]]:
    """(embeddings, meta) of `index` with a GaitBase run, an OpenGait `.pt` file or a fused (silhouette + 3D)
    run; a fused run reads the 3D keypoints of the reconstructor it was trained with (cached per sequence set)."""
    if run_kind(checkpoint) == "fused":
        from eval.training.train_fused import KeypointStore, embed_fused, load_fused

        model, meta = load_fused(checkpoint)
        store = KeypointStore(meta["reconstructor"], index.records, progress)
        if store.model_id != meta["reconstructor_id"]:
            raise CheckpointError(f"the reconstructor at {meta['reconstructor']} is not the one this fused run was "
                                  f"trained with (weights {store.model_id}, expected {meta['reconstructor_id']})",
                                  checkpoint)
        cfg = RecognizerConfig.from_dict(meta["config"])
        return embed_fused(model, index.records, store, cfg.eval.frames_limit, progress), meta
    model, meta = load_recognizer(checkpoint)
    return _embed(checkpoint, model, meta, index, cache, progress), meta


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
    es, meta = embed_checkpoint(checkpoint, index, cache, progress)
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
