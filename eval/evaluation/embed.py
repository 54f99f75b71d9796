"""Embedding extraction on the CPU, cached per checkpoint and data version.

Each sequence is embedded whole (OpenGait's `all_ordered`), capped at `frames_limit` frames taken evenly
over the sequence. Sequences are packed back to back into forwards of about `batch_frames` frames.
Cache: `<cache>/embeddings/<checkpoint hash>/<data hash>.npz`; the data hash covers each record's labels,
files, sizes and modification times, plus the extraction settings, so any change re-embeds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from eval.evaluation.embedding_set import EmbeddingSet
from gaitcraft.errors import DataError
from gaitcraft.paths import cache_dir
from gaitcraft.pretreat import cut_width


def even_frames(n: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` frames spread evenly over `n` frames (all of them when n <= limit)."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).round().astype(int)


def packed_clips(sequences: Sequence[np.ndarray], frames_limit: int = 720, batch_frames: int = 720,
                 progress: bool = False, desc: str = "embed") -> Iterator[tuple[np.ndarray, list[int]]]:
    """Sequences packed back to back for a sequence model: yields (frames `[sum(t), 64, 44]` uint8, the length of
    each sequence in it), each pack at most `batch_frames` frames unless one sequence alone is longer.

    sequences: uint8 silhouettes `[t, 64, 64]` (cut to 44 wide here) or already cut `[t, 64, 44]`; each gives
    at most `frames_limit` frames spread evenly over it.
    """
    pack: list[np.ndarray] = []
    lens: list[int] = []
    for seq in tqdm(sequences, desc=desc, disable=not progress):
        clip = seq[even_frames(len(seq), frames_limit)]
        clip = cut_width(clip) if clip.shape[-1] == 64 else clip
        if pack and sum(lens) + len(clip) > batch_frames:
            yield np.concatenate(pack), list(lens)
            pack.clear()
            lens.clear()
        pack.append(np.ascontiguousarray(clip))
        lens.append(len(clip))
    if pack:
        yield np.concatenate(pack), list(lens)


@torch.no_grad()
def forward_sequences(model: torch.nn.Module, sequences: Sequence[np.ndarray], frames_limit: int = 720,
                      batch_frames: int = 720, bf16: bool = False, progress: bool = False) -> dict[str, np.ndarray]:
    """Run a sequence model (`model(x, seq_lens=...)` -> dict of `[n, ...]` tensors) over whole sequences.

    sequences: as `packed_clips` takes them. Returns each output concatenated over the sequences, as float32
    arrays.
    """
    model.eval()
    out: dict[str, list[np.ndarray]] = {}
    for frames, lens in packed_clips(sequences, frames_limit, batch_frames, progress):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()
        with ctx:
            res = model(torch.from_numpy(frames)[None], seq_lens=lens)  # input [1, sum(t), 64, 44]; each [n, ...]
        for k, v in res.items():
            out.setdefault(k, []).append(v.float().numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def embed_arrays(model: torch.nn.Module, sequences: Sequence[np.ndarray], frames_limit: int = 720,
                 batch_frames: int = 720, bf16: bool = False, progress: bool = False) -> np.ndarray:
    """Recognizer embeddings `[n, c, p]` float32 of uint8 silhouette sequences (see `forward_sequences`)."""
    if not len(sequences):
        raise ValueError("no sequences to embed")
    return forward_sequences(model, sequences, frames_limit, batch_frames, bf16, progress)["embeddings"]


class RecordFrames(Sequence):
    """Lazy list of record frames (loads one sequence at a time)."""

    def __init__(self, records):
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i].load()


def data_version(records, settings: dict) -> str:
    """Hash of the records (labels, files, sizes, mtimes) and the extraction settings."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for r in records:
        files = [r.path / f for f in r.files] if r.files else [r.path]
        stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists()]
        h.update(json.dumps([r.labels.to_json(), stats], sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def embed_records(model: torch.nn.Module, records, checkpoint_id: str | None = None,
                  frames_limit: int = 720, batch_frames: int = 720, bf16: bool = False,
                  cache: str | Path | None | bool = True, progress: bool = True) -> EmbeddingSet:
    """Embeddings of dataset records, read from / written to the cache when `checkpoint_id` is given.

    `cache`: True = `gaitcraft.paths.cache_dir()/embeddings`, a folder, or False/None to disable.
    """
    records = list(records)
    if not records:
        raise DataError("no sequences to embed (the selection is empty)")
    labels = [r.labels for r in records]
    path = None
    if checkpoint_id and cache:
        root = Path(cache) if not isinstance(cache, bool) else cache_dir() / "embeddings"
        settings = {"frames_limit": frames_limit, "bf16": bf16}
        path = root / checkpoint_id / f"{data_version(records, settings)}.npz"
        if path.is_file():
            return EmbeddingSet.load(path)
    emb = embed_arrays(model, RecordFrames(records), frames_limit, batch_frames, bf16, progress)
    es = EmbeddingSet(emb, labels)
    if path is not None:
        es.save(path)
    return es
