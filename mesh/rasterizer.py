"""Exact triangle rasterization of projected meshes to binary masks, batched over frames and views.

What it computes: pixel (r, c) is foreground iff its centre (u, v) = (c, r) lies inside at least one rendered
triangle. That is the same sample rule as a GPU rasterizer or a per-pixel ray cast, not point splatting.

How (why this is fast): the coverage count of a set of triangles that all have the same screen orientation is
their winding number, and a winding number is a sum over triangle *edges* of signed scanline crossings (the
classic scanline polygon fill, nonzero rule). An edge shared by two included triangles is crossed in opposite
directions and cancels exactly, so only the silhouette-contour edges (shared by a front and a back face, plus
open borders) are ever scan-converted: a few thousand edges per frame instead of 27k triangles. Cancellation is
exact, not numerical: each unique edge's crossings are computed once and weighted by the integer sum of its
faces' signs (a sparse edge x face incidence matrix times the per-face sign).

Per-face signs:
- closed meshes (the body, boxes): front faces +1, back faces 0 (culling). A closed surface's silhouette is
  the union of its front faces: any camera ray that meets the surface crosses it an even number of times with
  net sign zero, so it meets at least one front face.
- two-sided (open) meshes, e.g. a coat hem: front +1, back -1, i.e. back faces are flipped to the front
  orientation rather than culled.
Pixels are filled by a difference buffer + cumulative sum along each row (inside the bounding box of all
crossings of the batch); mask = winding != 0.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class Rasterizer:
    """Rasterizes one fixed triangle topology (faces [F, 3]) for any number of projected vertex sets.

    Pure numpy on one thread: on the shared 2-core machine this beat a torch port (thread oversubscription);
    for throughput, run one rendering process per core.
    """

    def __init__(self, faces: np.ndarray, two_sided: np.ndarray | None = None):
        """`faces` [F, 3] int vertex indices, wound counter-clockwise seen from outside (outward normals).

        `two_sided` [F] bool marks faces of open surfaces, which are drawn from both sides.
        """
        faces = np.array(faces, dtype=np.int64)
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise ValueError(f"faces must be [F, 3], got {faces.shape}")
        self.faces = faces
        n_f = faces.shape[0]
        two_sided = np.zeros(n_f, bool) if two_sided is None else np.asarray(two_sided, bool)
        if two_sided.shape != (n_f,):
            raise ValueError(f"two_sided must be [F]={n_f}, got {two_sided.shape}")
        self.two_sided = two_sided  # [F] bool
        self._two_sided_idx = np.flatnonzero(two_sided)
        self._face_cols = [np.ascontiguousarray(faces[:, k]) for k in range(3)]  # fast np.take indices
        # directed edges a->b, b->c, c->a of every face, keyed by their unordered vertex pair
        a = faces.reshape(-1)  # [3F]
        b = faces[:, [1, 2, 0]].reshape(-1)  # [3F]
        n_v = int(faces.max(initial=0)) + 1
        uniq, inv = np.unique(np.minimum(a, b) * n_v + np.maximum(a, b), return_inverse=True)
        self.edges = np.stack([uniq // n_v, uniq % n_v], axis=1)  # [E, 2], lo < hi
        sign = np.where(a < b, 1.0, -1.0).astype(np.float32)  # +1 if the face walks lo -> hi
        face_of = np.repeat(np.arange(n_f), 3)
        # [E, F] signed incidence: row e sums each face's traversal direction of edge e
        self.incidence = sp.csr_matrix((sign, (inv, face_of)), shape=(len(uniq), n_f))

    def _signs_from_facing(self, facing: np.ndarray) -> np.ndarray:
        """Signs `[F, ...]` float32 from `facing` [F, ...] (> 0: the face looks at the camera).

        +1 for front faces; back faces are 0 (culled), or -1 (flipped) when two-sided.
        """
        signs = (facing > 0).astype(np.float32)
        if self._two_sided_idx.size:  # only the few open-surface faces need the back-face test
            signs[self._two_sided_idx] -= facing[self._two_sided_idx] < 0
        return signs

    def face_signs(self, uv: np.ndarray) -> np.ndarray:
        """Per-face sign `[N, F]` float32 from projected vertices `uv` [N, P, 2]: +1 front, 0 culled, -1 flipped."""
        uv = np.asarray(uv, dtype=np.float32)
        p0, p1, p2 = (np.take(uv, fk, axis=1) for fk in self._face_cols)  # [N, F, 2]
        e1, e2 = p1 - p0, p2 - p0
        # image v points down, so a face wound CCW seen from outside appears clockwise: negative cross = front
        cross = e1[..., 0] * e2[..., 1] - e1[..., 1] * e2[..., 0]  # [N, F]
        return self._signs_from_facing(np.ascontiguousarray(-cross.T)).T

    def face_signs_3d(self, vertices: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """Per-face signs `[F, T, n_views]` from world geometry, for many views of the same frames.

        `vertices` [T, P, 3] world, `centres` [n_views, T, 3] camera centres. A face is front-facing when its
        normal points toward the camera centre; for a perspective camera that is exactly the sign of its
        projected area, but the normals are computed once per frame instead of once per view.
        """
        v = np.asarray(vertices, dtype=np.float32)
        p0, p1, p2 = (np.take(v, fk, axis=1) for fk in self._face_cols)  # [T, F, 3]
        normal = cross3(p1 - p0, p2 - p0)  # [T, F, 3], outward for CCW faces
        offset = normal[..., 0] * p0[..., 0] + normal[..., 1] * p0[..., 1] + normal[..., 2] * p0[..., 2]
        # contiguous [T, 3, n]: numpy's batched matmul is ~100x slower on a transposed view
        c = np.ascontiguousarray(np.asarray(centres, dtype=np.float32).transpose(1, 2, 0))
        facing = np.matmul(normal, c) - offset[..., None]  # [T, F, n]
        return self._signs_from_facing(np.ascontiguousarray(facing.transpose(1, 0, 2)))

    def __call__(self, uv: np.ndarray, height: int, width: int) -> np.ndarray:
        """Binary masks `[N, height, width]` bool for projected vertices `uv` [N, P, 2] (u = column, v = row)."""
        uv = np.asarray(uv, dtype=np.float32)
        w_edge = self.incidence @ np.ascontiguousarray(self.face_signs(uv).T)  # [E, N]
        ei, img = np.divmod(np.flatnonzero(w_edge != 0), uv.shape[0])
        return self._scan(uv.reshape(-1, 2), uv.shape[1], img, ei, w_edge[ei, img], uv.shape[0], height, width)

    def render_views(self, uv: np.ndarray, vertices: np.ndarray, centres: np.ndarray, height: int, width: int
                     ) -> np.ndarray:
        """Masks `[n_views, T, H, W]` bool of frames `vertices` [T, P, 3] seen from `centres` [n_views, T, 3].

        `uv` [n_views, T, P, 2] are the same vertices projected by those cameras. Faces are classified in 3D
        (`face_signs_3d`), which is cheaper than per-view projected areas and gives the same answer.
        """
        n_v, n_t, n_p = uv.shape[:3]
        signs = self.face_signs_3d(vertices, centres).reshape(self.faces.shape[0], n_t * n_v)  # [F, T*n]
        w_edge = self.incidence @ signs  # [E, T * n]: image column = t * n_views + view
        ei, col = np.divmod(np.flatnonzero(w_edge != 0), n_t * n_v)
        t, view = np.divmod(col, n_v)
        img = view * n_t + t  # view-major image index, matching uv's layout
        masks = self._scan(np.asarray(uv, np.float32).reshape(-1, 2), n_p, img, ei, w_edge[ei, col],
                           n_v * n_t, height, width)
        return masks.reshape(n_v, n_t, height, width)

    def _scan(self, uv_flat: np.ndarray, n_p: int, img: np.ndarray, ei: np.ndarray, weight: np.ndarray,
              n: int, height: int, width: int) -> np.ndarray:
        """Scan-convert the weighted contour edges `ei` of images `img` (uv_flat = [N * P, 2])."""
        pa = uv_flat[img * n_p + self.edges[ei, 0]]  # [K, 2]
        pb = uv_flat[img * n_p + self.edges[ei, 1]]
        return _scan_edges(img, pa, pb, weight, n, height, width)


def cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product `[..., 3]` over the last axis (faster than np.cross on large float32 stacks)."""
    out = np.empty_like(a)
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


