"""Per-sequence predictions of the attribute classifiers and their confusion against a dataset's labels.

Unlike `evaluate_classifiers` (accuracy against the classifier's own classes), this scores label sets that do
not match the classifier's: real CASIA-B names one carry value, 'bag', where a synthetic-trained classifier
answers one of three bags. `collapse` maps both sides onto a common set first (e.g. `bag_or_none`), and the
raw rectangular confusion (true value x predicted class) shows which bag was answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.classifiers import load_classifiers
from eval.evaluation.embed import RecordFrames, data_version, forward_sequences
from eval.evaluation.recognizer import checkpoint_id
from eval.models.attribute_classifier import AttributeClassifier, attribute_value, class_index
from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_save
from gaitcraft.paths import cache_dir


def bag_or_none(carry: str) -> str:
    """'none' for no carried object, 'bag' for any bag (CASIA-B's `bg` does not say which)."""
    return "none" if carry == "none" else "bag"


def attribute_logits(run_dir: str | Path, records: Sequence, cache: str | Path | bool = True,
                     progress: bool = True, frames_limit: int | None = None, bf16: bool = False,
                     model: AttributeClassifier | None = None) -> dict[str, Any]:
    """Each attribute head's logits for every record: {'classes': {attr: [...]}, 'logits': {attr: [n, classes]},
    'meta': the run's meta.json}.

    Each sequence is read whole, up to `frames_limit` frames spread evenly over it (default: the run's eval
    setting), optionally under bf16 autocast. Logits are cached per (weights, records, settings) in
    `<cache>/attribute_logits/` (`cache`: True = the GaitCraft cache, a folder, or False), so a rerun of a
    report does not classify the same sequences again. `model` replaces the run's weights (e.g. the run's model
    with adapted BatchNorm statistics); it is never cached.
    """
    records = list(records)
    if not records:
        raise DataError("no sequences to classify (the selection is empty)")
    loaded, meta = load_classifiers(run_dir)
    model = loaded if model is None else model
    ev = meta["config"]["eval"]
    frames_limit = frames_limit or ev["frames_limit"]
    path = None
    if cache and model is loaded:
        root = Path(cache) if not isinstance(cache, bool) else cache_dir()
        key = data_version(records, {"frames_limit": frames_limit, "bf16": bf16, "attributes": sorted(meta["classes"])})
        path = root / "attribute_logits" / checkpoint_id(run_dir) / f"{key}.npz"
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            logits = {a: z[a] for a in meta["classes"]}
    else:
        out = forward_sequences(model, RecordFrames(records), frames_limit, ev["batch_frames"], bf16,
                                progress=progress)
        logits = {a: out[a] for a in meta["classes"]}  # each [n, classes]
        if path is not None:
            atomic_save(path, lambda tmp: np.savez(tmp, **logits), ".npz")
    return {"classes": meta["classes"], "logits": logits, "meta": meta}


def predict_attributes(run_dir: str | Path, records: Sequence, cache: str | Path | bool = True,
                       progress: bool = True, frames_limit: int | None = None, bf16: bool = False) -> dict[str, Any]:
    """Each attribute's predicted class for every record: {'classes': {attr: [...]}, 'predicted': {attr: [n]}}
    (the argmax of `attribute_logits`, whose arguments these are)."""
    res = attribute_logits(run_dir, records, cache, progress, frames_limit, bf16)
    classes = res["classes"]
    return {"classes": classes,
            "predicted": {a: [classes[a][i] for i in res["logits"][a].argmax(1)] for a in classes}}


def true_values(records: Sequence, attribute: str, classes: list | None = None) -> list:
    """The label value of `attribute` of every record; views are snapped to the nearest of `classes`."""
    values = [attribute_value(r.labels, attribute) for r in records]
    if attribute == "view" and classes:
        values = [classes[class_index(v, classes, "view")] for v in values]
    return values


def _unique(values) -> list:
    """Distinct values in first-seen order."""
    return list(dict.fromkeys(values))


def score(truth: Sequence, predicted: Sequence, classes: Sequence | None = None,
          collapse: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Accuracy (%), recall per true value (%) and confusion of predicted against true values.

    `classes` (what the classifier can answer) orders the confusion's columns; `collapse` maps true values,
    predictions and classes onto a common set before scoring. Confusion: rows = true values (sorted),
    columns = classes then any other predicted value; `matrix[i][j]` counts sequences.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true values but {len(predicted)} predictions")
    if not len(truth):
        raise ValueError("nothing to score")
    f = collapse or (lambda v: v)
    t = [f(v) for v in truth]
    p = [f(v) for v in predicted]
    rows = sorted(set(t))
    cols = _unique([f(c) for c in (classes or [])] + sorted(set(p) - {f(c) for c in (classes or [])}))
    matrix = np.zeros((len(rows), len(cols)), int)
    for a, b in zip(t, p):
        matrix[rows.index(a), cols.index(b)] += 1
    hits = np.array([a == b for a, b in zip(t, p)])
    recall = {str(r): float(100 * matrix[i, cols.index(r)] / matrix[i].sum()) if r in cols else 0.0
              for i, r in enumerate(rows)}
    return {"accuracy": float(100 * hits.mean()), "n": len(t), "recall": recall,
            "confusion": {"rows": [str(r) for r in rows], "cols": [str(c) for c in cols], "matrix": matrix.tolist()}}


def classifier_confusions(run_dir: str | Path, records: Sequence, cache: str | Path | bool = True,
                          progress: bool = True, frames_limit: int | None = None, bf16: bool = False) -> dict[str, Any]:
    """View, clothing and carry scores of the classifiers at `run_dir` on `records` (see `score_attributes`).
    `frames_limit` and `bf16` are as in `predict_attributes`."""
    records = list(records)
    pred = predict_attributes(run_dir, records, cache, progress, frames_limit, bf16)
    return score_attributes(records, pred["classes"], pred["predicted"])


def score_attributes(records: Sequence, classes: dict[str, list], predicted: dict[str, Sequence]) -> dict[str, Any]:
    """Scores of one prediction per record and attribute against the records' labels.

    Returns {'classes', 'sequences', 'view', 'clothing', 'carry' (bag vs no bag), 'carry_detail' (true value x
    the classifier's own carry classes: which bag it answered)}; attributes missing from `classes` are left out.
    """
    records = list(records)
    out = {"classes": classes, "sequences": len(records)}
    for a in ("view", "clothing"):
        if a in classes:
            out[a] = score(true_values(records, a, classes[a]), predicted[a], classes[a])
    if "carry" in classes:
        truth = true_values(records, "carry")
        out["carry"] = score(truth, predicted["carry"], classes["carry"], collapse=bag_or_none)
        out["carry_detail"] = score(truth, predicted["carry"], classes["carry"])
    return out
