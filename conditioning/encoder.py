"""`ConditionEncoder`: one embedding per declared factor (`gaitcraft.factors`) — the identity bank, a learned table
per categorical factor, Fourier features of the view — and a null embedding each, mixed into one condition vector
for the UNet. Its config carries the vocabularies, so it saves with the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn as nn
from diffusers import ConfigMixin, ModelMixin

from conditioning.conditions import Conditions
from conditioning.encoders import FourierAngleEncoder
from conditioning.identity_bank import IdentityBankMixin
from conditioning.vocab import ConditionVocab, check_numbers
from gaitcraft.errors import ConfigError
from gaitcraft.factors import Factor, factor_names, factors

#: The vocabulary an encoder built without one knows: one placeholder identity; a categorical factor's first value.
PLACEHOLDER_IDENTITY = "0"


def _as_list(value: Any, b: int | None) -> list:
    """Scalars (str, number, recipe, dict, 1-D tensor, None) broadcast to b; lists/tuples are kept."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, torch.Tensor) and value.dim() == 2:
        return list(value)
    return [value] * (b or 1)


def config_keys() -> set[str]:
    """The config entries a `ConditionEncoder` takes: `factor_dim`, `cond_dim`, and per declared factor its
    vocabulary (`identities`, `clothing`, `carry`) or its embedding size (`identity_dim`, `view_frequencies`)."""
    keys = {"factor_dim", "cond_dim"}
    for f in factors():
        keys |= {k for k in (f.vocab_key if f.has_vocabulary else None, f.size_key) if k}
    return keys


