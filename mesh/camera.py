"""Perspective cameras around a walking subject (azimuth/elevation orbit that tracks the walker).

World axes are anny's: Z up, metres, and the walker walks along world **-Y** (anny's forward).

View convention:
- azimuth 0 deg: the camera is in front of the walker (on its -Y side, looking toward +Y); the walker comes
  toward the camera;
- azimuth 90 deg: side view. By default (`side='right'`) the camera stands on the walker's **right** (-X) side,
  so the walker crosses the image from left to right. Real CASIA-B cameras stand on the walker's left: its
  walkers face left at 90 deg and at every view between 0 and 180. `side='left'` (`CASIA_B_SIDE`) mirrors the
  orbit to match: azimuth a then puts the camera where azimuth -a is on the right-side orbit;
- azimuth 180 deg: the camera is behind; the walker walks away.
- elevation (deg) raises the camera above the look-at point, looking down; `camera_height` instead fixes the
  camera's height above the ground and derives the elevation from it.

Tracking or static (why): CASIA-B cameras are static and the subject walks through, so its view label is only
exact at the centre of the walk; along the walk the angle the walker is seen at grows by tens of degrees (a
view classifier trained on a following camera reads real 126-degree walks as 108 degrees on average in their
first third and 126 in their last). By default the camera follows the walker horizontally (a dolly at fixed
distance and height), so every frame has exactly the labelled azimuth. `static=True` stands the camera still at
the labelled azimuth of the mid-walk point and pans it, so the azimuth drifts as CASIA-B's does. Either way
perspective (near limbs larger, vertical bobbing, foreshortening) stays real because the camera sits at a
CASIA-B-like distance (default 4.5 m) instead of an orthographic projection. OpenGait pretreatment crops rows and
re-centres columns, so panning instead of translating across a wide frame changes nothing after it.

Camera model: OpenCV pinhole. Camera coordinates x right, y down, z forward;
`x_cam = R @ x_world + t`, `[u, v, 1] ~ K @ x_cam`. Pixel (row r, column c) has its centre at (u, v) = (c, r).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gaitcraft.errors import ConfigError

#: Default camera distance from the look-at point (m); CASIA-B-like, gives mild but real perspective.
DEFAULT_DISTANCE = 4.5
#: Which side of the walker the 90 deg camera stands on: 'right' (the default orbit) or 'left'.
SIDES = ("right", "left")
#: The side CASIA-B's cameras film from (its walkers face left in the image).
CASIA_B_SIDE = "left"
#: Image side as a multiple of the subject's pixel height: room for arms, bags and elevation.
FRAME_MARGIN = 1.5


@dataclass(frozen=True)
class CameraSet:
    """Cameras for `n_views` views x `T` frames that share one intrinsic matrix and image size.

    `K` [3, 3]; `R` [n_views, T, 3, 3] world->camera rotations; `t` [n_views, T, 3]; OpenCV convention.
    """

    K: np.ndarray  # [3, 3]
    R: np.ndarray  # [n_views, T, 3, 3]
    t: np.ndarray  # [n_views, T, 3]
    width: int
    height: int
    azimuth_deg: np.ndarray  # [n_views]
    elevation_deg: float
    distance: float
    side: str = "right"  # which side of the walker the 90 deg camera stands on
    zoom: np.ndarray | None = None  # [n_views, T] focal-length factor per image (static cameras), None = 1

    @property
    def n_views(self) -> int:
        """Number of views."""
        return int(self.R.shape[0])

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.R.shape[1])

    def centres(self) -> np.ndarray:
        """Camera centres in world coordinates, `[n_views, T, 3]` (`-R^T t`)."""
        return -np.einsum("ntji,ntj->nti", self.R, self.t)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project world points `[T, P, 3]` into every view.

        Returns (uv `[n_views, T, P, 2]` float32 pixel coordinates, depth `[n_views, T, P]` float32 along the
        optical axis). Points at depth <= 0 are behind the camera; callers keep subjects well in front.
        """
        pts = np.asarray(points, dtype=np.float32)  # [T, P, 3]
        # a stacked matmul per (view, frame): numpy's small-K loop here is ~10x faster than one BLAS call
        # with K = 3 on [T, P, 3] @ [T, 3, 3n]
        cam = np.matmul(pts[None], np.swapaxes(self.R.astype(np.float32), -1, -2))  # [n, T, P, 3]
        cam += self.t.astype(np.float32)[:, :, None, :]
        inv = 1.0 / cam[..., 2]  # [n, T, P]
        if self.zoom is not None:
            inv *= np.asarray(self.zoom, dtype=np.float32)[:, :, None]
        uv = np.empty(cam.shape[:-1] + (2,), dtype=np.float32)  # [n, T, P, 2]
        uv[..., 0] = cam[..., 0] * inv * np.float32(self.K[0, 0]) + np.float32(self.K[0, 2])
        uv[..., 1] = cam[..., 1] * inv * np.float32(self.K[1, 1]) + np.float32(self.K[1, 2])
        return uv, cam[..., 2]

    def pixel_rays(self, view: int, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """World-space rays through every pixel centre of one camera: (origins [H*W, 3], unit dirs [H*W, 3])."""
        v, u = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        pix = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1)  # [H*W, 3]
        k = self.K.copy()
        k[:2, :2] *= 1.0 if self.zoom is None else float(self.zoom[view, frame])
        d_cam = pix @ np.linalg.inv(k).T  # [H*W, 3]
        R = self.R[view, frame]
        d_world = d_cam @ R  # R^T d, row-vector form
        d_world /= np.linalg.norm(d_world, axis=1, keepdims=True)
        origin = self.centres()[view, frame]
        return np.broadcast_to(origin, d_world.shape).copy(), d_world

    def to_dict(self) -> dict:
        """Plain-JSON form for the ground-truth sidecar (lists of floats; conventions spelled out)."""
        return {
            "convention": "opencv pinhole: x_cam = R @ x_world + t; [u,v,1] ~ K @ x_cam; pixel (r,c) centre at "
            "(u,v)=(c,r); world Z up, metres, walker walks along -Y",
            "K": self.K.tolist(),
            "R": self.R.tolist(),
            "t": self.t.tolist(),
            "width": self.width,
            "height": self.height,
            "azimuth_deg": [float(a) for a in self.azimuth_deg],
            "elevation_deg": float(self.elevation_deg),
            "distance": float(self.distance),
            "side": self.side,
            **({} if self.zoom is None else {"zoom": np.asarray(self.zoom).tolist()}),
        }