def _scan_edges(image: np.ndarray, pa: np.ndarray, pb: np.ndarray, weight: np.ndarray, n: int,
                height: int, width: int) -> np.ndarray:
    """Scan-convert weighted directed edges pa->pb (one image index each) into nonzero-winding masks."""
    # the rows whose centre v = r satisfies min(v) <= r < max(v) (half-open, so a vertex on a row counts once)
    down = pb[:, 1] > pa[:, 1]
    v_top = np.where(down, pa[:, 1], pb[:, 1])
    v_bot = np.where(down, pb[:, 1], pa[:, 1])
    r0 = np.clip(np.ceil(v_top), 0, height).astype(np.int64)
    count = np.clip(np.ceil(v_bot), 0, height).astype(np.int64) - r0  # [K] rows crossed inside the image
    keep = np.nonzero(count > 0)[0]
    out = np.zeros((n, height, width), dtype=bool)
    if keep.size == 0:
        return out
    image, r0, count, down = image[keep], r0[keep], count[keep], down[keep]
    top = np.where(down[:, None], pa[keep], pb[keep])  # [K, 2] endpoint with the smaller v
    bot = np.where(down[:, None], pb[keep], pa[keep])
    signed = np.where(down, weight[keep], -weight[keep])
    slope = (bot[:, 0] - top[:, 0]) / (bot[:, 1] - top[:, 1])  # du/dv; dv > 0 here
    # expand to one entry per (edge, row)
    idx = np.repeat(np.arange(len(count)), count)  # [M]
    start = np.cumsum(count) - count
    rows = r0[idx] + (np.arange(idx.size) - start[idx])  # [M]
    x = top[idx, 0] + (rows - top[idx, 1]) * slope[idx]
    # pixel centres strictly right of the crossing get the crossing's sign; column `width` = off the right edge
    col = np.clip(np.floor(x).astype(np.int64) + 1, 0, width)
    # only the box spanned by the crossings can be non-zero: accumulate and integrate inside it
    r_lo, r_hi = int(rows.min()), int(rows.max()) + 1
    c_lo, c_hi = int(col.min()), min(int(col.max()), width)
    bw = c_hi - c_lo + 1  # one extra column catches crossings at c_hi == width
    flat = (image[idx] * (r_hi - r_lo) + (rows - r_lo)) * bw + (col - c_lo)
    diff = np.bincount(flat, weights=signed[idx], minlength=n * (r_hi - r_lo) * bw)
    wind = np.cumsum(diff.reshape(n, r_hi - r_lo, bw)[:, :, : c_hi - c_lo], axis=2)  # small integers
    out[:, r_lo:r_hi, c_lo:c_hi] = np.abs(wind) > 0.5
    return out


