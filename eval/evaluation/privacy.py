"""Privacy audit of a synthetic dataset: for every novel identity, its nearest training identity in recognizer
embedding space against the recognizer's FAR=1% threshold (set on real reference identities). The numbers come
from `eval.evaluation.generation_metrics.privacy_audit`; this module adds the data plumbing, the histogram and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.distances import distance_matrix
from eval.evaluation.embedding_set import EmbeddingSet
from eval.evaluation.generation_metrics import privacy_audit, templates
from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.io.atomic import atomic_save, atomic_write_text
from gaitcraft.paths import REPO_ROOT

#: The shipped recognizer: a model folder written by `eval.training.train_recognizer.train` (model.safetensors +
#: meta.json).
DEFAULT_RECOGNIZER = REPO_ROOT / "assets" / "models" / "recognizer"


def resolve_recognizer(path: str | Path | None) -> Path:
    """The recognizer to use: `path`, else the shipped one; missing is a one-line `CheckpointError`."""
    if path is None:
        if not (DEFAULT_RECOGNIZER / "model.safetensors").is_file():
            raise CheckpointError(f"no shipped recognizer at {DEFAULT_RECOGNIZER}; train one with `gaitcraft "
                                  "recognizer train --data DIR --out RUN` and pass --recognizer RUN")
        return DEFAULT_RECOGNIZER
    p = Path(path)
    if not p.exists():
        raise CheckpointError("no such recognizer run folder or checkpoint file", p)
    return p


def split_reference(ref: EmbeddingSet, train_ids: list[str] | None, test_ids: list[str] | None
                    ) -> tuple[EmbeddingSet, EmbeddingSet]:
    """(training identities, held-out identities) of the real reference set. Without a usable partition both
    are the whole set (the threshold then comes from the training identities themselves)."""
    if train_ids and test_ids:
        tr, te = ref.subset(ref.select(subjects=train_ids)), ref.subset(ref.select(subjects=test_ids))
        if len(tr) and len(set(te.subjects)) >= 2:
            return tr, te
    return ref, ref


def audit(novel: EmbeddingSet, train: EmbeddingSet, held_out: EmbeddingSet, far: float = 0.01,
          metric: str = "euc") -> dict[str, Any]:
    """Privacy audit numbers plus the distance lists the histogram needs ('novel_distances', 'null_distances')."""
    if not len(train) or len(set(held_out.subjects)) < 2:
        raise DataError("the privacy audit needs real reference data with at least two identities")
    out = privacy_audit(novel.embeddings, novel.subjects, train.embeddings, train.subjects, held_out.embeddings,
                        held_out.subjects, far, metric)
    out["novel_distances"] = [p["distance"] for p in out["per_identity"]]
    if "null_rate" in out:
        h_ids, h_tpl = templates(held_out.embeddings, held_out.subjects)
        _, t_tpl = templates(train.embeddings, train.subjects)
        out["null_distances"] = distance_matrix(h_tpl, t_tpl, metric).min(1).tolist()
    return out


def reidentified(result: dict[str, Any]) -> list[str]:
    """Novel identities closer to a training identity than the threshold (candidates to drop)."""
    return [p["identity"] for p in result["per_identity"] if p["reidentified"]]


def write_histogram(path: str | Path, result: dict[str, Any]) -> None:
    """PNG histogram of nearest-training-identity distances (novel, and held-out real when known) with the
    FAR threshold as a vertical line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    novel = np.asarray(result["novel_distances"])
    null = np.asarray(result.get("null_distances", []))
    both = np.concatenate([novel, null, [result["threshold"]]])
    bins = np.linspace(both.min() * 0.95, both.max() * 1.05, 25)
    ax.hist(novel, bins=bins, alpha=0.7, label=f"novel identities (n={len(novel)})")
    if len(null):
        ax.hist(null, bins=bins, alpha=0.5, label=f"held-out real identities (n={len(null)})")
    ax.axvline(result["threshold"], color="k", ls="--", label=f"FAR={result['far'] * 100:g}% threshold")
    ax.set_xlabel("distance to the nearest training identity (template, recognizer space)")
    ax.set_ylabel("identities")
    ax.set_title(f"re-identification rate {result['rate']:.1f}%")
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def format_report(result: dict[str, Any]) -> str:
    """Markdown report of a privacy audit."""
    lines = ["# Privacy audit", "",
             f"- synthetic: `{result.get('synthetic', '?')}`; reference: `{result.get('reference', '?')}`; "
             f"recognizer: `{result.get('recognizer', '?')}`"
             + (f", frames read per sequence: {result['frames_limit']}" if "frames_limit" in result else ""),
             *([f"- gallery: the {g['identities']} training identities of `{g['tree']}` ({g['split']}); threshold "
                f"set on {g['held_out']} held-out identities"] if (g := result.get("gallery")) else []),
             f"- FAR={result['far'] * 100:g}% threshold on identity-template distances: {result['threshold']:.4f}",
             f"- **re-identification rate: {result['rate']:.2f}%** of {result['identities']} novel identities"]
    if "null_rate" in result:
        lines.append(f"- held-out real identities against the same training set: {result['null_rate']:.2f}% "
                     "(the rate a genuinely new person scores)")
    lines += ["", "![histogram](histogram.png)", "", "| novel identity | nearest training identity | distance | "
              "re-identified |", "|---|---|---|---|"]
    lines += [f"| {p['identity']} | {p['nearest']} | {p['distance']:.4f} | {'yes' if p['reidentified'] else 'no'} |"
              for p in result["per_identity"]]
    return "\n".join(lines) + "\n"


def write_report(out: str | Path, result: dict[str, Any]) -> Path:
    """Write `out/report.md`, `out/report.json` and `out/histogram.png`; returns the folder."""
    out = Path(out)
    write_histogram(out / "histogram.png", result)
    atomic_write_text(out / "report.json", json.dumps(result, indent=1, default=str))
    atomic_write_text(out / "report.md", format_report(result))
    return out
