"""Attribute classifiers (view, clothing, carried object: the factors `gaitcraft.factors` declares with a
classifier head) on the GaitBase backbone family (controllability scores).

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
from gaitcraft.factors import classified_factor


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
    """The label value of the factor an attribute head reads (`gaitcraft.factors`): a float for a continuous
    factor (view in degrees), else a str (clothing, carry)."""
    f = classified_factor(attribute)
    value = getattr(labels, f.label)
    return float(value) if f.kind == "continuous" else value


def class_index(value, classes: list, attribute: str) -> int:
    """Index of `value` in `classes`; a continuous factor's value goes to the nearest class (circularly for a
    periodic one such as the view), an unknown categorical value gives -1."""
    f = classified_factor(attribute)
    if f.kind == "continuous":
        gap = np.asarray(classes, dtype=float) - float(value)
        if f.periodic:
            low, high = f.value_range
            half = (high - low) / 2
            gap = (gap + half) % (high - low) - half
        return int(np.argmin(np.abs(gap)))
    return classes.index(value) if value in classes else -1
