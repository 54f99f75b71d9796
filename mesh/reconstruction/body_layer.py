"""A differentiable, light anny for training losses: FK + linear blend skinning on a vertex subset.

anny itself is float64 and takes ~2.5 s forward+backward for 64 bodies on this CPU, too slow inside every
training step. This layer reproduces it on the few hundred vertices a loss needs:
- rest shape: exact anny reference-pose vertices/bone heads when given (ground truth); for predicted
  phenotypes, a linear map of anny's own (differentiable) blendshape coefficients, fitted by least squares to
  anny samples (held-out error ~1 mm mean, 6 mm max; a quadratic in the phenotypes was 8 mm mean, 14 cm max);
- pose: anny's 'local-ref' rotations, FK about the bone heads, then LBS with anny's 9 weights per vertex
  (matches `anny` within 2 mm, see tests).
Exported meshes always come from the real anny (`mesh.body_model.AnnyBody`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gaitcraft.io.atomic import atomic_save
from gaitcraft.paths import cache_dir
from mesh.reconstruction.markers import ANNY_POSED_BONES

PHENOTYPE_NAMES = ("gender", "age", "muscle", "weight", "height", "proportions")
#: Phenotype box the shape polynomial is fitted on (adults; anny's age 2/3 = young adult, 1 = old).
FIT_RANGES = {"gender": (0, 1), "age": (0.5, 1), "muscle": (0, 1), "weight": (0, 1), "height": (0, 1),
              "proportions": (0, 1)}


def shape_features(anny_model, ph: torch.Tensor) -> torch.Tensor:
    """Features [b, 1 + n_blendshapes] of phenotypes [b, 6]: 1 and anny's blendshape coefficients."""
    coef = anny_model.get_phenotype_blendshape_coefficients(
        **{n: ph[:, i].double() for i, n in enumerate(PHENOTYPE_NAMES)})  # [b, n_bs] float64
    return torch.cat([torch.ones_like(coef[:, :1]), coef], dim=1).float()


