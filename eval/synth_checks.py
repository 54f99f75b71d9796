"""Privacy audit and curation of a generated synthetic dataset, run between generation and the dataset card
(the generation code in `synth_datasets` does not import eval; the CLI calls this step in between).

Results go to `ROOT/.synth/privacy.json` and `ROOT/.synth/curation.json`, dropped sequences and identities to
`ROOT/.synth/excluded.json`; `synth_datasets.generated.finalize` then leaves them out and writes the card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.curation import curate
from eval.privacy import audit, reidentified, resolve_recognizer, split_reference, write_histogram
from eval.recognizer import embed
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.io.opengait_tree import read_partition
from synth_datasets.generated.store import META, read_excluded, read_rows, write_excluded


def synthetic_index(root: Path) -> DatasetIndex:
    """The finished generated sequences of `root` (those with a manifest row), as an index."""
    keys = set(read_rows(root))
    index = DatasetIndex.open(root, kind="opengait")
    return index.subset([i for i, r in enumerate(index.records) if r.labels.key in keys])


def reference_sets(reference: str | Path, recognizer: Path, progress: bool):
    """Embeddings of the real reference tree split into (training identities, held-out identities)."""
    ref = DatasetIndex.open(reference)
    part = Path(reference) / "partition.json"
    train_ids, test_ids = read_partition(part) if part.is_file() else (None, None)
    return split_reference(embed(recognizer, ref, progress=progress), train_ids, test_ids)


def run_checks(root: str | Path, reference: str | Path | None, recognizer: str | Path | None,
               prune: float = 0.0, drop_reidentified: bool = False, progress: bool = True) -> dict[str, Any]:
    """Audit privacy (when `reference` is given) and curate; record exclusions. Skipped when a previous run of
    this folder already wrote its results (so a rerun does not audit the already-pruned set again)."""
    root = Path(root)
    meta = root / META
    if (meta / "privacy.json").is_file() or (meta / "curation.json").is_file():
        return {"skipped": True}
    rec = resolve_recognizer(recognizer)
    index = synthetic_index(root)
    if not len(index):
        raise DataError("no finished synthetic sequences to audit", root)
    syn = embed(rec, index, progress=progress)
    excluded = read_excluded(root)
    out: dict[str, Any] = {}
    if reference is not None:
        train, held = reference_sets(reference, rec, progress)
        result = audit(syn, train, held)
        dropped = reidentified(result) if drop_reidentified else []
        excluded.update({i: "re-identifiable: nearest training identity under the FAR=1% threshold" for i in dropped})
        result.update(recognizer=str(rec), reference=str(reference), dropped=dropped)
        write_histogram(root / "previews" / "privacy_histogram.png", result)
        out["privacy"] = result
    keep = np.array([lab.subject not in excluded for lab in syn.labels], bool)
    kept = syn.subset(keep)
    keys = ["/".join(lab.key) for lab in kept.labels]
    frames = [r.load() for r, k in zip(index.records, keep) if k]
    cur = curate(keys, kept.subjects, kept.embeddings, frames, prune)
    excluded.update({p["key"]: f"pruned: {p['reason']}" for p in cur["pruned"]})
    out["curation"] = cur
    write_excluded(root, excluded)
    if "privacy" in out:
        atomic_write_text(meta / "privacy.json", json.dumps(out["privacy"], indent=1, default=str))
    atomic_write_text(meta / "curation.json", json.dumps(cur, indent=1, default=str))
    return out


def privacy_audit_command(synthetic: str | Path, reference: str | Path, recognizer: str | Path | None,
                          out: str | Path, progress: bool = True) -> dict[str, Any]:
    """`gaitcraft privacy-audit`: audit every identity of a synthetic tree (its TRAIN_SET when partitioned) and
    write `out/report.md`, `out/report.json`, `out/histogram.png`."""
    from eval.privacy import write_report
    from gaitcraft.dataset import open_split

    rec = resolve_recognizer(recognizer)
    syn = embed(rec, open_split(synthetic, "all"), progress=progress)
    train, held = reference_sets(reference, rec, progress)
    result = audit(syn, train, held)
    result.update(synthetic=str(synthetic), reference=str(reference), recognizer=str(rec))
    write_report(out, result)
    print(f"re-identification rate {result['rate']:.2f}% of {result['identities']} novel identities at the "
          f"FAR={result['far'] * 100:g}% threshold {result['threshold']:.4f} -> {Path(out) / 'report.md'}")
    return result
