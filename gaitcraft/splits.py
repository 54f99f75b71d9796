"""Selecting a dataset's training or evaluation sequences by the split rules of `gaitcraft.partition`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.partition import Partition, resolve_partition, tree_partition


@dataclass
class TrainingSplit:
    """The training sequences of a dataset and what the choice left out or let in."""

    index: DatasetIndex  # the sequences to train on
    partition: Partition
    unlisted: list[str]  # identities of the tree in neither list of the split: not trained on
    test_ids_trained: list[str]  # identities marked TEST that train anyway (only with allow_test_ids)
    subjects: list[str] = field(default_factory=list)  # every identity of the tree, trained on or not

    @property
    def held_out(self) -> list[str]:
        """The identities of the tree that the split marks TEST and that are not trained on."""
        trained = set(self.test_ids_trained)
        return [s for s in self.subjects if s in self.partition.test and s not in trained]

    def notes(self, data: str | Path) -> list[str]:
        """One line per thing the user should know about the choice (nothing when all is as expected)."""
        out = []
        if self.unlisted:
            out.append(f"note: {len(self.unlisted)} identities of {data} are in neither TRAIN_SET nor TEST_SET of "
                       f"{self.partition.source} and are not trained on: {_ids(self.unlisted)}")
        if self.test_ids_trained:
            out.append(f"note: training on {len(self.test_ids_trained)} identities marked TEST "
                       f"(--allow-test-ids): {_ids(self.test_ids_trained)}")
        return out


def _ids(ids: list[str], shown: int = 10) -> str:
    return ", ".join(ids[:shown]) + (f" ... (+{len(ids) - shown})" if len(ids) > shown else "")


def select_training(data: str | Path, partition: str | Path | None = None, allow_test_ids: bool = False,
                    index: DatasetIndex | None = None, default: str | None = None) -> TrainingSplit:
    """The TRAIN_SET sequences of the dataset at `data` (`index`, if already open), by the rules of this module.

    Refuses (DataError, one line) when the split cannot be found, when it selects no sequence, and, unless
    `allow_test_ids`, when a training identity is marked TEST by the chosen split or by the tree's own
    `partition.json`.
    """
    part = resolve_partition(data, partition, default)
    index = DatasetIndex.open(data) if index is None else index
    subjects = index.subjects
    train = subjects if part.train is None else [s for s in subjects if s in part.train]
    marked: dict[str, Partition] = {}  # training identity -> a split that marks it TEST
    own = tree_partition(data) if partition is not None else None
    for split in (part, own):
        if split is not None:
            marked.update({s: split for s in train if s in split.test and s not in marked})
    if marked and not allow_test_ids:
        first = marked[min(marked)]
        raise DataError(f"training would use {len(marked)} identities marked TEST ({_ids(sorted(marked))}); use "
                        "a split whose TRAIN_SET holds no test identity, or --allow-test-ids to train on them anyway",
                        first.path or first.source)
    chosen = index.filter(subjects=train)
    if not len(chosen):
        raise DataError(f"the TRAIN_SET of {part.source} selects no sequence of this dataset "
                        f"(its identities: {_ids(subjects)})", data)
    return TrainingSplit(chosen, part, part.unlisted(subjects), sorted(marked), list(subjects))


def training_index(data: str | Path, partition: str | Path | None = None, allow_test_ids: bool = False,
                   index: DatasetIndex | None = None, default: str | None = None, say=print) -> DatasetIndex:
    """`select_training(...).index`, after passing its notes to `say` (print by default; None for silence)."""
    sel = select_training(data, partition, allow_test_ids, index, default)
    for line in sel.notes(data) if say is not None else ():
        say(line)
    return sel.index


def evaluation_index(data: str | Path, split: str = "test", partition: str | Path | None = None,
                     index: DatasetIndex | None = None) -> DatasetIndex:
    """The sequences to evaluate: `split` 'all' (every sequence, no split needed) or 'test' (TEST_SET)."""
    if split not in ("test", "all"):
        raise DataError(f"unknown split {split!r}; valid: test, all")
    part = resolve_partition(data, partition) if split == "test" else None  # before a slow scan of the tree
    index = DatasetIndex.open(data) if index is None else index
    if part is None:
        return index
    if part.train is None:
        raise DataError(f"{part.source} holds no test identities; evaluate with --split all", data)
    chosen = index.filter(subjects=part.test)
    if not len(chosen):
        raise DataError(f"the TEST_SET of {part.source} selects no sequence of this dataset", data)
    return chosen


def open_split(data: str | Path, split: str, partition: str | Path | None = None) -> DatasetIndex:
    """The `split` ('train', 'test' or 'all') part of the dataset at `data`, by the rules of `gaitcraft.partition`
    (a tree with no split and no `partition` is refused for 'train' and 'test')."""
    if split == "train":
        return training_index(data, partition, say=None)
    return evaluation_index(data, split, partition)