def rasterize_meshes(uv: np.ndarray, faces: np.ndarray, height: int, width: int,
                     two_sided: np.ndarray | None = None) -> np.ndarray:
    """One-shot helper: masks `[N, H, W]` bool of faces [F, 3] under projected vertices `uv` [N, P, 2]."""
    return Rasterizer(faces, two_sided)(uv, height, width)


# ---------------------------------------------------------------------------------------------------------
# Slow, independent reference renderers (validation and the benchmark baseline only).


class _BoundsTree:
    """The two members of an `rtree.Index` that `trimesh.ray.ray_triangle` uses, in numpy.

    Why: trimesh's ray caster wants an r-tree for its broad phase, and `rtree` is not a GaitCraft dependency.
    Triangles are sorted by their lowest z; a query only checks those whose z-range can reach the box (camera
    rays are near-horizontal, so their boxes are thin in z).
    """

    def __init__(self, triangles: np.ndarray):
        lo = triangles.min(axis=1)  # [F, 3]
        hi = triangles.max(axis=1)
        order = np.argsort(lo[:, 2], kind="stable")
        self.order, self.lo, self.hi = order, lo[order], hi[order]
        self.max_dz = float((hi[:, 2] - lo[:, 2]).max(initial=0.0))
        self.bounds = np.concatenate([lo.min(axis=0), hi.max(axis=0)])

    def intersection(self, box: np.ndarray) -> np.ndarray:
        """Indices of triangles whose bounding box overlaps `box` (min xyz, max xyz)."""
        box = np.asarray(box)
        i0 = np.searchsorted(self.lo[:, 2], box[2] - self.max_dz, side="left")
        i1 = np.searchsorted(self.lo[:, 2], box[5], side="right")
        lo, hi = self.lo[i0:i1], self.hi[i0:i1]
        hit = np.all(hi >= box[:3], axis=1) & np.all(lo <= box[3:], axis=1)
        return self.order[i0:i1][hit]


def reference_raycast_mask(vertices: np.ndarray, faces: np.ndarray, origins: np.ndarray,
                           directions: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Mask `shape` bool: does the ray through each pixel centre hit the mesh? (trimesh ray casting).

    `vertices` [P, 3] world, `faces` [F, 3], `origins`/`directions` [H*W, 3] from `CameraSet.pixel_rays`.
    """
    from trimesh.ray.ray_triangle import ray_triangle_id

    tris = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]  # [F, 3, 3]
    # drop zero-area triangles: trimesh refuses to build their normals
    area2 = np.linalg.norm(np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]), axis=1)
    tris = tris[area2 > 1e-14]
    # broad phase: only rays that meet the mesh's bounding box (slab test) go to trimesh
    lo, hi = tris.min(axis=(0, 1)) - 1e-6, tris.max(axis=(0, 1)) + 1e-6
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / directions
        t0, t1 = (lo - origins) * inv, (hi - origins) * inv
    t_near = np.nanmax(np.minimum(t0, t1), axis=1)
    t_far = np.nanmin(np.maximum(t0, t1), axis=1)
    cand = np.nonzero(t_far >= np.maximum(t_near, 0.0))[0]
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    if cand.size:
        _, ray_idx, _ = ray_triangle_id(tris, origins[cand], directions[cand], tree=_BoundsTree(tris),
                                        multiple_hits=True)
        mask[cand[ray_idx]] = True
    return mask.reshape(shape)


def reference_polygon_mask(uv: np.ndarray, faces: np.ndarray, height: int, width: int) -> np.ndarray:
    """Mask [H, W] bool drawn triangle by triangle with `skimage.draw.polygon` (the speed baseline).

    `uv` [P, 2] projected vertices of one frame. No culling or batching: the straightforward renderer.
    skimage samples integer (row, col) coordinates, which are our pixel centres.
    """
    from skimage.draw import polygon

    mask = np.zeros((height, width), dtype=bool)
    tri = np.asarray(uv, dtype=np.float64)[np.asarray(faces)]  # [F, 3, 2]
    for t in tri:
        rr, cc = polygon(t[:, 1], t[:, 0], shape=(height, width))
        mask[rr, cc] = True
    return mask
