"""Dataset API: a lazy index of labelled sequences, filters and partitions, clip sampling and a P×K sampler."""

from __future__ import annotations

import dataclasses
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcraft.errors import DataError
from gaitcraft.io.frames import IMAGE_EXTS, list_frame_files, read_frame_folder
from gaitcraft.io.manifest import MANIFEST, read_manifest
from gaitcraft.io.opengait_tree import Problem, read_opengait_sequence, scan_tree
from gaitcraft.io.video import VIDEO_EXTS, read_video_silhouettes
from gaitcraft.partition import load_partition
from gaitcraft.path_labels import labels_from_path
from gaitcraft.types import SequenceLabels, parse_view, validate_silhouettes
from gaitcraft.vocab import CASIA_B, GENERIC, OUMVLP, LabelMapping, mapping_for

KINDS = ("auto", "opengait", "gaitcraft", "png-tree", "frames", "video")


#: The frame size (h, w) every model and 64x64 consumer takes: OpenGait's pretreated silhouettes.
MODEL_FRAME_SIZE = (64, 64)


@dataclass(frozen=True)
class SequenceRecord:
    """One sequence in an index: its labels and where its frames are. Nothing is read until `load()`."""

    labels: SequenceLabels
    kind: str  # 'pkl' | 'png' | 'video'
    path: Path  # the view folder (pkl, png) or the video file
    files: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        """The file or folder the frames are read from (the .pkl itself for OpenGait trees): errors name it."""
        return self.path / self.files[0] if self.kind == "pkl" else self.path

    def load_raw(self) -> np.ndarray:
        """The stored frames `[t, h, w]`, as they are (dtype and grey edges kept)."""
        if self.kind == "pkl":
            return read_opengait_sequence(self.source)
        if self.kind == "png":
            return read_frame_folder(self.path)
        return read_video_silhouettes(self.path)

    def load(self, frame_size: tuple[int, int] | None = MODEL_FRAME_SIZE) -> np.ndarray:
        """The frames as binary silhouettes `[t, h, w]` uint8 0/255 (values read by `read_silhouette_values`).

        Frames of another size than `frame_size` (h, w) are a `DataError` naming the file, so a model is never
        fed, say, 128x88 silhouettes; pass None where any size is fine (previews, pretreatment input).
        """
        raw = self.load_raw()
        if frame_size is not None and raw.ndim == 3 and raw.shape[1:] != tuple(frame_size):
            raise DataError(f"frames are {raw.shape[1]}x{raw.shape[2]}; models take {frame_size[0]}x{frame_size[1]} "
                            "silhouettes (`gaitcraft pretreat` makes them from raw frames)", self.source)
        return validate_silhouettes(raw, where=str(self.source))


