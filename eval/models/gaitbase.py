"""GaitBase, OpenGait's reference silhouette recognizer, with OpenGait's parameter names and shapes.

Per frame a ResNet-9-like backbone (BasicBlocks, no max-pool), then temporal max-pool, horizontal pyramid
pooling (mean + max over strips), separate FCs per strip and separate BNNecks with cosine logits.
The module tree mirrors OpenGait's `Baseline` (`Backbone.forward_block.*`, `FCs.fc_bin`, `BNNecks.*`) so its
checkpoints load with `load_state_dict` (see `eval.models.opengait_checkpoint`).
"""

from __future__ import annotations

import torch
from torch import nn

from eval.models.gait_modules import (
    ResNet9,
    SeparateBNNecks,
    SeparateFCs,
    SetBlockWrapper,
    horizontal_pyramid_pool,
)
from eval.models.gaitbase_config import GaitBaseConfig


def encode(backbone: nn.Module, sils: torch.Tensor, parts: int, seq_lens: list[int] | None = None) -> torch.Tensor:
    """Per-frame backbone, temporal max-pool and pyramid pooling: `[n, s, h, w]` -> `[n, c, parts]`.

    uint8 input is scaled to [0, 1]. With `seq_lens`, `sils` is `[1, sum(seq_lens), h, w]` holding sequences
    of those lengths back to back, and the output has one row per sequence.
    """
    if sils.dtype == torch.uint8:
        sils = sils.float() / 255.0
    outs = backbone(sils.unsqueeze(1))  # [n, c, s, h', w']
    if seq_lens is None:
        pooled = outs.amax(2)  # [n, c, h', w']
    else:
        pooled = torch.cat([o.amax(2) for o in outs.split(list(seq_lens), dim=2)])  # [n_seq, c, h', w']
    return horizontal_pyramid_pool(pooled, parts)  # [n, c, p]


class GaitBase(nn.Module):
    """GaitBase recognizer. Input: silhouettes `[n, s, h, w]` in [0, 1] (uint8 0/255 is scaled), h = 64, w = 44.

    `forward` returns a dict with `embeddings` `[n, embed_dim, parts]` (the FC output OpenGait uses for
    inference and the triplet loss) and `logits` `[n, class_num, parts]` (cosine logits for the CE loss).
    """

    def __init__(self, cfg: GaitBaseConfig | None = None):
        super().__init__()
        self.cfg = cfg or GaitBaseConfig()
        self.Backbone = SetBlockWrapper(ResNet9(self.cfg))
        self.FCs = SeparateFCs(self.cfg.parts, self.cfg.channels[-1], self.cfg.embed_dim)
        self.BNNecks = SeparateBNNecks(self.cfg.parts, self.cfg.embed_dim, self.cfg.class_num)

    def features(self, sils: torch.Tensor, seq_lens: list[int] | None = None) -> torch.Tensor:
        """Backbone + temporal max-pool + pyramid: `[n, s, h, w]` -> `[n, c, parts]` (see `encode`)."""
        return encode(self.Backbone, sils, self.cfg.parts, seq_lens)

    def forward(self, sils: torch.Tensor, seq_lens: list[int] | None = None) -> dict[str, torch.Tensor]:
        """Embeddings and BNNeck logits of a batch of silhouette clips (see class docstring)."""
        embeddings = self.FCs(self.features(sils, seq_lens))  # [n, embed_dim, p]
        _, logits = self.BNNecks(embeddings)  # [n, class_num, p]
        return {"embeddings": embeddings, "logits": logits}
