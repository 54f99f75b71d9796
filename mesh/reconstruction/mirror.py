"""Sagittal mirror maps: the left-right mirror image of the reconstructor's inputs and outputs.

A network trained on walkers filmed from one side of the walk (its meta's `camera_side`, see
`mesh.view_convention`) sees a walker filmed from the other side as a mirror image: near and far limbs swap. Flip
such a sequence horizontally, and it is a walker filmed from the network's own side at the same view label; the
network's outputs then describe the mirror-image walker, and the maps here take them back to the true walker.

The mirror is the reflection of the body frame across its sagittal plane: X (the body's left) is negated, Y and Z
are kept, and every left part trades places with its right counterpart. Each map is its own inverse.
- points `[..., P, 3]`: negate X, then reorder the points by a left/right permutation (`name_permutation`);
- rotations: a world-axes rotation R of one bone becomes S R S (S = diag(-1, 1, 1)) on its counterpart; in
  axis-angle terms the lateral component is kept and the other two change sign. A 'local-ref' pose (rotations
  relative to the parent, in world axes: `mesh.body_model`) maps the same way, as the skeleton's parents are
  mirror images of each other;
- mesh vertices: the counterpart of each vertex on a mirror-symmetric rest mesh (`vertex_mirror_map`);
- image-aligned heatmap cells (right, up, toward the camera): the image's right axis is negated;
- body-frame volumes `[..., Z, Y, X]` on a grid centred on the root: the X axis is reversed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

#: The sagittal reflection of the body frame (X = the body's left).
SAGITTAL = np.diag([-1.0, 1.0, 1.0])
#: The most a rest-mesh vertex may lie from the mirror image of its counterpart for a symmetry map to hold (m).
SYMMETRY_TOLERANCE_M = 1e-3


def mirror_name(name: str) -> str:
    """The counterpart of a bone or joint name with anny's '.L' / '.R' suffix; central names are their own."""
    if name.endswith(".L"):
        return name[:-2] + ".R"
    if name.endswith(".R"):
        return name[:-2] + ".L"
    return name


def name_permutation(names: Sequence[str]) -> np.ndarray:
    """Index `[n]` of each name's counterpart in `names` (an involution); ValueError when one has none."""
    index = {n: i for i, n in enumerate(names)}
    missing = sorted({mirror_name(n) for n in names} - set(index))
    if missing:
        raise ValueError(f"no left/right counterpart for {missing}")
    return np.array([index[mirror_name(n)] for n in names], dtype=np.int64)


def mirror_points(points: np.ndarray, perm: np.ndarray | None = None) -> np.ndarray:
    """Body-frame points `[..., P, 3]` of the mirror-image body: X negated, and point i taken from `perm[i]`
    (its counterpart; None keeps the order, for points whose ids are mirrored instead)."""
    p = np.asarray(points)
    out = p * SAGITTAL.diagonal().astype(p.dtype)
    return out if perm is None else out[..., perm, :]


def mirror_pose(pose: torch.Tensor, perm: np.ndarray) -> torch.Tensor:
    """The mirror image `[..., J, 4, 4]` of a 'local-ref' pose `[..., J, 4, 4]`: joint j takes the rotation
    S R S of its counterpart `perm[j]` (S the sagittal reflection), and a translation has its X negated."""
    s = torch.diag(torch.tensor([-1.0, 1.0, 1.0, 1.0], dtype=pose.dtype, device=pose.device))
    return s @ pose[..., torch.as_tensor(perm), :, :] @ s


def vertex_mirror_map(rest_vertices: np.ndarray, tolerance_m: float = SYMMETRY_TOLERANCE_M) -> np.ndarray | None:
    """Each vertex's counterpart `[V]` on a rest mesh `[V, 3]` that is mirror-symmetric across a plane X = c
    (c: the vertices' mean X), or None when the mesh has no such symmetry: a counterpart further than
    `tolerance_m` from the vertex's mirror image, or a pairing that is not an involution."""
    from scipy.spatial import cKDTree

    v = np.asarray(rest_vertices, dtype=np.float64)
    mirrored = v.copy()
    mirrored[:, 0] = 2 * v[:, 0].mean() - v[:, 0]
    dist, idx = cKDTree(v).query(mirrored)
    if dist.max() > tolerance_m or not np.array_equal(idx[idx], np.arange(len(v))):
        return None
    return idx.astype(np.int64)


def mirror_cells(cells: np.ndarray, perm: np.ndarray | None = None) -> np.ndarray:
    """Image-aligned heatmap positions `[..., K, 3]` (right, up, toward the camera; the image centre at 0) of the
    horizontally flipped image: the right axis negated, keypoint i taken from `perm[i]`."""
    c = np.asarray(cells)
    out = c * np.array([-1.0, 1.0, 1.0], c.dtype)
    return out if perm is None else out[..., perm, :]


def mirror_volumes(volumes: np.ndarray, perm: np.ndarray | None = None) -> np.ndarray:
    """Root-centred body-frame volumes `[t, K, Z, Y, X]` of the mirror-image body: the X axis reversed (the grid
    is symmetric about the root), channel k taken from `perm[k]`."""
    v = np.asarray(volumes)[..., ::-1]
    return np.ascontiguousarray(v if perm is None else v[:, perm])


def extend_permutation(perm: np.ndarray, n: int) -> np.ndarray:
    """`perm` over the first len(perm) of `n` items, the rest kept in place `[n]`."""
    return np.concatenate([perm, np.arange(len(perm), n)])


@dataclass(frozen=True)
class BodyMirror:
    """The mirror maps of a body model for the reconstructor's outputs."""

    joints: np.ndarray  # [J] counterpart of each of `markers.ANNY_JOINTS`
    bones: np.ndarray  # [B] counterpart of each of the body's bones (`body.joint_names`)
    vertices: np.ndarray | None  # [V] counterpart of each mesh vertex, None where the rest mesh is not symmetric


@functools.lru_cache(maxsize=2)
def body_mirror(body) -> BodyMirror:
    """The mirror maps of `body` (a `mesh.body_model` body: bone names with '.L' / '.R', a rest mesh), computed
    once per body."""
    from mesh.reconstruction.markers import ANNY_JOINTS

    rest = body.forward(None).vertices[0].numpy()  # [V, 3] default phenotypes, reference pose
    return BodyMirror(name_permutation(ANNY_JOINTS), name_permutation(body.joint_names), vertex_mirror_map(rest))
