"""Embeddings `[n, c, p]` with the labels of their sequences, selectable like a dataset index."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcraft.io.atomic import atomic_save
from gaitcraft.types import SequenceLabels


@dataclass
class EmbeddingSet:
    """Embeddings of sequences and their labels, row-aligned.

    embeddings: `[n, c, p]` float32; labels: one `SequenceLabels` per row.
    """

    embeddings: np.ndarray
    labels: list[SequenceLabels]

    def __post_init__(self) -> None:
        self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
        if self.embeddings.ndim == 2:
            self.embeddings = self.embeddings[:, :, None]  # [n, d, 1]
        if self.embeddings.ndim != 3 or len(self.embeddings) != len(self.labels):
            raise ValueError(f"embeddings {self.embeddings.shape} do not match {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def subjects(self) -> np.ndarray:
        """Subject ids, `[n]` str."""
        return np.array([lb.subject for lb in self.labels], dtype=object)

    @property
    def seq_types(self) -> np.ndarray:
        """Sequence types, `[n]` str."""
        return np.array([lb.seq_type for lb in self.labels], dtype=object)

    @property
    def views(self) -> np.ndarray:
        """Views in degrees, `[n]` float."""
        return np.array([lb.view for lb in self.labels], dtype=np.float64)

    def select(
        self,
        subjects: Iterable[str] | None = None,
        seq_types: Iterable[str] | None = None,
        views: Iterable[float] | None = None,
        predicate: Callable[[SequenceLabels], bool] | None = None,
    ) -> np.ndarray:
        """Boolean row mask `[n]` of the rows matching every given filter (None = no filter)."""
        subj = None if subjects is None else set(subjects)
        types = None if seq_types is None else set(seq_types)
        vws = None if views is None else {float(v) for v in views}
        return np.array(
            [
                (subj is None or lb.subject in subj)
                and (types is None or lb.seq_type in types)
                and (vws is None or lb.view in vws)
                and (predicate is None or bool(predicate(lb)))
                for lb in self.labels
            ],
            dtype=bool,
        )

    def subset(self, mask: np.ndarray | Sequence[int]) -> EmbeddingSet:
        """Rows picked by a boolean mask or an index list."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask, dtype=int)
        return EmbeddingSet(self.embeddings[idx], [self.labels[i] for i in idx])

    def save(self, path: str | Path) -> None:
        """Write atomically as `.npz` (embeddings + labels as a JSON string; no pickled objects)."""
        labels = json.dumps([lb.to_json() for lb in self.labels])
        atomic_save(path, lambda tmp: np.savez(tmp, embeddings=self.embeddings, labels=np.array(labels)), ".npz")

    @classmethod
    def load(cls, path: str | Path) -> EmbeddingSet:
        """Inverse of `save` (reads with `allow_pickle=False`)."""
        with np.load(path, allow_pickle=False) as z:
            labels = [SequenceLabels.from_json(d) for d in json.loads(str(z["labels"]))]
            return cls(z["embeddings"], labels)
