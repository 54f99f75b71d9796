"""View, clothing and carried-object classifiers on the GaitBase backbone family (controllability scores).

One model: the GaitBase trunk (ResNet9 per frame, temporal max, 16-strip pyramid, separate FCs), a BatchNorm
neck over the flattened strips, and one linear head per attribute. Trained on real data with
`eval.training.train_classifiers`, scored on any data with `eval.evaluation.classifiers` (e.g. generated
sequences beside held-out real ones).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from eval.models.gait_modules import ResNet9, SeparateFCs, SetBlockWrapper
from eval.models.gaitbase import encode
from eval.models.gaitbase_config import GaitBaseArchitecture


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
