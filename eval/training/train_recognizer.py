"""Train a GaitBase recognizer: P×K batches of 30-frame clips, triplet + CE losses, OpenGait's SGD recipe.

`train(config, index, out_dir)` trains on every sequence of `index` (pass the training partition) and leaves
`out_dir/model.safetensors` + `meta.json`, loadable with `eval.recognizer.load_recognizer`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from eval.models.gaitbase import GaitBase
from eval.models.gaitbase_config import model_config
from eval.training.losses import cross_entropy_loss, triplet_loss
from eval.training.recognizer_config import RecognizerConfig, load_config, validate
from eval.training.train_loop import LoopSpec, pk_sampler, run_loop
from gaitcraft.dataset import ClipDataset, DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.run_checkpoints import save_final


def data_fingerprint(records: list) -> str:
    """A short hash of the labels of a list of records (which sequences a run trains on)."""
    keys = sorted(json.dumps(r.labels.to_json(), sort_keys=True, default=str) for r in records)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


#: train keys that may change between a run and its resume (they do not change what is computed)
RESUMABLE_CHANGES = ("total_steps", "save_every", "log_every", "keep_checkpoints", "num_workers")


def run_fingerprint(cfg_dict: dict, records: list) -> dict:
    """What a resumed run must share with its checkpoints: the config (bar `RESUMABLE_CHANGES`) and the data.
    Unset (None) train keys are left out, so runs saved before such a key existed still resume."""
    train = {k: v for k, v in cfg_dict["train"].items() if k not in RESUMABLE_CHANGES and v is not None}
    return {"config": {**cfg_dict, "train": train}, "data": data_fingerprint(records)}


def train(config: RecognizerConfig | str | Path, index: DatasetIndex, out_dir: str | Path, *,
          max_steps: int | None = None, resume: bool = True, progress: bool = True) -> dict[str, Any]:
    """Train on all of `index`'s sequences; returns a summary (steps, seconds, identities, short identities).

    `max_steps` stops early (the run stays resumable up to `config.train.total_steps`).
    Identities with fewer than K sequences are sampled with replacement and reported in the summary.
    """
    cfg = config if isinstance(config, RecognizerConfig) else load_config(config)
    validate(cfg)
    records = list(index.records)
    if not records:
        raise DataError("no training sequences in the index")
    t = cfg.train
    subjects = sorted({r.labels.subject for r in records})
    class_of = {s: i for i, s in enumerate(subjects)}
    sources = sorted({r.labels.source for r in records})
    labels = torch.tensor([class_of[r.labels.subject] for r in records])
    source_ids = torch.tensor([sources.index(r.labels.source) for r in records])
    sampler = pk_sampler(records, t)
    dataset = ClipDataset(records, frames=t.frames, sampling=t.sampling, cut=True, seed=t.seed + 1)

    torch.manual_seed(t.seed)
    model = GaitBase(model_config(cfg, len(subjects)))
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=cfg.optim.momentum,
                                weight_decay=cfg.optim.weight_decay)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg.optim.milestones), cfg.optim.gamma)
    L = cfg.loss

    def step_fn(net: torch.nn.Module, batch: dict[str, torch.Tensor]):
        idx = batch["index"]
        y = labels.to(idx.device)[idx]
        out = net(batch["sil"])  # embeddings [n, c, p], logits [n, classes, p]
        src = source_ids.to(idx.device)[idx] if L.per_source_mining else None
        tri, tri_info = triplet_loss(out["embeddings"], y, L.triplet_margin, src)
        ce, ce_info = cross_entropy_loss(out["logits"], y, L.ce_scale, L.label_smoothing)
        info = {"triplet": float(tri.detach()), "ce": float(ce.detach()), "active": tri_info["active"], **ce_info}
        return L.triplet_weight * tri + L.ce_weight * ce, info

    fingerprint = run_fingerprint(cfg.to_dict(), records)
    spec = LoopSpec(min(max_steps or t.total_steps, t.total_steps), t.save_every, t.keep_checkpoints,
                    t.log_every, t.mixed_precision, t.num_workers, fingerprint)
    out = run_loop(out_dir, model, optimizer, scheduler, dataset, sampler, step_fn, spec, resume, progress, cfg.name)
    summary = {"steps": out["steps"], "train_seconds": out["train_seconds"], "session_seconds": out["seconds"],
               "identities": len(subjects), "sequences": len(records), "sources": sources,
               "short_identities": sampler.short_identities, "k": t.k, "last": out["last"]}
    if out["steps"] >= t.total_steps or max_steps is not None:
        meta = {"kind": "gaitbase", "config": cfg.to_dict(), "classes": subjects, "step": out["steps"],
                "finished": out["steps"] >= t.total_steps, "data": fingerprint["data"], "summary": summary}
        save_final(out_dir, out["model"], meta)
    return summary