class ConditionEncoder(IdentityBankMixin, ModelMixin, ConfigMixin):
    """Encodes the declared factors (identity, clothing, carry, view, ...) into a `[b, cond_dim]` condition embedding.

    Args:
        factor_dim: size of each factor's embedding before mixing.
        cond_dim: size of the output condition embedding.
        **settings: per factor (see `config_keys`): its vocabulary under its `vocab_key` (`identities`: the
            training identity names, the identity bank's rows in order; `clothing`, `carry`: the categorical
            vocabularies), and its embedding size (`identity_dim`: size of an identity vector, the space where
            interpolation and mixing happen; `view_frequencies`: number of Fourier frequencies of the view angle).
            Left out: the factor's declared size, and a one-value vocabulary.

    Modules are named after the factor: `identity_bank` + `identity_proj`, `<name>_emb` (categorical), `<name>_enc`
    (Fourier), `null.<name>`, then `mixer`; parameters are created in declaration order.
    """

    config_name = "config.json"

    @staticmethod
    def config_keys() -> set[str]:
        """The config entries this encoder takes (its constructor has `**settings`, so its signature does not
        list them); see the module's `config_keys`."""
        return config_keys()

    def __init__(self, factor_dim: int = 64, cond_dim: int = 128, **settings: Any):
        super().__init__()
        if unknown := sorted(set(settings) - config_keys()):
            raise ConfigError(f"unknown condition encoder settings {unknown}; valid: {sorted(config_keys())}")
        full = dict(settings)
        for f in factors():
            if f.has_vocabulary:
                first = (PLACEHOLDER_IDENTITY,) if f.kind == "identity" else f.values[:1]
                full[f.vocab_key] = list(settings.get(f.vocab_key, first))
            if f.size_key:
                full[f.size_key] = int(settings.get(f.size_key, f.size))
        self.register_to_config(factor_dim=factor_dim, cond_dim=cond_dim, **full)
        self.vocab = ConditionVocab({f.name: tuple(full[f.vocab_key]) for f in factors() if f.has_vocabulary})
        for f in factors():
            self._add_embedding(f, full, factor_dim)
        self.null = nn.ParameterDict({
            f.name: nn.Parameter(0.02 * torch.randn(full[f.size_key] if f.kind == "identity" else factor_dim))
            for f in factors()
        })
        self.mixer = nn.Sequential(nn.Linear(len(factors()) * factor_dim, cond_dim), nn.SiLU(),
                                   nn.Linear(cond_dim, cond_dim))

    def _add_embedding(self, f: Factor, settings: dict[str, Any], factor_dim: int) -> None:
        """Create factor `f`'s embedding modules (named after it, so saved weights keep their names)."""
        if f.embedding == "bank":
            bank = nn.Embedding(len(settings[f.vocab_key]), settings[f.size_key])
            nn.init.normal_(bank.weight, std=1.0)
            setattr(self, f"{f.name}_bank", bank)
            setattr(self, f"{f.name}_proj", nn.Linear(settings[f.size_key], factor_dim))
        elif f.embedding == "table":
            setattr(self, f"{f.name}_emb", nn.Embedding(len(settings[f.vocab_key]), factor_dim))
        else:
            setattr(self, f"{f.name}_enc", FourierAngleEncoder(settings[f.size_key], factor_dim))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None, **kwargs: Any) -> ConditionEncoder:
        """Build from a saved config (its private `_` entries ignored). diffusers' own `from_config` passes only
        the constructor's named arguments, which would drop the per-factor settings."""
        entries = {**dict(config or {}), **kwargs}
        return cls(**{k: v for k, v in entries.items() if not k.startswith("_")})

    def conditions(self, *values: Any, batch_size: int | None = None, **named: Any) -> Conditions:
        """Build `Conditions` from user values, given in declaration order (identity, clothing, carry, view) or
        by factor name; each is a scalar (broadcast) or a list of length b; None (or left out) means null."""
        names = factor_names()
        if len(values) > len(names):
            raise ConfigError(f"got {len(values)} condition values for the {len(names)} factors {', '.join(names)}")
        if unknown := sorted(set(named) - set(names)):
            raise ConfigError(f"unknown conditions {unknown}; valid: {', '.join(names)}")
        if twice := sorted(set(named) & set(names[:len(values)])):
            raise ConfigError(f"conditions {twice} given both by position and by name")
        raw = {**dict(zip(names, values)), **named}
        raw = {n: raw[n].tolist() if isinstance(raw.get(n), torch.Tensor) and f.kind == "continuous"
               else raw.get(n) for n, f in zip(names, factors())}
        lists = {n: _as_list(v, batch_size) for n, v in raw.items()}
        sizes = {len(v) for v in lists.values()} - {1}
        if len(sizes) > 1 or (batch_size is not None and sizes and sizes != {batch_size}):
            raise ConfigError(f"condition lists have different lengths: { {n: len(v) for n, v in lists.items()} }")
        b = sizes.pop() if sizes else (batch_size or 1)
        lists = {n: v * b if len(v) == 1 else v for n, v in lists.items()}
        null = {n: torch.tensor([x is None for x in lists[n]]) for n in names}
        out = {}
        for f in factors():
            items = lists[f.name]
            if f.kind == "identity":
                zero = torch.zeros(self.config[f.size_key], device=self.device)
                vectors = [self.resolve_identity(x) for x in items]
                out[f.name] = torch.stack([zero if v is None else v.detach() for v in vectors])  # [b, identity_dim]
            elif f.kind == "categorical":
                first = self.vocab.values(f.name)[0]
                out[f.name] = self.vocab.index(f.name, [first if x is None else x for x in items])  # [b]
            else:
                out[f.name] = check_numbers(f, [f.value_range[0] if x is None else x for x in items])  # [b]
        return Conditions(out, null).to(self.device)

    def conditions_from_labels(self, labels: Mapping[str, Sequence], null: dict[str, torch.Tensor]) -> Conditions:
        """Training batch labels `{factor: b values}` (training identities only) with CFG-dropout masks ->
        `Conditions`."""
        dev = self.device
        out = {}
        for f in factors():
            items = labels[f.name]
            if f.kind == "identity":
                out[f.name] = self.identity_vectors(list(items))
            elif f.kind == "categorical":
                out[f.name] = self.vocab.index(f.name, list(items)).to(dev)
            else:
                out[f.name] = check_numbers(f, items).to(dev)
        return Conditions(out, {n: m.to(dev) for n, m in null.items()})

    def forward(self, cond: Conditions) -> torch.Tensor:
        """`Conditions` of b items -> condition embedding `[b, cond_dim]`."""
        def pick(name: str, value: torch.Tensor) -> torch.Tensor:
            return torch.where(cond.null[name][:, None], self.null[name].to(value.dtype)[None], value)

        parts = []
        for f in factors():
            value = cond[f.name]
            if f.embedding == "bank":  # nulled in identity space, then projected
                bank = getattr(self, f"{f.name}_bank")
                parts.append(getattr(self, f"{f.name}_proj")(pick(f.name, value.to(bank.weight.dtype))))
            elif f.embedding == "table":
                parts.append(pick(f.name, getattr(self, f"{f.name}_emb")(value)))
            else:
                parts.append(pick(f.name, getattr(self, f"{f.name}_enc")(value)))
        return self.mixer(torch.cat(parts, dim=-1))
