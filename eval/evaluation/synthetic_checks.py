"""Privacy audit and curation of a synthetic dataset: measured on the sequences handed in, returned as results.

A dataset builder runs `dataset_checks(...)` between generation and its card and records what it decides
(identities to drop, sequences to prune); nothing here writes a dataset. `privacy_audit_command` is
`gaitcraft privacy-audit`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.curation import curate
from eval.evaluation.privacy import audit, reidentified, resolve_recognizer, split_reference, write_histogram
from eval.evaluation.recognizer import embed
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.opengait_tree import read_partition


def reference_sets(reference: str | Path, recognizer: Path, progress: bool):
    """Embeddings of the real reference tree split into (training identities, held-out identities)."""
    ref = DatasetIndex.open(reference)
    part = Path(reference) / "partition.json"
    train_ids, test_ids = read_partition(part) if part.is_file() else (None, None)
    return split_reference(embed(recognizer, ref, progress=progress), train_ids, test_ids)


def check_dataset(index: DatasetIndex, excluded: Collection[str], figures: str | Path, reference: str | Path | None,
                  recognizer: str | Path, prune: float = 0.0, drop_reidentified: bool = False,
                  progress: bool = True) -> dict[str, Any]:
    """Audit privacy (when `reference` is given) and curate the sequences of `index`, leaving out subjects named
    in `excluded`. Writes only its figure (`figures/privacy_histogram.png`) and returns the results:
    {'privacy': audit result with 'dropped' (identities to drop when `drop_reidentified`), 'curation': curation
    result with 'pruned' (sequences to leave out)}."""
    syn = embed(recognizer, index, progress=progress)
    skip = set(excluded)
    out: dict[str, Any] = {}
    if reference is not None:
        train, held = reference_sets(reference, recognizer, progress)
        result = audit(syn, train, held)
        dropped = reidentified(result) if drop_reidentified else []
        skip.update(dropped)
        result.update(recognizer=str(recognizer), reference=str(reference), dropped=dropped)
        write_histogram(Path(figures) / "privacy_histogram.png", result)
        out["privacy"] = result
    keep = np.array([lab.subject not in skip for lab in syn.labels], bool)
    kept = syn.subset(keep)
    keys = ["/".join(lab.key) for lab in kept.labels]
    frames = [r.load() for r, k in zip(index.records, keep) if k]
    out["curation"] = curate(keys, kept.subjects, kept.embeddings, frames, prune)
    return out


def dataset_checks(reference: str | Path | None, recognizer: str | Path | None, prune: float = 0.0,
                   drop_reidentified: bool = False, progress: bool = True
                   ) -> Callable[[DatasetIndex, Collection[str], Path], dict[str, Any]]:
    """The checks a dataset builder runs on its finished sequences, as one call `(index, excluded, figures) ->
    results` (see `check_dataset`). The recognizer and the reference folder are resolved here, so a missing one
    fails before any generation."""
    rec = resolve_recognizer(recognizer)
    if reference is not None and not Path(reference).is_dir():
        raise DataError("reference dataset folder does not exist", reference)
    return functools.partial(check_dataset, reference=reference, recognizer=rec, prune=prune,
                             drop_reidentified=drop_reidentified, progress=progress)


def privacy_audit_command(synthetic: str | Path, reference: str | Path, recognizer: str | Path | None,
                          out: str | Path, progress: bool = True) -> dict[str, Any]:
    """`gaitcraft privacy-audit`: audit every identity of a synthetic tree (its TRAIN_SET when partitioned) and
    write `out/report.md`, `out/report.json`, `out/histogram.png`."""
    from eval.evaluation.privacy import write_report
    from gaitcraft.splits import open_split

    rec = resolve_recognizer(recognizer)
    syn = embed(rec, open_split(synthetic, "all"), progress=progress)
    train, held = reference_sets(reference, rec, progress)
    result = audit(syn, train, held)
    result.update(synthetic=str(synthetic), reference=str(reference), recognizer=str(rec))
    write_report(out, result)
    print(f"re-identification rate {result['rate']:.2f}% of {result['identities']} novel identities at the "
          f"FAR={result['far'] * 100:g}% threshold {result['threshold']:.4f} -> {Path(out) / 'report.md'}")
    return result
