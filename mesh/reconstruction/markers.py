"""Keypoints the reconstructor predicts: a set of anny joints plus virtual markers (mesh vertices).

Virtual markers (as in Mesh-Gait / "3D Human Mesh Estimation from Virtual Markers") are surface points that
pin down body shape where a skeleton cannot. GaitCraft's are 64 anny vertices chosen once by farthest-point
sampling on the default body (phenotypes 0.5, reference pose), starting from the top of the head, and frozen in
`ANNY_MARKERS` so every model and dataset agrees on them; `farthest_point_sampling` reproduces them.
Trained models also store their own marker ids in their config.
"""

from __future__ import annotations

import numpy as np

#: anny bones whose heads are the predicted joints (the semantic skeleton of `mesh.body_model` plus toes).
ANNY_JOINTS: tuple[str, ...] = (
    "root", "spine04", "spine03", "spine01", "neck01", "head",
    "upperleg01.L", "lowerleg01.L", "foot.L", "toe3-1.L",
    "upperleg01.R", "lowerleg01.R", "foot.R", "toe3-1.R",
    "clavicle.L", "upperarm01.L", "lowerarm01.L", "wrist.L",
    "clavicle.R", "upperarm01.R", "lowerarm01.R", "wrist.R",
)
#: Bone pairs drawn as the skeleton in overlays (indices into ANNY_JOINTS).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 6), (6, 7), (7, 8), (8, 9), (0, 10), (10, 11), (11, 12),
    (12, 13), (3, 14), (14, 15), (15, 16), (16, 17), (3, 18), (18, 19), (19, 20), (20, 21),
)
#: Bones whose rotations the mesh head regresses (every other bone keeps the identity, as the walker does).
#: A tuple entry is a group of sibling bones that share one rotation (the five toes of a foot).
ANNY_POSED_BONES: tuple[tuple[str, ...], ...] = (
    ("root",), ("spine05",), ("spine04",), ("spine03",), ("spine02",), ("spine01",),
    ("neck01",), ("neck02",), ("neck03",), ("head",),
    ("clavicle.L",), ("upperarm01.L",), ("lowerarm01.L",), ("wrist.L",),
    ("clavicle.R",), ("upperarm01.R",), ("lowerarm01.R",), ("wrist.R",),
    ("upperleg01.L",), ("lowerleg01.L",), ("foot.L",), tuple(f"toe{i}-1.L" for i in range(1, 6)),
    ("upperleg01.R",), ("lowerleg01.R",), ("foot.R",), tuple(f"toe{i}-1.R" for i in range(1, 6)),
)

#: 64 virtual markers: anny vertex ids (13,718-vertex default topology), from `farthest_point_sampling`.
ANNY_MARKERS: tuple[int, ...] = (
    881, 6251, 9078, 2245, 4198, 11311, 8096, 1424, 4576, 13041, 11077, 4054, 1491, 3460, 10113, 4762,
    4427, 12931, 10983, 4152, 495, 3938, 10594, 10990, 11186, 1381, 8057, 6726, 6394, 10941, 5851, 3779,
    5424, 12007, 4245, 10491, 10271, 3155, 4029, 8218, 1556, 11075, 4501, 4102, 12840, 12978, 3963, 10719,
    10804, 962, 11149, 6732, 10411, 10902, 4318, 11013, 3760, 4545, 4191, 10381, 4728, 4823, 1524, 11236,
)


def farthest_point_sampling(points: np.ndarray, n: int, start: int) -> np.ndarray:
    """Indices [n] of `n` points [P, 3] chosen greedily, each farthest from those already chosen."""
    points = np.asarray(points, dtype=np.float64)
    if not 1 <= n <= len(points):
        raise ValueError(f"cannot sample {n} of {len(points)} points")
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = start
    dist = np.linalg.norm(points - points[start], axis=1)  # [P]
    for i in range(1, n):
        chosen[i] = int(np.argmax(dist))
        dist = np.minimum(dist, np.linalg.norm(points - points[chosen[i]], axis=1))
    return chosen


def outer_surface_vertices(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Vertex ids of the largest connected part of a mesh (anny's skin, without eyes and teeth)."""
    import trimesh

    mesh = trimesh.Trimesh(vertices, faces, process=False)
    parts = trimesh.graph.connected_components(mesh.face_adjacency, min_len=1)
    biggest = max(parts, key=len)  # face ids
    return np.unique(np.asarray(faces)[biggest])


def surface_sample(vertices: np.ndarray, faces: np.ndarray, n: int) -> np.ndarray:
    """`n` well-spread skin vertex ids of a rest mesh [V, 3], starting at its highest skin vertex."""
    skin = outer_surface_vertices(vertices, faces)
    pts = np.asarray(vertices)[skin]
    return skin[farthest_point_sampling(pts, n, int(np.argmax(pts[:, 2])))]


def anny_marker_ids(n: int = 64) -> np.ndarray:
    """The anny virtual markers: the frozen `ANNY_MARKERS` for n = 64, else sampled afresh (needs anny)."""
    if n == len(ANNY_MARKERS):
        return np.asarray(ANNY_MARKERS, dtype=np.int64)
    from mesh.body_model import AnnyBody

    body = AnnyBody()
    return surface_sample(body.forward(None).vertices[0].numpy(), body.faces, n)


def anny_loss_vertices(body, n: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """`n` skin vertex ids spread over anny's default body for the mesh loss (markers in `exclude` skipped)."""
    rest = body.forward(None).vertices[0].numpy()
    ids = surface_sample(rest, body.faces, n + (0 if exclude is None else len(exclude)))
    if exclude is not None:
        ids = ids[~np.isin(ids, exclude)][:n]
    return ids
