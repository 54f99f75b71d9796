"""Novel identities: Dirichlet mixtures of training identities or draws from a fitted Gaussian, kept away from
every training identity (privacy margin) and, optionally, from each other (separation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from conditioning.identity import IdentityRecipe, mix
from gaitcraft.defaults import DEFAULT_NOVEL_METHOD, NOVEL_METHODS
from gaitcraft.errors import ConfigError

METHODS = tuple(NOVEL_METHODS)
DEFAULT_METHOD = DEFAULT_NOVEL_METHOD


def nn_distance_scale(table: torch.Tensor) -> float:
    """Median distance from each training identity `[n, d]` to its nearest other one (the unit of the margins)."""
    if table.shape[0] < 2:
        raise ConfigError("novel identities need at least 2 training identities")
    d = torch.cdist(table.double(), table.double())
    d.fill_diagonal_(float("inf"))
    return float(d.min(dim=1).values.median())


def _candidate(rng: np.random.Generator, table: np.ndarray, ids: Sequence[str], method: str, k: int, alpha: float,
               gauss: tuple[np.ndarray, np.ndarray] | None) -> tuple[IdentityRecipe, np.ndarray]:
    """One candidate recipe and its vector."""
    if method == "dirichlet":
        pick = rng.choice(len(ids), size=k, replace=False)
        weights = rng.dirichlet(np.full(k, alpha))
        vec = mix(torch.from_numpy(table[pick]), weights.tolist()).numpy()
        return IdentityRecipe("mix", tuple(ids[i] for i in pick), tuple(float(w) for w in weights)), vec
    mean, chol = gauss
    vec = (mean + chol @ rng.standard_normal(mean.shape[0])).astype(table.dtype)
    return IdentityRecipe("vector", vector=tuple(float(v) for v in vec)), vec


def sample_novel(table: torch.Tensor, ids: Sequence[str], n: int, seed: int, method: str = DEFAULT_METHOD, k: int = 3,
                 alpha: float = 1.0, margin: float = 0.5, separation: float = 0.0,
                 max_tries: int = 10000) -> list[IdentityRecipe]:
    """Sample `n` novel identity recipes from the identity bank `table` `[n_train, d]` named by `ids`.

    method:     'gaussian' (default) draws from a Gaussian fitted to the bank (the recipe stores the vector);
                'dirichlet' mixes `k` distinct training identities with Dirichlet(`alpha`) weights.
    margin:     reject candidates closer than `margin` x (median nearest-neighbour distance of the bank)
                to any training identity.
    separation: also reject candidates closer than `separation` x that scale to an already accepted one.
    The same arguments give the same recipes; each recipe's `meta` records method, seed and index.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown novel-identity method {method!r}; valid: {', '.join(METHODS)}")
    if method == "dirichlet" and not 2 <= k <= len(ids):
        raise ConfigError(f"k={k} must be between 2 and the number of training identities ({len(ids)})")
    scale = nn_distance_scale(table)
    bank = table.detach().double().numpy()
    gauss = None
    if method == "gaussian":
        cov = np.cov(bank, rowvar=False) + 1e-6 * np.eye(bank.shape[1])
        gauss = (bank.mean(0), np.linalg.cholesky(cov))
    rng = np.random.default_rng(seed)
    accepted: list[IdentityRecipe] = []
    vectors: list[np.ndarray] = []
    for tries in range(max_tries):
        if len(accepted) == n:
            break
        recipe, vec = _candidate(rng, bank, ids, method, k, alpha, gauss)
        if np.linalg.norm(bank - vec, axis=1).min() < margin * scale:
            continue
        if vectors and np.linalg.norm(np.stack(vectors) - vec, axis=1).min() < separation * scale:
            continue
        meta = {"method": method, "seed": seed, "index": len(accepted), "try": tries, "margin": margin,
                "separation": separation, **({"k": k, "alpha": alpha} if method == "dirichlet" else {})}
        accepted.append(IdentityRecipe(recipe.kind, recipe.ids, recipe.weights, vector=recipe.vector, meta=meta))
        vectors.append(vec)
    if len(accepted) < n:
        raise ConfigError(
            f"only {len(accepted)} of {n} novel identities passed margin={margin} / separation={separation} "
            f"in {max_tries} tries; lower the margins, raise k or alpha, or ask for fewer"
        )
    return accepted
