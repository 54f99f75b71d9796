"""Render body sequences (plus clothing/objects) to binary silhouettes in many views at once.

`render_silhouettes` is what the dataset builder calls: vertices -> cameras (see `mesh.camera` for the view
convention and the tracking choice) -> exact triangle rasterization (`mesh.rasterizer`) -> uint8 0/255 masks at
about `height_px` pixels of body height (twice the 64-row pretreated output by default). Apply
`gaitcraft.pretreat.pretreat_frames` to each view's frames afterwards, as for real data.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np

from gaitcraft.errors import ConfigError
from mesh.accessories import DressedBody, ExtraMesh
from mesh.camera import DEFAULT_DISTANCE, CameraSet, sequence_cameras
from mesh.rasterizer import Rasterizer

#: Images per rasterizer call: bounds the working memory (~60 MB) while keeping numpy calls large.
IMAGES_PER_CHUNK = 96


@functools.lru_cache(maxsize=16)
def _cached_rasterizer(key: str, faces_bytes: bytes, n_faces: int, two_sided_bytes: bytes) -> Rasterizer:
    """Rasterizer for a topology; cached because building its edge table takes ~20 ms."""
    faces = np.frombuffer(faces_bytes, dtype=np.int64).reshape(n_faces, 3)
    two_sided = np.frombuffer(two_sided_bytes, dtype=bool)
    return Rasterizer(faces, two_sided)


def rasterizer_for(faces: np.ndarray, two_sided: np.ndarray) -> Rasterizer:
    """The (cached) `Rasterizer` for faces [F, 3] and per-face two-sided flags [F]."""
    fb = np.ascontiguousarray(faces, dtype=np.int64).tobytes()
    tb = np.ascontiguousarray(two_sided, dtype=bool).tobytes()
    key = hashlib.blake2b(fb + tb, digest_size=16).hexdigest()
    return _cached_rasterizer(key, fb, len(faces), tb)


def combine_meshes(meshes: Sequence[ExtraMesh]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate meshes: (vertices [T, P, 3] float32, faces [F, 3], two_sided [F] bool)."""
    if not meshes:
        raise ConfigError("nothing to render: no meshes given")
    n_t = meshes[0].vertices.shape[0]
    verts, faces, sided, offset = [], [], [], 0
    for m in meshes:
        if m.vertices.ndim != 3 or m.vertices.shape[0] != n_t or m.vertices.shape[2] != 3:
            raise ConfigError(f"mesh {m.name!r} has vertices {m.vertices.shape}; expected [{n_t}, P, 3]")
        verts.append(np.asarray(m.vertices, dtype=np.float32))
        faces.append(np.asarray(m.faces, dtype=np.int64) + offset)
        sided.append(np.full(len(m.faces), bool(m.two_sided)))
        offset += m.vertices.shape[1]
    return np.concatenate(verts, axis=1), np.concatenate(faces), np.concatenate(sided)


def render_silhouettes(vertices: np.ndarray, faces: np.ndarray, views: Sequence[float],
                       extra_meshes: Sequence[ExtraMesh] = (), height_px: int = 128, *,
                       elevation_deg: float = 0.0, distance: float = DEFAULT_DISTANCE,
                       cameras: CameraSet | None = None) -> np.ndarray:
    """Silhouettes uint8 (0/255) `[n_views, T, H, W]` of a body `vertices` [T, V, 3] (+ `extra_meshes`).

    `views` are azimuths in degrees (0 = walking toward the camera, 90 = side, 180 = away). The cameras are
    `mesh.camera.sequence_cameras(vertices, views, height_px=..., elevation_deg=..., distance=...)` unless
    given; call that yourself to store the per-frame intrinsics/extrinsics (`CameraSet.to_dict()`).
    The body mesh must be closed (anny and SMPL are); open extras must set `two_sided`.
    """
    vertices = np.asarray(vertices, dtype=np.float32)
    if cameras is None:
        cameras = sequence_cameras(vertices, views, height_px=height_px, elevation_deg=elevation_deg,
                                   distance=distance)
    if cameras.n_frames != vertices.shape[0] or cameras.n_views != len(views):
        raise ConfigError(f"cameras are for {cameras.n_views} views x {cameras.n_frames} frames, but "
                          f"{len(views)} views x {vertices.shape[0]} frames were asked for")
    body = ExtraMesh("body", vertices, np.asarray(faces, dtype=np.int64))
    all_v, all_f, sided = combine_meshes([body, *extra_meshes])
    rast = rasterizer_for(all_f, sided)
    n_v, n_t = cameras.n_views, cameras.n_frames
    h, w = cameras.height, cameras.width
    out = np.zeros((n_v, n_t, h, w), dtype=np.uint8)
    step = max(1, IMAGES_PER_CHUNK // max(n_v, 1))
    for t0 in range(0, n_t, step):
        t1 = min(n_t, t0 + step)
        sub = CameraSet(cameras.K, cameras.R[:, t0:t1], cameras.t[:, t0:t1], w, h, cameras.azimuth_deg,
                        cameras.elevation_deg, cameras.distance, cameras.side,
                        None if cameras.zoom is None else cameras.zoom[:, t0:t1])
        uv, depth = sub.project(all_v[t0:t1])  # [n_v, t, P, 2], [n_v, t, P]
        if depth.min() <= 1e-3:
            raise ConfigError("a mesh reaches behind the camera; increase the camera distance")
        masks = rast.render_views(uv, all_v[t0:t1], sub.centres(), h, w)  # [n_v, t, H, W]
        out[:, t0:t1] = masks.view(np.uint8) * np.uint8(255)
    return out


def render_dressed(dressed: DressedBody, views: Sequence[float], height_px: int = 128, *,
                   elevation_deg: float = 0.0, distance: float = DEFAULT_DISTANCE, side: str = "right",
                   camera_height: float | None = None, static: bool = False) -> tuple[np.ndarray, CameraSet]:
    """Render a `DressedBody` in `views`: (masks uint8 [n_views, T, H, W], the `CameraSet` used).

    Cameras are framed on the bare body surface so a bag or coat does not change the scale; `side` and
    `camera_height` and `static` are `mesh.camera.sequence_cameras`'s.
    """
    cams = sequence_cameras(dressed.vertices, views, height_px=height_px, elevation_deg=elevation_deg,
                            distance=distance, side=side, camera_height=camera_height, static=static)
    masks = render_silhouettes(dressed.vertices, dressed.faces, views, dressed.extras, height_px, cameras=cams)
    return masks, cams
