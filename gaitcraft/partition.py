"""The train/test split of a dataset: which identities a trainer may learn from and which are held out.

Every trainer (generator, recognizer, attribute classifiers, reconstructor, augmentation experiment) takes its
split from here, from one of:

- `--partition FILE`: OpenGait's partition JSON, `{"TRAIN_SET": [ids], "TEST_SET": [ids]}`;
- `--partition NAME`: a standard split: `casia-b` (train 001-074, test 075-124, as OpenGait's CASIA-B.json),
  `oumvlp` (train the odd ids 00001-10305, test the even ids and 10307, as OpenGait's OUMVLP.json), or `all`
  (every identity trains and none is held out: the user says so in as many words);
- `partition.json` at the dataset root, when no `--partition` is given.

A tree with none of these is refused in one line: the split is never guessed. Training uses TRAIN_SET only.
Identities marked TEST, by the chosen split or by the tree's own `partition.json`, are refused as training
identities unless `allow_test_ids` (`--allow-test-ids`). Identities of the tree that the split lists in neither
set are not trained on (nor tested on), and are named once in a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from gaitcraft.errors import DataError

#: The split file looked for at a dataset root.
PARTITION_FILE = "partition.json"


def _casia_b() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(f"{i:03d}" for i in range(1, 75)), frozenset(f"{i:03d}" for i in range(75, 125))


def _oumvlp() -> tuple[frozenset[str], frozenset[str]]:
    # OU-MVLP's 10307 ids: the odd ones up to 10305 train (5153), the even ones and the last, 10307, test (5154)
    train = frozenset(f"{i:05d}" for i in range(1, 10306, 2))
    return train, frozenset(f"{i:05d}" for i in range(1, 10308) if f"{i:05d}" not in train)


#: Standard splits by name: what `--partition NAME` means, in words, and the (train, test) ids.
STANDARD_SPLITS = {
    "casia-b": ("the standard CASIA-B split (train 001-074, test 075-124)", _casia_b),
    "oumvlp": ("the standard OU-MVLP split (train odd ids 00001-10305, test even ids and 10307)", _oumvlp),
}
#: The name that trains on every identity of the tree.
ALL = "all"
NAMES = (*STANDARD_SPLITS, ALL)

@dataclass(frozen=True)
class Partition:
    """A train/test split. `train` None means every identity trains (the `all` split)."""

    source: str  # what the user is told: the JSON's path, or the standard split in words
    train: frozenset[str] | None
    test: frozenset[str] = field(default_factory=frozenset)
    path: Path | None = None  # the JSON file, when it came from one

    def unlisted(self, subjects: list[str]) -> list[str]:
        """The `subjects` this split lists in neither TRAIN_SET nor TEST_SET (none for `all`)."""
        if self.train is None:
            return []
        return sorted(s for s in subjects if s not in self.train and s not in self.test)


def read_partition_file(path: str | Path) -> Partition:
    """An OpenGait partition JSON as a `Partition`; DataError naming the file for anything else."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"partition file does not exist (a name may be one of: {', '.join(NAMES)})", path)
    if path.is_dir():
        raise DataError("is a folder, not a partition JSON", path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read the partition file ({type(e).__name__}: {e})", path) from None
    except json.JSONDecodeError as e:
        raise DataError(f"not an OpenGait partition JSON (not JSON: {e.msg} at line {e.lineno})", path) from None
    if not isinstance(d, dict) or "TRAIN_SET" not in d or "TEST_SET" not in d:
        raise DataError('not an OpenGait partition JSON: expected {"TRAIN_SET": [...], "TEST_SET": [...]}', path)
    sets = []
    for key in ("TRAIN_SET", "TEST_SET"):
        ids = d[key]
        if not isinstance(ids, list) or not all(isinstance(s, (str, int)) and not isinstance(s, bool) for s in ids):
            raise DataError(f"{key} must be a list of identity names", path)
        sets.append(frozenset(str(s) for s in ids))
    return Partition(str(path), sets[0], sets[1], path)


def named_partition(name: str) -> Partition:
    """A standard split by name (`STANDARD_SPLITS`) or `all`."""
    if name == ALL:
        return Partition("the 'all' split (every identity trains)", None)
    words, ids = STANDARD_SPLITS[name]
    train, test = ids()
    return Partition(words, train, test)


def load_partition(spec: str | Path) -> Partition:
    """`spec` as a split: a standard name (`NAMES`) or the path of an OpenGait partition JSON."""
    if isinstance(spec, str) and spec.lower() in NAMES:
        return named_partition(spec.lower())
    return read_partition_file(spec)


def tree_partition(data: str | Path) -> Partition | None:
    """The `partition.json` at the root of the dataset at `data`, or None when it has none."""
    part = Path(data) / PARTITION_FILE
    return read_partition_file(part) if part.is_file() else None


def no_split_error(data: str | Path) -> DataError:
    """The one-line error for a tree with no split and no `--partition`."""
    return DataError(f"no train/test split: the folder has no {PARTITION_FILE}; pass --partition FILE (an OpenGait "
                     f"partition JSON), --partition casia-b or oumvlp (a standard split), or --partition all "
                     "(train on every identity)", data)


def resolve_partition(data: str | Path, partition: str | Path | None = None, default: str | None = None) -> Partition:
    """The split of the dataset at `data`: `partition` (a name or a file), else its `partition.json`, else the
    named `default` when given; with none of these a DataError that says how to give one."""
    if partition is not None:
        return load_partition(partition)
    found = tree_partition(data)
    if found is not None:
        return found
    if default is not None:
        return named_partition(default)
    raise no_split_error(data)
