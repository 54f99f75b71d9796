"""View, clothing and carried-object classifiers on the GaitBase backbone family (controllability scores).

One model: the GaitBase trunk (ResNet9 per frame, temporal max, 16-strip pyramid, separate FCs), a BatchNorm
neck over the flattened strips, and one linear head per attribute. Trained on real data with `train_classifiers`,
scored on any data with `evaluate_classifiers` (e.g. generated sequences beside held-out real ones).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from eval.embed import RecordFrames, forward_sequences
from eval.gait_modules import ResNet9, SeparateFCs, SetBlockWrapper
from eval.gaitbase import encode
from eval.gaitbase_config import GaitBaseArchitecture
from eval.opengait_checkpoint import check_state_dict
from eval.recognizer_config import ClassifierConfig, load_config, validate
from eval.train_loop import LoopSpec, pk_sampler, run_loop
from eval.train_recognizer import run_fingerprint
from gaitcraft.dataset import ClipDataset, DatasetIndex
from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.io.run_checkpoints import read_final, save_final


class AttributeClassifier(nn.Module):
    """`[n, s, h, w]` silhouettes -> {'embeddings': `[n, d, p]`, '<attribute>': logits `[n, classes]`}."""

    def __init__(self, cfg: GaitBaseArchitecture, heads: dict[str, int]):
        super().__init__()
        self.cfg = cfg
        self.Backbone = SetBlockWrapper(ResNet9(cfg))
        self.FCs = SeparateFCs(cfg.parts, cfg.channels[-1], cfg.embed_dim)
        self.neck = nn.BatchNorm1d(cfg.embed_dim * cfg.parts)
        self.heads = nn.ModuleDict({a: nn.Linear(cfg.embed_dim * cfg.parts, n) for a, n in heads.items()})

    def forward(self, sils: torch.Tensor, seq_lens: list[int] | None = None) -> dict[str, torch.Tensor]:
        """Logits per attribute for a batch of clips (or packed whole sequences with `seq_lens`)."""
        feat = self.FCs(encode(self.Backbone, sils, self.cfg.parts, seq_lens))  # [n, d, p]
        flat = self.neck(feat.flatten(1))  # [n, d*p]
        return {"embeddings": feat, **{a: head(flat) for a, head in self.heads.items()}}


def attribute_value(labels, attribute: str):
    """The label value of one attribute: view (float degrees), clothing or carry (str)."""
    return float(labels.view) if attribute == "view" else getattr(labels, attribute)


def class_index(value, classes: list, attribute: str) -> int:
    """Index of `value` in `classes`; views go to the nearest class (circular), unknown values give -1."""
    if attribute == "view":
        gap = np.abs((np.asarray(classes, dtype=float) - float(value) + 180.0) % 360.0 - 180.0)
        return int(np.argmin(gap))
    return classes.index(value) if value in classes else -1


def train_classifiers(config: ClassifierConfig | str | Path, index: DatasetIndex, out_dir: str | Path, *,
                      max_steps: int | None = None, resume: bool = True, progress: bool = True) -> dict[str, Any]:
    """Train the attribute classifiers on all of `index` (real training data); returns a summary."""
    cfg = config if isinstance(config, ClassifierConfig) else load_config(config, ClassifierConfig)
    validate(cfg)
    records = list(index.records)
    if not records:
        raise DataError("no training sequences in the index")
    classes = {a: sorted({attribute_value(r.labels, a) for r in records}) for a in cfg.attributes}
    targets = {a: torch.tensor([classes[a].index(attribute_value(r.labels, a)) for r in records]) for a in classes}
    t = cfg.train
    sampler = pk_sampler(records, t)
    dataset = ClipDataset(records, frames=t.frames, sampling=t.sampling, cut=True, seed=t.seed + 1)
    torch.manual_seed(t.seed)
    model = AttributeClassifier(cfg.model, {a: len(c) for a, c in classes.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=cfg.optim.momentum,
                                weight_decay=cfg.optim.weight_decay)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg.optim.milestones), cfg.optim.gamma)

    def step_fn(net: nn.Module, batch: dict[str, torch.Tensor]):
        out = net(batch["sil"])
        loss, info = 0.0, {}
        for a in classes:
            y = targets[a].to(batch["index"].device)[batch["index"]]
            loss = loss + nn.functional.cross_entropy(out[a].float(), y, label_smoothing=cfg.label_smoothing)
            info[f"acc_{a}"] = float((out[a].argmax(1) == y).float().mean())
        return loss, info

    spec = LoopSpec(min(max_steps or t.total_steps, t.total_steps), t.save_every, t.keep_checkpoints, t.log_every,
                    t.mixed_precision, t.num_workers, run_fingerprint(cfg.to_dict(), records))
    out = run_loop(out_dir, model, optimizer, scheduler, dataset, sampler, step_fn, spec, resume, progress, cfg.name)
    summary = {"steps": out["steps"], "train_seconds": out["train_seconds"], "classes": classes,
               "sequences": len(records), "short_identities": sampler.short_identities, "last": out["last"]}
    meta = {"kind": "attributes", "config": cfg.to_dict(), "classes": classes, "step": out["steps"],
            "finished": out["steps"] >= t.total_steps, "summary": summary}
    save_final(out_dir, out["model"], meta)
    return summary


def load_classifiers(run_dir: str | Path) -> tuple[AttributeClassifier, dict[str, Any]]:
    """(model in eval mode, meta) of a run written by `train_classifiers`."""
    weights, meta = read_final(run_dir)
    if meta.get("kind") != "attributes":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not attribute classifiers", run_dir)
    cfg = ClassifierConfig.from_dict(meta["config"], where=f"{run_dir}/meta.json")
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