def exact_rest(body, phenotypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """anny's rest vertices [n, V, 3] and bone heads [n, 104, 3] for phenotypes [n, 6] (PHENOTYPE_NAMES order)."""
    out = body.forward(None, shape=np.asarray(phenotypes, dtype=np.float64), batch=len(phenotypes))
    return out.vertices.numpy(), out.joints.numpy()


def fit_shape_basis(body, vertex_ids: np.ndarray, samples: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """Least-squares map `shape_features` -> reference-pose vertices (at `vertex_ids`) and bone heads."""
    rng = np.random.default_rng(seed)
    lo, hi = (np.array([FIT_RANGES[k][e] for k in PHENOTYPE_NAMES], float) for e in (0, 1))
    ph = lo + (hi - lo) * rng.random((samples, 6))
    verts, heads = [], []
    for chunk in np.array_split(ph, max(1, samples // 32)):
        v, h = exact_rest(body, chunk)
        verts.append(v[:, vertex_ids])
        heads.append(h)
    y = np.concatenate([np.concatenate(verts), np.concatenate(heads)], axis=1).reshape(samples, -1)
    x = shape_features(body.model, torch.from_numpy(ph)).double().numpy()  # [n, F]
    coef = np.linalg.solve(x.T @ x + 1e-6 * np.eye(x.shape[1]), x.T @ y)  # [F, (Vs + 104) * 3], ridge
    resid = np.abs(x @ coef - y).max()
    return {"coef": coef.astype(np.float32), "residual_max_m": np.float32(resid)}


def cached_shape_basis(body, vertex_ids: np.ndarray) -> dict[str, np.ndarray]:
    """`fit_shape_basis`, cached under `<cache>/reconstruction/` keyed by the vertex ids and anny's version."""
    import anny

    key = hashlib.sha1(np.asarray(vertex_ids, np.int64).tobytes() + str(getattr(anny, "__version__", "")).encode())
    path = Path(cache_dir()) / "reconstruction" / f"anny_shape_v2_{key.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    basis = fit_shape_basis(body, vertex_ids)
    atomic_save(path, lambda tmp: np.savez(tmp, **basis))
    return basis


class AnnyLayer(nn.Module):
    """Differentiable posed keypoints of anny at `vertex_ids`, in the body frame (root head at the origin)."""

    def __init__(self, body, vertex_ids: np.ndarray, basis: dict[str, np.ndarray] | None = None):
        """`body`: a `mesh.body_model.AnnyBody`; `vertex_ids` [Vs]: the vertices the losses see."""
        super().__init__()
        self.vertex_ids = np.asarray(vertex_ids, dtype=np.int64)
        self.parents = [int(p) for p in body.parents]
        names = body.joint_names
        group_of = np.full(len(names), len(ANNY_POSED_BONES), dtype=np.int64)  # unposed -> identity slot
        for g, bones in enumerate(ANNY_POSED_BONES):
            for b in bones:
                group_of[names.index(b)] = g
        basis = basis if basis is not None else cached_shape_basis(body, self.vertex_ids)
        self.shape_residual_m = float(basis["residual_max_m"])
        self.register_buffer("group_of", torch.from_numpy(group_of), persistent=False)
        # anny itself (not a submodule: it stays on the CPU, in float64) gives the blendshape coefficients
        object.__setattr__(self, "anny", body.model)
        self.register_buffer("coef", torch.from_numpy(basis["coef"]), persistent=False)  # [F, (Vs+104)*3]
        self.register_buffer("bone_idx", torch.from_numpy(body._vb_idx[self.vertex_ids]).long(), persistent=False)
        self.register_buffer("bone_w", torch.from_numpy(body._vb_w[self.vertex_ids]).float(), persistent=False)

    @property
    def n_groups(self) -> int:
        """Number of regressed rotations (bone groups)."""
        return len(ANNY_POSED_BONES)

    def rest(self, phenotypes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Surrogate rest (vertices [b, Vs, 3], bone heads [b, 104, 3]) of phenotypes [b, 6]."""
        y = shape_features(self.anny, phenotypes.cpu()).to(self.coef.device) @ self.coef  # [b, (Vs+104)*3]
        y = y.reshape(len(phenotypes), -1, 3)
        return y[:, : len(self.vertex_ids)], y[:, len(self.vertex_ids):]

    def expand_groups(self, group_rot: torch.Tensor) -> torch.Tensor:
        """Group rotations [b, G, 3, 3] -> all-bone 'local-ref' rotations [b, 104, 3, 3] (identity elsewhere)."""
        eye = torch.eye(3, dtype=group_rot.dtype, device=group_rot.device).expand(len(group_rot), 1, 3, 3)
        return torch.cat([group_rot, eye], dim=1)[:, self.group_of]

    def forward(self, rot: torch.Tensor, rest_vertices: torch.Tensor, rest_heads: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pose: rotations [b, 104, 3, 3] ('local-ref'; root = body-frame rotation), rest [b, Vs, 3] and
        [b, 104, 3] -> (bone heads [b, 104, 3], vertices [b, Vs, 3]), root head at the origin."""
        b = rot.shape[0]
        g = [rot[:, 0]]
        heads = [torch.zeros(b, 3, dtype=rot.dtype, device=rot.device)]
        for i in range(1, rot.shape[1]):
            p = self.parents[i]
            heads.append(heads[p] + (g[p] @ (rest_heads[:, i] - rest_heads[:, p]).unsqueeze(-1)).squeeze(-1))
            g.append(g[p] @ rot[:, i])
        G, H = torch.stack(g, 1), torch.stack(heads, 1)  # [b, 104, 3, 3], [b, 104, 3]
        gv = G[:, self.bone_idx]  # [b, Vs, 9, 3, 3]
        local = rest_vertices.unsqueeze(2) - rest_heads[:, self.bone_idx]  # [b, Vs, 9, 3]
        posed = (gv @ local.unsqueeze(-1)).squeeze(-1) + H[:, self.bone_idx]  # [b, Vs, 9, 3]
        verts = (self.bone_w[None, :, :, None] * posed).sum(2)  # [b, Vs, 3]
        return H, verts