class DatasetIndex:
    """An index of sequences with labels. Build it with `DatasetIndex.open(path)`; it reads no frames."""

    def __init__(self, records: list[SequenceRecord], root: Path | None = None, kind: str = "",
                 problems: list[Problem] | None = None):
        self.records = list(records)
        self.root = root
        self.kind = kind
        self.problems = list(problems or [])

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[SequenceRecord]:
        return iter(self.records)

    def __getitem__(self, i: int) -> SequenceRecord:
        return self.records[i]

    @classmethod
    def open(cls, path: str | Path, kind: str = "auto", mapping: str | LabelMapping = "auto",
             source: str | None = None) -> DatasetIndex:
        """Index a dataset: an OpenGait tree, a GaitCraft tree (with manifest.jsonl), a PNG tree
        (`<id>/<type>/<view>/*.png`, e.g. raw CASIA-B), one folder of frames, or one video file.

        `mapping` turns sequence types into clothing/carry ('casia-b', 'ou-mvlp', 'generic', a JSON file,
        or 'auto' to guess from the type names). Labels from a manifest win over the mapping.
        """
        path = Path(path)
        if not path.exists():
            raise DataError("path does not exist", path)
        if kind not in KINDS:
            raise DataError(f"unknown dataset kind {kind!r}; valid: {', '.join(KINDS)}", path)
        if kind == "auto":
            kind = _detect_kind(path)
        src = source or path.name
        if kind == "video":
            return cls([SequenceRecord(labels_from_path(path, src), "video", path)], path, kind)
        if kind == "frames":
            first = next(iter(list_frame_files(path)), None)
            labels = labels_from_path(path, src, first.name if first else None)
            return cls([SequenceRecord(labels, "png", path)], path, kind)
        exts = (".pkl",) if kind in ("opengait", "gaitcraft") else IMAGE_EXTS
        entries, problems = scan_tree(path, exts)
        if not entries:
            raise DataError(f"no sequences found (expected <id>/<type>/<view>/*{exts[0]})", path)
        manifest = read_manifest(path) if kind == "gaitcraft" else {}
        if not isinstance(mapping, LabelMapping):
            mapping = _guess_mapping({e.seq_type for e in entries}) if mapping == "auto" else mapping_for(mapping)
        records = []
        for e in entries:
            labels = manifest.get((e.subject, e.seq_type, e.view))
            if labels is None:
                if manifest:
                    problems.append(Problem(str(e.folder), "sequence missing from manifest.jsonl; labels from the type name"))
                try:
                    type_labels = mapping.labels(e.seq_type)
                except DataError as err:
                    problems.append(Problem(str(e.folder), err.reason + "; assumed normal clothing, no carry"))
                    type_labels = {}  # the labels' defaults
                try:
                    view = parse_view(e.view)
                except DataError as err:
                    problems.append(Problem(str(e.folder), err.reason))
                    continue
                labels = SequenceLabels(e.subject, e.seq_type, view, source=src, **type_labels)
            records.append(SequenceRecord(labels, "pkl" if exts == (".pkl",) else "png", e.folder, e.files))
        return cls(records, path, kind, problems)

    # ---- selection -------------------------------------------------------------------------------------
    def filter(self, subjects: Iterable[str] | None = None, seq_types: Iterable[str] | None = None,
               views: Iterable[float] | None = None, predicate: Callable[[SequenceLabels], bool] | None = None,
               **label_values) -> DatasetIndex:
        """A sub-index. `seq_types` entries ending in '-' match a prefix ('nm-'); `label_values` match any
        label field exactly (e.g. clothing='coat', source='procedural')."""
        fields = {f.name for f in dataclasses.fields(SequenceLabels)}
        bad = set(label_values) - fields
        if bad:
            raise DataError(f"unknown label fields {sorted(bad)}; valid: {sorted(fields)}")
        subj = None if subjects is None else {str(s) for s in subjects}
        types = None if seq_types is None else list(seq_types)
        vset = None if views is None else {round(float(v), 3) for v in views}

        def keep(lab: SequenceLabels) -> bool:
            if subj is not None and lab.subject not in subj:
                return False
            if types is not None and not any(lab.seq_type == t or (t.endswith("-") and lab.seq_type.startswith(t)) for t in types):
                return False
            if vset is not None and round(lab.view, 3) not in vset:
                return False
            if any(getattr(lab, k) != v for k, v in label_values.items()):
                return False
            return predicate is None or predicate(lab)

        return DatasetIndex([r for r in self.records if keep(r.labels)], self.root, self.kind, self.problems)

    def subset(self, indices: Iterable[int]) -> DatasetIndex:
        """A sub-index by record position."""
        return DatasetIndex([self.records[i] for i in indices], self.root, self.kind, self.problems)

    def split(self, partition: str | Path) -> tuple[DatasetIndex, DatasetIndex]:
        """(train, test) sub-indices from an OpenGait partition JSON or a standard split's name
        (`gaitcraft.partition`); identities in neither list are in neither part."""
        part = load_partition(partition)
        return self.filter(subjects=part.train), self.filter(subjects=part.test)

    # ---- summaries -------------------------------------------------------------------------------------
    @property
    def subjects(self) -> list[str]:
        """Sorted subject ids."""
        return sorted({r.labels.subject for r in self.records})

    def values(self, field: str) -> list:
        """Sorted distinct values of one label field."""
        return sorted({getattr(r.labels, field) for r in self.records})


def _detect_kind(path: Path) -> str:
    if path.is_file():
        if path.suffix.lower() in VIDEO_EXTS:
            return "video"
        raise DataError(f"not a dataset folder or a video file (known video types: {', '.join(VIDEO_EXTS)})", path)
    if (path / MANIFEST).exists():
        return "gaitcraft"
    children = list(path.iterdir())
    if not children:
        raise DataError("empty folder", path)
    if any(c.is_file() and c.suffix.lower() in IMAGE_EXTS for c in children):
        return "frames"
    for f in path.glob("*/*/*/*"):
        if f.suffix.lower() == ".pkl":
            return "opengait"
        if f.suffix.lower() in IMAGE_EXTS:
            return "png-tree"
    raise DataError("no silhouettes found: expected <id>/<type>/<view>/*.pkl or *.png, or a folder of frames", path)


def _guess_mapping(types: set[str]) -> LabelMapping:
    if types <= {"00", "01"}:
        return OUMVLP
    if all(t.split("-")[0] in ("nm", "bg", "cl") for t in types):
        return CASIA_B
    return GENERIC


# ---- training-time sampling -------------------------------------------------------------------------------
SAMPLINGS = ("fixed_unordered", "fixed_ordered", "unfixed_unordered", "unfixed_ordered", "all_ordered")


