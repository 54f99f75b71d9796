"""Conditioning: vocabularies, per-factor encoders with null embeddings, identity bank and identity operations.

The factors themselves (identity, clothing, carry, view) are declared in `gaitcraft.factors`."""

from conditioning.conditions import Conditions
from conditioning.encoder import ConditionEncoder
from conditioning.encoders import FourierAngleEncoder, drop_masks
from conditioning.identity import IdentityRecipe, interpolate, mix
from conditioning.novel import nn_distance_scale, sample_novel
from conditioning.vocab import ConditionVocab, check_numbers, check_views

__all__ = [
    "ConditionEncoder",
    "ConditionVocab",
    "Conditions",
    "FourierAngleEncoder",
    "IdentityRecipe",
    "check_numbers",
    "check_views",
    "drop_masks",
    "interpolate",
    "mix",
    "nn_distance_scale",
    "sample_novel",
]
