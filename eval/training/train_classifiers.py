"""Train the attribute classifiers (view, clothing, carry) with the recognizer's loop: P×K batches of clips, one
cross-entropy per attribute, OpenGait's SGD recipe; the run loads with `eval.evaluation.classifiers`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from eval.models.attribute_classifier import AttributeClassifier, attribute_value
from eval.training.recognizer_config import ClassifierConfig
from eval.training.silhouette_augment import ClipAugmenter
from eval.training.train_loop import run_loop, sgd_schedule, start_pk_run
from gaitcraft.dataset import DatasetIndex
from gaitcraft.training import load_config


def train_classifiers(config: ClassifierConfig | str | Path, index: DatasetIndex, out_dir: str | Path, *,
                      max_steps: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) the attribute classifiers on all of `index` (real training data); returns a summary."""
    cfg = config if isinstance(config, ClassifierConfig) else load_config(config, ClassifierConfig)
    pk = start_pk_run(cfg, index, out_dir, progress)
    records = pk.records
    classes = {a: sorted({attribute_value(r.labels, a) for r in records}) for a in cfg.attributes}
    targets = {a: torch.tensor([classes[a].index(attribute_value(r.labels, a)) for r in records]) for a in classes}
    model = AttributeClassifier(cfg.model, {a: len(c) for a, c in classes.items()})
    optimizer, scheduler = sgd_schedule(model, cfg.optim)

    augment = ClipAugmenter(cfg.augment, cfg.train.seed, pk.run.start_step, pk.run.accelerator.process_index)
    learns_changed = set(cfg.augment.heads or classes)  # heads whose loss takes the randomized clips too

    def step_fn(net: nn.Module, batch: dict[str, torch.Tensor]):
        sils, changed = augment.draw(batch["sil"])  # clips [n, t, h, w]; changed [n] (all False when off)
        out = net(sils)
        changed = changed.to(batch["index"].device)
        loss, info = 0.0, {}
        for a in classes:
            y = targets[a].to(batch["index"].device)[batch["index"]]
            if a in learns_changed:
                loss = loss + nn.functional.cross_entropy(out[a].float(), y, label_smoothing=cfg.label_smoothing)
            else:  # the mean over the unchanged clips only
                per_clip = nn.functional.cross_entropy(out[a].float(), y, label_smoothing=cfg.label_smoothing,
                                                       reduction="none")  # [n]
                keep = (~changed).to(per_clip.dtype)  # [n]
                loss = loss + (per_clip * keep).sum() / keep.sum().clamp(min=1.0)
            info[f"acc_{a}"] = float((out[a].argmax(1) == y).float().mean())
        return loss, info

    out = run_loop(pk, model, optimizer, scheduler, step_fn, cfg.train, max_steps, cfg.name)
    summary = {"steps": out["steps"], "train_seconds": out["train_seconds"], "classes": classes,
               "sequences": len(records), "short_identities": pk.sampler.short_identities, "last": out["last"]}
    pk.run.save_model(out["model"], {"kind": "attributes", "config": cfg.to_dict(), "classes": classes,
                                     "step": out["steps"], "finished": out["steps"] >= cfg.train.total_steps,
                                     "summary": summary})
    return summary
