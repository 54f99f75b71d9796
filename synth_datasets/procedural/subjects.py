"""Synthetic subjects of the procedural walker: body shape, gait style and their own bags, all from a seed."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from gaitcraft.vocab import BAGS, cycled_bag
from mesh.gait_style import GaitStyle, sample_style

PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")


@dataclass
class SubjectRecipe:
    """Everything that makes one synthetic subject: reproducible from (seed, index) alone."""

    subject: str
    phenotypes: dict[str, float]
    style: GaitStyle
    bags: list[str]  # the bag carried in bg-01, bg-02, ... (cycled)

    def to_json(self) -> dict:
        """JSON-ready dict (stored in the ground-truth sidecar and the manifest provenance)."""
        return {"subject": self.subject, "phenotypes": self.phenotypes, "style": self.style.to_dict(),
                "bags": self.bags}

    def bag_for(self, seq_type: str) -> str:
        """The exact object of a `bg-NN` sequence."""
        return cycled_bag(self.bags, seq_type)


def subject_rng(seed: int, index: int, *salt: int) -> np.random.Generator:
    """An RNG that depends only on (seed, subject index, salt): subjects do not change when N grows."""
    return np.random.default_rng([seed, index, *salt])


def sample_subject(seed: int, index: int) -> SubjectRecipe:
    """Draw subject `index` (0-based) of the dataset with `seed`: an adult anny body and a gait style."""
    rng = subject_rng(seed, index)
    phen = {
        "gender": float(rng.uniform(0.0, 1.0)),
        "age": float(rng.uniform(0.62, 0.95)),  # 2/3 = young adult; 1 = old
        "muscle": float(rng.uniform(0.25, 0.75)),
        "weight": float(np.clip(rng.normal(0.5, 0.15), 0.15, 0.9)),
        "height": float(np.clip(rng.normal(0.42, 0.1), 0.2, 0.7)),
        "proportions": float(rng.uniform(0.3, 0.7)),
    }
    style = sample_style(rng)
    bags = [str(b) for b in rng.permutation(BAGS)]
    return SubjectRecipe(f"{index + 1:03d}", phen, style, bags)


def recipe_hash(recipe: SubjectRecipe) -> str:
    """A short stable hash of a recipe (for provenance)."""
    import hashlib

    return hashlib.sha1(json.dumps(recipe.to_json(), sort_keys=True).encode()).hexdigest()[:12]
