"""The recognizer an audit uses: GaitCraft's own (a trained run folder), an OpenGait GaitBase checkpoint, or any
function `embed(frames [t, 64, 64]) -> vector` (tests, baselines). Embeddings and distances come from `eval`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.evaluation.distances import distance_matrix
from gaitcraft.errors import ConfigError
from gaitcraft.pretreat import cut_width

KINDS = ("ours", "opengait", "gei")


@dataclass
class Recognizer:
    """Embeds silhouette sequences and compares embeddings (smaller distance = more alike)."""

    name: str
    embed: Callable[[Sequence[np.ndarray]], np.ndarray]  # [t, 64, 64] uint8 each -> [n, c, p] or [n, d]
    metric: str = "euc"  # eval.evaluation.distances metric: 'euc' or 'cos'
    embed_records: Callable[[list], np.ndarray] | None = None  # optional cached path for gallery records

    @classmethod
    def per_sequence(cls, fn: Callable[[np.ndarray], np.ndarray], name: str = "function",
                     metric: str = "euc") -> Recognizer:
        """A recognizer from a one-sequence function `fn(frames [t, 64, 64]) -> [d] or [c, p]`."""
        return cls(name, lambda seqs: np.stack([np.asarray(fn(s), np.float32) for s in seqs]), metric)

    def embed_gallery(self, records: list) -> np.ndarray:
        """Embeddings of dataset records (`SequenceRecord`), through the cache when the recognizer has one."""
        if self.embed_records is not None:
            return self.embed_records(records)
        return self.embed([r.load() for r in records])

    def distances(self, probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Distances `[n_probe, n_gallery]` between two embedding stacks."""
        return distance_matrix(probe, gallery, self.metric)


def gei_embedding(frames: np.ndarray, pool: int = 2) -> np.ndarray:
    """A training-free baseline: the gait energy image (mean silhouette, 64x44 cut) average-pooled by `pool`,
    flattened `[d]`. It sees body shape and motion together, as any silhouette recognizer does."""
    gei = cut_width(frames).astype(np.float32).mean(0) / 255.0  # [64, 44]
    h, w = gei.shape[0] // pool, gei.shape[1] // pool
    return gei[: h * pool, : w * pool].reshape(h, pool, w, pool).mean((1, 3)).ravel()  # [h * w]


def load_audit_recognizer(kind: str, checkpoint: str | Path | None = None, progress: bool = False) -> Recognizer:
    """'ours' (a run folder from `gaitcraft recognizer train`), 'opengait' (a GaitBase `.pt`), or 'gei'."""
    if kind not in KINDS:
        raise ConfigError(f"unknown recognizer {kind!r}; valid: {', '.join(KINDS)}")
    if kind == "gei":
        return Recognizer.per_sequence(gei_embedding, "gei (training-free baseline)")
    if checkpoint is None:
        raise ConfigError(f"--recognizer {kind} needs --checkpoint")
    path = Path(checkpoint)
    if kind == "ours" and not path.is_dir():
        raise ConfigError("--recognizer ours expects a run folder written by `gaitcraft recognizer train`", path)
    if kind == "opengait" and not (path.is_file() and path.suffix in (".pt", ".pth")):
        raise ConfigError("--recognizer opengait expects an OpenGait GaitBase checkpoint file (.pt)", path)
    from eval.evaluation.embed import embed_arrays
    from eval.evaluation.embed import embed_records as cached_records
    from eval.evaluation.recognizer import checkpoint_id, load_recognizer
    from eval.training.recognizer_config import RecognizerConfig

    model, meta = load_recognizer(path)
    cfg = RecognizerConfig.from_dict(meta["config"]) if meta.get("config") else RecognizerConfig()
    limit, batch, cid = cfg.eval.frames_limit, cfg.eval.batch_frames, checkpoint_id(path)

    def embed(seqs: Sequence[np.ndarray]) -> np.ndarray:
        return embed_arrays(model, list(seqs), limit, batch)

    def gallery(records: list) -> np.ndarray:
        return cached_records(model, records, cid, limit, batch, progress=progress).embeddings

    return Recognizer(f"{kind}: {path}", embed, cfg.eval.metric, gallery)
