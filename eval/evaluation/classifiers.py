"""Load trained attribute classifiers and score data with them: accuracy per attribute, per class, confusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from eval.evaluation.embed import RecordFrames, forward_sequences
from eval.models.attribute_classifier import AttributeClassifier, attribute_value, class_index
from eval.models.opengait_checkpoint import check_state_dict
from eval.training.recognizer_config import ClassifierConfig
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.training import model_folder, read_model


def load_classifiers(run_dir: str | Path) -> tuple[AttributeClassifier, dict[str, Any]]:
    """(model in eval mode, meta) of a run written by `train_classifiers`."""
    weights, meta = read_model(run_dir)
    if meta.get("kind") != "attributes":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not attribute classifiers", run_dir)
    cfg = ClassifierConfig.from_dict(meta["config"], model_folder(run_dir) / "meta.json")
    model = AttributeClassifier(cfg.model, {a: len(c) for a, c in meta["classes"].items()})
    check_state_dict(model, weights, str(run_dir))
    model.load_state_dict(weights)
    return model.eval(), meta


def evaluate_classifiers(run_dir: str | Path, index: DatasetIndex, progress: bool = True) -> dict[str, Any]:
    """Accuracy (%) per attribute on every sequence of `index`, with per-class accuracy and confusion.

    Views are scored against the nearest trained view; clothing or carry values the classifier never saw
    count as errors and are reported under 'unknown'.
    """
    model, meta = load_classifiers(run_dir)
    records = list(index.records)
    if not records:
        raise DataError("no sequences to classify (the selection is empty)")
    ev = meta["config"]["eval"]
    out = forward_sequences(model, RecordFrames(records), ev["frames_limit"], ev["batch_frames"], progress=progress)
    result: dict[str, Any] = {"protocol": "attributes", "sequences": len(records), "attributes": {}}
    for a, classes in meta["classes"].items():
        truth = np.array([class_index(attribute_value(r.labels, a), classes, a) for r in records])
        pred = out[a].argmax(1)
        conf = np.zeros((len(classes), len(classes)), int)
        np.add.at(conf, (truth[truth >= 0], pred[truth >= 0]), 1)
        per_class = {str(c): (float(conf[i, i] / conf[i].sum() * 100) if conf[i].sum() else None)
                     for i, c in enumerate(classes)}
        result["attributes"][a] = {"accuracy": float(np.mean(pred == truth) * 100), "n": len(records),
                                   "unknown": int((truth < 0).sum()), "classes": classes,
                                   "per_class": per_class, "confusion": conf.tolist()}
    return result
