"""`ConditionEncoder`: identity bank, clothing/carry embeddings, Fourier view encoder and null embeddings,
mixed into one condition vector for the UNet. Its config carries the vocabularies, so it saves with the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

from conditioning.conditions import Conditions
from conditioning.encoders import FourierViewEncoder
from conditioning.identity_bank import IdentityBankMixin
from conditioning.vocab import FACTORS, ConditionVocab, check_views
from gaitcraft.errors import ConfigError


def _as_list(value: Any, b: int | None) -> list:
    """Scalars (str, number, recipe, dict, 1-D tensor, None) broadcast to b; lists/tuples are kept."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, torch.Tensor) and value.dim() == 2:
        return list(value)
    return [value] * (b or 1)


class ConditionEncoder(IdentityBankMixin, ModelMixin, ConfigMixin):
    """Encodes (identity, clothing, carry, view) into a `[b, cond_dim]` condition embedding.

    Args:
        identities: training identity names (the identity bank's rows, in order).
        clothing: clothing vocabulary.
        carry: carried-object vocabulary.
        identity_dim: size of an identity vector (the space where interpolation and mixing happen).
        factor_dim: size of each factor's embedding before mixing.
        cond_dim: size of the output condition embedding.
        view_frequencies: number of Fourier frequencies of the view angle.
    """

    @register_to_config
    def __init__(self, identities: Sequence[str] = ("0",), clothing: Sequence[str] = ("normal",),
                 carry: Sequence[str] = ("none",), identity_dim: int = 64, factor_dim: int = 64,
                 cond_dim: int = 128, view_frequencies: int = 6):
        super().__init__()
        self.vocab = ConditionVocab(tuple(identities), tuple(clothing), tuple(carry))
        self.identity_bank = nn.Embedding(len(identities), identity_dim)
        nn.init.normal_(self.identity_bank.weight, std=1.0)
        self.identity_proj = nn.Linear(identity_dim, factor_dim)
        self.clothing_emb = nn.Embedding(len(clothing), factor_dim)
        self.carry_emb = nn.Embedding(len(carry), factor_dim)
        self.view_enc = FourierViewEncoder(view_frequencies, factor_dim)
        self.null = nn.ParameterDict({
            f: nn.Parameter(0.02 * torch.randn(identity_dim if f == "identity" else factor_dim)) for f in FACTORS
        })
        self.mixer = nn.Sequential(nn.Linear(4 * factor_dim, cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim))

    def conditions(self, identity: Any = None, clothing: Any = None, carry: Any = None, view: Any = None,
                   batch_size: int | None = None) -> Conditions:
        """Build `Conditions` from user values; each is a scalar (broadcast) or a list of length b; None means null."""
        if isinstance(view, torch.Tensor):
            view = view.tolist()
        raw = {"identity": identity, "clothing": clothing, "carry": carry, "view": view}
        lists = {f: _as_list(v, batch_size) for f, v in raw.items()}
        sizes = {len(v) for v in lists.values()} - {1}
        if len(sizes) > 1 or (batch_size is not None and sizes and sizes != {batch_size}):
            raise ConfigError(f"condition lists have different lengths: { {f: len(v) for f, v in lists.items()} }")
        b = sizes.pop() if sizes else (batch_size or 1)
        lists = {f: v * b if len(v) == 1 else v for f, v in lists.items()}
        null = {f: torch.tensor([x is None for x in lists[f]]) for f in FACTORS}
        zero = torch.zeros(self.config.identity_dim, device=self.identity_bank.weight.device)
        ids = [self.resolve_identity(x) for x in lists["identity"]]
        idv = torch.stack([zero if v is None else v.detach() for v in ids])  # [b, identity_dim]
        cats = {f: self.vocab.index(f, [self.vocab.values(f)[0] if x is None else x for x in lists[f]])
                for f in ("clothing", "carry")}
        views = check_views([0.0 if x is None else x for x in lists["view"]])
        return Conditions(idv, cats["clothing"], cats["carry"], views, null).to(self.identity_bank.weight.device)

    def conditions_from_labels(self, subjects: Sequence[str], clothing: Sequence[str], carry: Sequence[str],
                               view: torch.Tensor, null: dict[str, torch.Tensor]) -> Conditions:
        """Training batch labels (training identities only) with CFG-dropout masks -> `Conditions`."""
        dev = self.identity_bank.weight.device
        return Conditions(
            self.identity_vectors(list(subjects)), self.vocab.index("clothing", list(clothing)).to(dev),
            self.vocab.index("carry", list(carry)).to(dev), check_views(view).to(dev),
            {f: m.to(dev) for f, m in null.items()},
        )

    def forward(self, cond: Conditions) -> torch.Tensor:
        """`Conditions` of b items -> condition embedding `[b, cond_dim]`."""
        def pick(f: str, value: torch.Tensor) -> torch.Tensor:
            return torch.where(cond.null[f][:, None], self.null[f].to(value.dtype)[None], value)

        ident = self.identity_proj(pick("identity", cond.identity.to(self.identity_bank.weight.dtype)))
        parts = [
            ident,
            pick("clothing", self.clothing_emb(cond.clothing)),
            pick("carry", self.carry_emb(cond.carry)),
            pick("view", self.view_enc(cond.view)),
        ]
        return self.mixer(torch.cat(parts, dim=-1))
