"""Privacy audit and curation of a synthetic dataset: measured on the sequences handed in, returned as results.

A dataset builder runs `dataset_checks(...)` between generation and its card and records what it decides
(identities to drop, sequences to prune); nothing here writes a dataset. `privacy_audit_command` is
`gaitcraft privacy-audit`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.curation import curate
from eval.evaluation.privacy import audit, reidentified, resolve_recognizer, split_reference, write_histogram
from eval.evaluation.recognizer import embed
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.partition import load_partition, tree_partition
from gaitcraft.training_data import find_training_data, read_training_data


@dataclass(frozen=True)
class Reference:
    """The real data a privacy audit compares synthetic identities with: a tree, its gallery (the generator's
    training identities) and its held-out identities (where the FAR threshold is set); both None means the whole
    tree is both."""

    tree: Path
    train_ids: list[str] | None
    held_out_ids: list[str] | None
    split: str  # the split in words, for the report and the card


def resolve_reference(reference: str | Path, partition: str | Path | None = None) -> Reference:
    """The audit's reference from `reference`: a generator's run or model folder holding its training-data record
    (`gaitcraft.training_data`: the gallery is then the tree it trained on, restricted to the identities it trained
    on, and the threshold is set on the identities its split held out), or a dataset tree split by `partition` (a
    name or an OpenGait partition JSON), else by its own partition.json, else not at all (the whole tree is both
    gallery and threshold set). Missing folders are one-line `DataError`s."""
    ref = Path(reference)
    if not ref.is_dir():
        raise DataError("reference folder does not exist (give a dataset tree, or the generator's run or model "
                        "folder)", ref)
    record = read_training_data(ref)
    if record is not None:
        tree = Path(record["tree"])
        if not tree.is_dir():
            raise DataError(f"the generator's training tree {tree} (recorded in {find_training_data(ref)}) is not "
                            "there; pass --reference TREE (with --reference-partition) instead", ref)
        return Reference(tree, list(record["train_ids"]), list(record["held_out_ids"]), record["split"])
    part = load_partition(partition) if partition is not None else tree_partition(ref)
    if part is None or part.train is None:
        return Reference(ref, None, None, "no split: the whole tree is gallery and threshold set")
    return Reference(ref, sorted(part.train), sorted(part.test), part.source)


def reference_sets(reference: Reference, recognizer: Path, progress: bool, frames_limit: int | None = None):
    """Embeddings of the reference's (gallery, held-out identities), and what they are ({'tree', 'split',
    'identities', 'held_out'}, for the report and the card). `frames_limit`: as in `recognizer.embed`."""
    index = DatasetIndex.open(reference.tree)
    if reference.train_ids is not None:  # embed only the identities the audit uses
        index = index.filter(subjects=[*reference.train_ids, *(reference.held_out_ids or [])])
        if not len(index):
            raise DataError(f"the reference tree holds none of the gallery identities of {reference.split}",
                            reference.tree)
    train, held = split_reference(embed(recognizer, index, progress=progress, frames_limit=frames_limit),
                                  reference.train_ids,
                                  reference.held_out_ids)
    split = reference.split if held is not train else f"{reference.split}; no held-out identities, so the " \
        "threshold is set on the gallery itself"
    gallery = {"tree": str(reference.tree), "split": split, "identities": len(set(train.subjects)),
               "held_out": len(set(held.subjects))}
    return train, held, gallery


def check_dataset(index: DatasetIndex, excluded: Collection[str], figures: str | Path,
                  reference: Reference | str | Path | None,
                  recognizer: str | Path, prune: float = 0.0, drop_reidentified: bool = False,
                  progress: bool = True, frames_limit: int | None = None) -> dict[str, Any]:
    """Audit privacy (when `reference` is given) and curate the sequences of `index`, leaving out subjects named
    in `excluded`. Writes only its figure (`figures/privacy_histogram.png`) and returns the results:
    {'privacy': audit result with 'dropped' (identities to drop when `drop_reidentified`), 'curation': curation
    result with 'pruned' (sequences to leave out)}. Every sequence, synthetic and reference, is embedded from up
    to `frames_limit` frames (None: the recognizer's own)."""
    syn = embed(recognizer, index, progress=progress, frames_limit=frames_limit)
    skip = set(excluded)
    out: dict[str, Any] = {}
    if reference is not None:
        ref = reference if isinstance(reference, Reference) else resolve_reference(reference)
        train, held, gallery = reference_sets(ref, recognizer, progress, frames_limit)
        result = audit(syn, train, held)
        dropped = reidentified(result) if drop_reidentified else []
        skip.update(dropped)
        result.update(recognizer=str(recognizer), reference=str(ref.tree), gallery=gallery, dropped=dropped,
                      frames_limit=frames_limit or "the recognizer's")
        write_histogram(Path(figures) / "privacy_histogram.png", result)
        out["privacy"] = result
    keep = np.array([lab.subject not in skip for lab in syn.labels], bool)
    kept = syn.subset(keep)
    keys = ["/".join(lab.key) for lab in kept.labels]
    frames = [r.load() for r, k in zip(index.records, keep) if k]
    out["curation"] = curate(keys, kept.subjects, kept.embeddings, frames, prune)
    return out


def dataset_checks(reference: str | Path | None, recognizer: str | Path | None, prune: float = 0.0,
                   drop_reidentified: bool = False, progress: bool = True, partition: str | Path | None = None,
                   frames_limit: int | None = None) -> Callable[[DatasetIndex, Collection[str], Path], dict[str, Any]]:
    """The checks a dataset builder runs on its finished sequences, as one call `(index, excluded, figures) ->
    results` (see `check_dataset`). The recognizer and the reference (`resolve_reference`: a tree split by
    `partition`, or a generator's run or model folder) are resolved here, so a missing one fails before any
    generation. `frames_limit`: as in `check_dataset`."""
    rec = resolve_recognizer(recognizer)
    ref = resolve_reference(reference, partition) if reference is not None else None
    return functools.partial(check_dataset, reference=ref, recognizer=rec, prune=prune,
                             drop_reidentified=drop_reidentified, progress=progress, frames_limit=frames_limit)


def privacy_audit_command(synthetic: str | Path, reference: str | Path, recognizer: str | Path | None,
                          out: str | Path, progress: bool = True, partition: str | Path | None = None,
                          frames_limit: int | None = None) -> dict[str, Any]:
    """`gaitcraft privacy-audit`: audit every identity of a synthetic tree against `reference`
    (`resolve_reference`) and write `out/report.md`, `out/report.json`, `out/histogram.png`. Every sequence,
    synthetic and reference, is read with the same `frames_limit` (None: the recognizer's own)."""
    from eval.evaluation.privacy import write_report
    from gaitcraft.splits import open_split

    rec = resolve_recognizer(recognizer)
    ref = resolve_reference(reference, partition)
    syn = embed(rec, open_split(synthetic, "all"), progress=progress, frames_limit=frames_limit)
    train, held, gallery = reference_sets(ref, rec, progress, frames_limit)
    result = audit(syn, train, held)
    result.update(synthetic=str(synthetic), reference=str(ref.tree), recognizer=str(rec), gallery=gallery,
                  frames_limit=frames_limit or "the recognizer's")
    write_report(out, result)
    print(f"re-identification rate {result['rate']:.2f}% of {result['identities']} novel identities at the "
          f"FAR={result['far'] * 100:g}% threshold {result['threshold']:.4f} -> {Path(out) / 'report.md'}")
    return result
