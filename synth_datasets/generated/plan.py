"""The work list of a generation: one job per sequence, a seed per sequence derived from (seed, sequence key),
sharding over processes and fixed batches (so a sequence's output depends on neither resume nor the shard)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import torch

from conditioning.identity import IdentityRecipe
from gaitcraft.factors import factor
from gaitcraft.types import SequenceLabels, view_name
from synth_datasets.generated.generator import GENERATOR_NAME


@dataclass(frozen=True)
class SeqJob:
    """One sequence to generate: its place in the tree (subject, type, view), the identity recipe it is drawn
    from, and the values of the other factors, `{factor: value}` (clothing, carry, ...)."""

    subject: str
    seq_type: str
    view: float
    recipe: IdentityRecipe
    conditions: dict[str, Any] = field(default_factory=dict, hash=False)
    # the subject name its seed is drawn from, when the tree's name is a prefixed copy of it (`generate --identity
    # 001` writes `gen001` but draws the walk it drew before prefixes existed); None: the tree's name
    seed_subject: str | None = None

    def pipeline_conditions(self) -> dict[str, Any]:
        """The keyword arguments of this sequence's pipeline call: every factor's value."""
        return {**self.conditions, "identity": self.recipe, "view": self.view}

    @property
    def key(self) -> tuple[str, str, str]:
        """(subject, type, view folder): the sequence's place in the OpenGait tree."""
        return (self.subject, self.seq_type, view_name(self.view))

    @property
    def seed_key(self) -> tuple[str, str, str]:
        """The key its sequence seed is drawn from: `key`, with `seed_subject` in place of the subject if set."""
        return (self.seed_subject or self.subject, self.seq_type, view_name(self.view))

    def labels(self, seed: int, model_sha256: str, source: str = GENERATOR_NAME,
               extra: dict[str, Any] | None = None) -> SequenceLabels:
        """Labels with provenance: generator, model hash, master and sequence seed, identity recipe."""
        prov = {"generator": GENERATOR_NAME, "model_sha256": model_sha256, "seed": seed,
                "sequence_seed": sequence_seed(seed, self.seed_key), "identity_recipe": self.recipe.to_json(),
                **(extra or {})}
        labels = {factor(name).label: value for name, value in self.conditions.items()}
        return SequenceLabels(self.subject, self.seq_type, float(self.view), source=source, provenance=prov, **labels)


def sequence_seed(seed: int, key: tuple[str, str, str]) -> int:
    """A 63-bit seed from the master seed and a sequence key (stable across runs, machines and Python versions)."""
    digest = hashlib.sha256(json.dumps([int(seed), *key]).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def generators(seed: int, jobs: list[SeqJob]) -> list[torch.Generator]:
    """One CPU `torch.Generator` per job, seeded from (seed, job key)."""
    return [torch.Generator().manual_seed(sequence_seed(seed, j.seed_key)) for j in jobs]


def plan_jobs(subjects: list[str], recipes: list[IdentityRecipe], types: list[str], views: list[float],
              conditions) -> list[SeqJob]:
    """Jobs in (identity, type, view) order; `conditions(i, type) -> {factor: value}` (clothing, carry) for the
    i-th (1-based) identity."""
    return [SeqJob(s, t, float(v), r, conditions(i, t))
            for i, (s, r) in enumerate(zip(subjects, recipes), start=1) for t in types for v in views]


def shard(jobs: list[SeqJob], rank: int, world: int) -> list[SeqJob]:
    """The jobs of process `rank` of `world`: every world-th job starting at `rank`."""
    return jobs[rank::world]


def batches(jobs: list[SeqJob], size: int) -> list[list[SeqJob]]:
    """Fixed consecutive batches of a shard's jobs (the same on every run, whatever is already done)."""
    size = max(1, int(size))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]
