"""Train a GaitBase recognizer: P×K batches of 30-frame clips, triplet + CE losses, OpenGait's SGD recipe.

`train(config, index, out_dir)` trains on every sequence of `index` (pass the training partition) in the run
folder `out_dir` (layout: `gaitcraft.training`) and leaves `out_dir/model/` (`model.safetensors` + `meta.json`),
loadable with `eval.evaluation.recognizer.load_recognizer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from eval.models.gaitbase import GaitBase
from eval.models.gaitbase_config import model_config
from eval.training.losses import cross_entropy_loss, triplet_loss
from eval.training.recognizer_config import RecognizerConfig
from eval.training.silhouette_augment import ClipAugmenter
from eval.training.train_loop import run_loop, sgd_schedule, start_pk_run
from gaitcraft.dataset import DatasetIndex
from gaitcraft.training import load_config


def train(config: RecognizerConfig | str | Path, index: DatasetIndex, out_dir: str | Path, *,
          max_steps: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) on all of `index`'s sequences; returns a summary (steps, seconds, identities, short
    identities).

    `max_steps` stops early (the run stays resumable up to `config.train.total_steps`).
    Identities with fewer than K sequences are sampled with replacement and reported in the summary.
    """
    cfg = config if isinstance(config, RecognizerConfig) else load_config(config, RecognizerConfig, kinds=("recognizer",))
    pk = start_pk_run(cfg, index, out_dir, progress)
    records, t = pk.records, cfg.train
    subjects = sorted({r.labels.subject for r in records})
    class_of = {s: i for i, s in enumerate(subjects)}
    sources = sorted({r.labels.source for r in records})
    labels = torch.tensor([class_of[r.labels.subject] for r in records])
    source_ids = torch.tensor([sources.index(r.labels.source) for r in records])
    model = GaitBase(model_config(cfg, len(subjects)))
    optimizer, scheduler = sgd_schedule(model, cfg.optim)
    L = cfg.loss
    augment = ClipAugmenter(cfg.augment, t.seed, pk.run.start_step, pk.run.accelerator.process_index)

    def step_fn(net: torch.nn.Module, batch: dict[str, torch.Tensor]):
        idx = batch["index"]
        y = labels.to(idx.device)[idx]
        out = net(augment(batch["sil"]))  # embeddings [n, c, p], logits [n, classes, p]
        src = source_ids.to(idx.device)[idx] if L.per_source_mining else None
        tri, tri_info = triplet_loss(out["embeddings"], y, L.triplet_margin, src)
        ce, ce_info = cross_entropy_loss(out["logits"], y, L.ce_scale, L.label_smoothing)
        info = {"triplet": float(tri.detach()), "ce": float(ce.detach()), "active": tri_info["active"], **ce_info}
        return L.triplet_weight * tri + L.ce_weight * ce, info

    out = run_loop(pk, model, optimizer, scheduler, step_fn, t, max_steps, cfg.name)
    summary = {"steps": out["steps"], "train_seconds": out["train_seconds"], "session_seconds": out["seconds"],
               "identities": len(subjects), "sequences": len(records), "sources": sources,
               "short_identities": pk.sampler.short_identities, "k": t.k, "last": out["last"]}
    pk.run.save_model(out["model"], {"kind": "gaitbase", "config": cfg.to_dict(), "classes": subjects,
                                     "step": out["steps"], "finished": out["steps"] >= t.total_steps,
                                     "data": pk.run.data["sequences"], "summary": summary})
    return summary
