"""Train the attribute classifiers (view, clothing, carry) with the recognizer's loop: P×K batches of clips, one
cross-entropy per attribute, OpenGait's SGD recipe; the run folder loads with `eval.evaluation.classifiers`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from eval.models.attribute_classifier import AttributeClassifier, attribute_value
from eval.training.recognizer_config import ClassifierConfig, load_config, validate
from eval.training.train_loop import LoopSpec, pk_sampler, run_loop
from eval.training.train_recognizer import run_fingerprint
from gaitcraft.dataset import ClipDataset, DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.run_checkpoints import save_final


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