def sample_frame_indices(n: int, frames: int, sampling: str, rng: np.random.Generator,
                         min_frames: int | None = None) -> np.ndarray:
    """OpenGait-style frame selection from a sequence of `n` frames.

    fixed_*: exactly `frames` frames; unfixed_*: a random count in [min_frames, frames]; *_ordered: a contiguous
    window (looping short sequences); *_unordered: random frames (with replacement only when n is too short);
    all_ordered: every frame.
    """
    if sampling not in SAMPLINGS:
        raise DataError(f"unknown frame sampling {sampling!r}; valid: {', '.join(SAMPLINGS)}")
    if sampling == "all_ordered":
        return np.arange(n)
    count = frames
    if sampling.startswith("unfixed"):
        count = int(rng.integers(min_frames or max(1, frames // 2), frames + 1))
    if sampling.endswith("_ordered"):
        start = int(rng.integers(0, n)) if n < count else int(rng.integers(0, n - count + 1))
        return (start + np.arange(count)) % n
    return rng.choice(n, size=count, replace=n < count)


class ClipDataset:
    """A torch-style Dataset of silhouette clips: item -> {"sil": uint8 tensor [t, 64, 44], "index": i, "frames"}.

    Frames are re-drawn on every access from the dataset's seeded RNG, as OpenGait does.
    """

    def __init__(self, records: list[SequenceRecord] | DatasetIndex, frames: int = 30,
                 sampling: str = "fixed_unordered", cut: bool = True, seed: int = 0, cache: bool = False):
        if sampling not in SAMPLINGS:
            raise DataError(f"unknown frame sampling {sampling!r}; valid: {', '.join(SAMPLINGS)}")
        self.records = list(records)
        self.frames, self.sampling, self.cut = frames, sampling, cut
        self.rng = np.random.default_rng(seed)
        self._cache: dict[int, np.ndarray] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.records)

    def _frames(self, i: int) -> np.ndarray:
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        arr = self.records[i].load()
        if self._cache is not None:
            self._cache[i] = arr
        return arr

    def __getitem__(self, i: int) -> dict:
        import torch

        from gaitcraft.pretreat import cut_width

        arr = self._frames(i)  # [n, 64, 64]
        idx = sample_frame_indices(len(arr), self.frames, self.sampling, self.rng)
        clip = arr[idx]
        if self.cut:
            clip = cut_width(clip)
        return {"sil": torch.from_numpy(np.ascontiguousarray(clip)), "index": i,  # sil: [t, 64, 44]
                "frames": torch.from_numpy(idx.astype(np.int64))}  # [t] frame indices within sequence i


class PKSampler:
    """Batch sampler: each batch holds `p` identities × `k` sequences each (OpenGait's TripletSampler).

    Identities with fewer than `k` sequences are sampled with replacement and listed in `short_identities`.
    With `groups` (a group name per label, e.g. each sequence's data source), each batch draws an equal share of
    its `p` identities from every group (the first groups in sorted order take the remainder), so a small real
    set is not swamped by a large synthetic one. `takes` ({group: identities per batch}, summing to `p`) sets
    the shares instead; it must name exactly the groups present.
    """

    def __init__(self, labels: list[str], p: int = 8, k: int = 16, seed: int = 0, batches: int | None = None,
                 groups: list[str] | None = None, takes: dict[str, int] | None = None):
        if takes is not None and (groups is None or sum(takes.values()) != p):
            raise DataError(f"PKSampler takes {takes} need groups and must sum to p={p}")
        self.takes = takes
        self.by_id: dict[str, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            self.by_id[lab].append(i)
        if len(self.by_id) < p:
            raise DataError(f"P×K sampling needs at least p={p} identities, the data has {len(self.by_id)}")
        self.ids = sorted(self.by_id)
        self.p, self.k = p, k
        self.pools = self._group_pools(labels, groups)
        self.short_identities = sorted(i for i in self.ids if len(self.by_id[i]) < k)
        if self.short_identities:
            warnings.warn(f"{len(self.short_identities)} identities have fewer than k={k} sequences; "
                          "they are sampled with replacement", stacklevel=2)
        self.rng = np.random.default_rng(seed)
        self.batches = batches or max(1, len(labels) // (p * k))

    def _group_pools(self, labels: list[str], groups: list[str] | None) -> list[tuple[list[str], int]]:
        """[(identities of a group, identities drawn from it per batch)]; one pool of all identities without groups."""
        if groups is None:
            return [(self.ids, self.p)]
        if len(groups) != len(labels):
            raise DataError(f"PKSampler got {len(groups)} groups for {len(labels)} labels")
        group_of: dict[str, set[str]] = defaultdict(set)
        for lab, g in zip(labels, groups):
            group_of[lab].add(g)
        mixed = sorted(lab for lab, gs in group_of.items() if len(gs) > 1)
        if mixed:
            raise DataError(f"identities in more than one group: {mixed[:5]}")
        names = sorted({g for gs in group_of.values() for g in gs})
        if self.takes is not None and set(self.takes) != set(names):
            raise DataError(f"P×K shares name the groups {sorted(self.takes)} but the data has {names}")
        share, extra = divmod(self.p, len(names))
        pools = []
        for n, name in enumerate(names):
            ids = sorted(lab for lab, gs in group_of.items() if name in gs)
            take = self.takes[name] if self.takes is not None else share + (n < extra)
            if len(ids) < take:
                raise DataError(f"grouped P×K sampling draws {take} identities per batch from group {name!r}, "
                                f"which has {len(ids)}")
            pools.append((ids, take))
        return pools

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[list[int]]:
        for _ in range(self.batches):
            chosen = [ids[c] for ids, take in self.pools for c in self.rng.choice(len(ids), size=take, replace=False)]
            batch: list[int] = []
            for ident in chosen:
                pool = self.by_id[ident]
                batch.extend(int(x) for x in self.rng.choice(pool, size=self.k, replace=len(pool) < self.k))
            yield batch