def look_at(eye: np.ndarray, target: np.ndarray, up: Sequence[float] = (0.0, 0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """World->camera (R [..., 3, 3], t [..., 3]) for cameras at `eye` [..., 3] looking at `target` [..., 3].

    OpenCV axes: camera z toward the target, x to the image right, y down. `up` must not be parallel to the
    viewing direction (elevation strictly between -90 and 90 deg).
    """
    eye = np.asarray(eye, dtype=np.float64)
    fwd = np.asarray(target, dtype=np.float64) - eye  # [..., 3]
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    right = np.cross(fwd, np.asarray(up, dtype=np.float64))
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(fwd, right)  # completes a right-handed (x right, y down, z forward) frame
    R = np.stack([right, down, fwd], axis=-2)  # rows are the camera axes in world coordinates
    t = -np.einsum("...ij,...j->...i", R, eye)
    return R, t


def _check_side(side: str) -> float:
    """+1 for the right-side orbit, -1 for the mirrored (left-side) one."""
    if side not in SIDES:
        raise ConfigError(f"camera side must be one of {', '.join(SIDES)}, got {side!r}")
    return 1.0 if side == "right" else -1.0


def orbit_azimuth(view_deg, side: str):
    """The azimuth on the right-side orbit of the camera that `side`'s orbit puts at `view_deg` (degrees: a float,
    an array or a tensor). Its own inverse: it also turns a right-side azimuth into `side`'s view label.

    The right-side orbit is the frame that `mesh.reconstruction` measures azimuths in (and that the first walker
    filmed); the left-side orbit, CASIA-B's, is its mirror, so its labels are negated.
    """
    return view_deg if _check_side(side) > 0 else -view_deg


def view_direction(azimuth_deg: float | np.ndarray, elevation_deg: float = 0.0, side: str = "right") -> np.ndarray:
    """Unit vector(s) from the subject toward the camera, `[..., 3]`; see the module docstring for the convention."""
    a = np.deg2rad(np.asarray(azimuth_deg, dtype=np.float64)) * _check_side(side)
    e = np.deg2rad(float(elevation_deg))
    # azimuth 0 -> (0, -1, 0) in front; azimuth 90 -> (-1, 0, 0), the walker's right side ((+1, 0, 0), its left
    # side, on the mirrored orbit, where the azimuth's sign is flipped)
    horiz = np.stack([-np.sin(a), -np.cos(a), np.zeros_like(a)], axis=-1)
    return horiz * np.cos(e) + np.array([0.0, 0.0, np.sin(e)])


def orbit_cameras(targets: np.ndarray, azimuths_deg: Sequence[float], *, elevation_deg: float = 0.0,
                  distance: float = DEFAULT_DISTANCE, focal_px: float, width: int, height: int,
                  side: str = "right", static: bool = False) -> CameraSet:
    """Cameras at `distance` from each frame's look-at point `targets` [T, 3], one per azimuth.

    `focal_px` is the focal length in pixels; the principal point is the image centre. `side` picks the orbit
    ('right' or 'left', see the module docstring). `static` stands each camera still where it is `distance` from
    the middle of the walk and pans it to follow the walker, so the azimuth is exact only mid-walk and drifts
    along it as CASIA-B's does; the focal length then zooms with the walker's distance, so the walker keeps the
    pixel height it has at `distance` (pretreatment rescales every frame anyway).
    """
    targets = np.asarray(targets, dtype=np.float64)  # [T, 3]
    if targets.ndim != 2 or targets.shape[1] != 3:
        raise ConfigError(f"camera targets must be [T, 3], got shape {targets.shape}")
    if not -89.0 <= float(elevation_deg) <= 89.0:
        raise ConfigError(f"camera elevation must be within [-89, 89] degrees, got {elevation_deg}")
    if distance <= 0 or focal_px <= 0:
        raise ConfigError(f"camera distance and focal length must be positive (got {distance}, {focal_px})")
    az = np.asarray([float(a) for a in azimuths_deg], dtype=np.float64)  # [n]
    dirs = view_direction(az, elevation_deg, side)  # [n, 3]
    if static:
        middle = 0.5 * (targets[0] + targets[-1])  # [3] mid-walk: the targets lie on a line
        eye = np.broadcast_to((middle + distance * dirs)[:, None, :], (len(az), len(targets), 3))  # [n, T, 3]
    else:
        eye = targets[None, :, :] + distance * dirs[:, None, :]  # [n, T, 3]
    R, t = look_at(eye, np.broadcast_to(targets[None], eye.shape))
    K = np.array([[focal_px, 0.0, (width - 1) / 2.0], [0.0, focal_px, (height - 1) / 2.0], [0.0, 0.0, 1.0]])
    zoom = np.linalg.norm(eye - targets[None], axis=-1) / distance if static else None  # [n, T]
    return CameraSet(K=K, R=R, t=t, width=int(width), height=int(height), azimuth_deg=az,
                     elevation_deg=float(elevation_deg), distance=float(distance), side=side, zoom=zoom)


def tracking_targets(vertices: np.ndarray) -> np.ndarray:
    """Look-at points `[T, 3]` that follow a walker given its body vertices `[T, V, 3]`.

    Horizontally: a straight-line (least-squares, constant-velocity) fit to the per-frame vertex mean, so the
    camera glides like a dolly instead of jittering with the arm swing. Vertically: the middle of the body's
    height range over the whole sequence, so the subject's own vertical bobbing stays visible.
    """
    v = np.asarray(vertices, dtype=np.float64)  # [T, V, 3]
    n_t = v.shape[0]
    mean_xy = v[:, :, :2].mean(axis=1)  # [T, 2]
    if n_t >= 2:
        tt = np.arange(n_t, dtype=np.float64)
        a = np.stack([tt, np.ones(n_t)], axis=1)  # [T, 2]
        coef, *_ = np.linalg.lstsq(a, mean_xy, rcond=None)
        xy = a @ coef
    else:
        xy = mean_xy
    z_mid = 0.5 * (v[..., 2].min() + v[..., 2].max())
    return np.concatenate([xy, np.full((n_t, 1), z_mid)], axis=1)


def sequence_cameras(vertices: np.ndarray, views: Sequence[float], *, height_px: int = 128,
                     elevation_deg: float = 0.0, distance: float = DEFAULT_DISTANCE,
                     image_size: int | None = None, side: str = "right",
                     camera_height: float | None = None, static: bool = False) -> CameraSet:
    """The cameras `render_silhouettes` uses for a body sequence `[T, V, 3]` at `views` (azimuths, deg).

    The focal length makes the body's vertical extent over the sequence (its stature while walking) about
    `height_px` pixels at the look-at distance, whatever the subject's size, so every subject gets the same
    pixel budget (pretreatment rescales to 64 rows anyway). The square image is `FRAME_MARGIN * height_px`.
    `camera_height` (m above the lowest vertex, the ground), when given, replaces `elevation_deg`: the camera
    keeps its distance to the look-at point and is raised or lowered to that height. `static` is
    `orbit_cameras`'s: a still camera that pans with the walker instead of a dolly that follows it.
    """
    v = np.asarray(vertices, dtype=np.float64)
    if v.ndim != 3 or v.shape[-1] != 3 or v.shape[0] < 1:
        raise ConfigError(f"body vertices must be [T, V, 3] with T >= 1, got shape {v.shape}")
    stature = float(v[..., 2].max() - v[..., 2].min())
    if stature <= 0:
        raise ConfigError("body vertices have zero height; cannot frame the camera")
    size = int(image_size or round(FRAME_MARGIN * height_px))
    focal = height_px * distance / stature
    targets = tracking_targets(v)
    if camera_height is not None:
        rise = float(camera_height) - (float(targets[0, 2]) - float(v[..., 2].min()))
        if abs(rise) >= distance:
            raise ConfigError(f"camera height {camera_height} m cannot be reached at distance {distance} m")
        elevation_deg = float(np.degrees(np.arcsin(rise / distance)))
    return orbit_cameras(targets, views, elevation_deg=elevation_deg, distance=distance,
                         focal_px=focal, width=size, height=size, side=side, static=static)
