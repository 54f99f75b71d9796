"""Clothing and carried objects as geometry that follows a posed body sequence.

Clothing ('normal', 'coat'):
- normal clothes push the surface out by about a centimetre (shirt, trousers);
- a long coat pushes the body surface outward along its normals - most on hips, torso and thighs, a little on
  the arms (sleeves) and neck (collar) - with per-vertex amounts taken from the body model's skinning weights;
- and adds a skirt-like hem: an open tube from the hips to below the knees, whose lower ring follows the mean
  of the knees with a lag (so it swings and trails the legs) and stretches over the stride.

Carried objects ('none', 'shoulder_bag', 'backpack', 'handbag'), boxes placed by joint transforms:
- shoulder bag: hangs at the right hip from a strap over the left shoulder; rides with the pelvis;
- backpack: on the back, rigid with the chest (upper spine);
- handbag: held in the right hand, so it swings with the arm; it hangs under gravity plus the hand's
  acceleration (a lagged quasi-static pendulum).

Everything is sized from the body itself (surface positions measured in the attaching joint's frame), so bags sit
on the surface for any phenotype or backend. Positions are world coordinates (Z up, metres, walker faces -Y).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
import trimesh

from gaitcraft.config_file import strict_dataclass
from gaitcraft.errors import ConfigError
from gaitcraft.vocab import check_value
from mesh.body_model import BodyModel, BodyOutput
from mesh.rasterizer import cross3

#: How far (m) each garment pushes each body region's surface outward. 'normal' is everyday clothes (shirt,
#: trousers): real "nm" walkers are not nude, and their silhouettes are about a centimetre fuller.
CLOTHING_OFFSETS: dict[str, dict[str, float]] = {
    "normal": {"hips": 0.012, "torso": 0.012, "upper_legs": 0.012, "lower_legs": 0.010, "shoulders": 0.010,
               "upper_arms": 0.010, "lower_arms": 0.008, "neck": 0.0},
    "coat": {"hips": 0.030, "torso": 0.030, "upper_legs": 0.030, "lower_legs": 0.010, "shoulders": 0.022,
             "upper_arms": 0.020, "lower_arms": 0.016, "neck": 0.010},
}
#: The boxy coat's offsets (m): a padded jacket or coat over everyday clothes, bulky on the trunk and sleeves.
BOXY_COAT_OFFSETS: dict[str, float] = {"hips": 0.020, "torso": 0.025, "upper_legs": 0.015, "lower_legs": 0.010,
                                       "shoulders": 0.045, "upper_arms": 0.050, "lower_arms": 0.035, "neck": 0.015}
#: Carried objects this module can build ('bag' in the vocabulary means "some bag" and is not a geometry).
CARRY_OBJECTS: tuple[str, ...] = ("none", "shoulder_bag", "backpack", "handbag")
CLOTHING_KINDS: tuple[str, ...] = ("normal", "coat")
GRAVITY = np.array([0.0, 0.0, -9.81])


@dataclass(frozen=True)
class Outfit:
    """How one subject dresses, drawn once per subject (`sample_outfit`) and worn in all of its walks.

    The defaults are the first walker's clothes: skin-tight 'normal' clothes, the long A-line coat, no hair.
    """

    trouser_ease: float = 0.0  # m the trouser legs stand off the knees (half that off the thighs); below the
    # knees they hang straight down, as wide as at the knee
    top_ease: float = 0.0  # m a loose shirt or jumper stands off the torso beyond 'normal' clothes
    coat_cut: str = "long"  # 'long': A-line skirt to below the knees; 'boxy': straight, hips to mid-thigh
    coat_length: float = 0.5  # boxy hem below the hip joints, as a fraction of the hips-to-knees distance
    coat_bulk: float = 1.0  # boxy coat padding, x `BOXY_COAT_OFFSETS`
    hair: float = 0.0  # m of hair on the top, sides and back of the head (not the face)
    hair_length: float = 0.0  # m that long hair falls below the nape (0: short hair)

    def to_dict(self) -> dict:
        """Plain-Python dict (JSON-ready). `hair_length` only when it is set, so outfits written before it
        existed keep their JSON (and recipe hashes) byte for byte."""
        out = asdict(self)
        if not out["hair_length"]:
            del out["hair_length"]
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Outfit:
        """Rebuild from `to_dict` output; unknown keys are an error."""
        return strict_dataclass(cls, d, "outfit")


COAT_CUTS: tuple[str, ...] = ("long", "boxy")
#: How outfits are drawn: per numeric field (low, high) of a uniform draw; the coat cut is boxy with
#: `BOXY_COAT_SHARE`, else long.
OUTFIT_RANGES: dict[str, tuple[float, float]] = {"trouser_ease": (0.015, 0.035), "top_ease": (0.01, 0.03),
                                                 "coat_length": (0.1, 0.6), "coat_bulk": (0.8, 1.3),
                                                 "hair": (0.005, 0.03)}
BOXY_COAT_SHARE = 0.9


def sample_outfit(rng: np.random.Generator) -> Outfit:
    """Draw one subject's outfit from `OUTFIT_RANGES` and `BOXY_COAT_SHARE`."""
    vals = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in OUTFIT_RANGES.items()}
    return Outfit(coat_cut="boxy" if rng.random() < BOXY_COAT_SHARE else "long", **vals)


#: Hair thickness (m) drawn by `sample_head_and_top`: low + span x Beta(a, b), skewed to short hair with a tail of
#: bulky hair. Real silhouettes' head widths vary across people about five times as much as 'v2' heads (sd 1.2
#: against 0.25 px at 0 degrees, real CASIA-B test ids); hair is most of that.
HAIR_DRAW = (0.005, 0.065, 1.2, 2.5)
#: Share of people with long hair, and how far it falls below the nape (m, uniform).
LONG_HAIR_SHARE, LONG_HAIR_LENGTH = 0.2, (0.10, 0.35)
#: A loose top's ease (m, uniform), from fitted to a jumper or hoodie; wider than `OUTFIT_RANGES`'s.
WIDE_TOP_EASE = (0.005, 0.045)


#: Trouser ease (m, uniform) of walker v6: from close-fitting to straight trousers. With the 1.5-3.5 cm of walkers
#: v2-v5 the legs are a pixel or two wider than real CASIA-B people's from the hips to the shanks, and a real-trained
#: recognizer's embedding reads that difference more than any change of the edges.
SLIM_TROUSER_EASE = (0.0, 0.02)


def sample_slim_trousers(rng: np.random.Generator) -> dict[str, float]:
    """Draw one person's trouser ease (`SLIM_TROUSER_EASE`) as `Outfit` keyword arguments."""
    return {"trouser_ease": float(rng.uniform(*SLIM_TROUSER_EASE))}


def sample_head_and_top(rng: np.random.Generator) -> dict[str, float]:
    """Draw one person's hair (thickness and length) and top ease as `Outfit` keyword arguments, spread as real
    people's are (`HAIR_DRAW`, `LONG_HAIR_SHARE`, `WIDE_TOP_EASE`)."""
    low, span, a, b = HAIR_DRAW
    hair = low + span * float(rng.beta(a, b))
    long_hair = rng.random() < LONG_HAIR_SHARE
    length = float(rng.uniform(*LONG_HAIR_LENGTH))  # drawn for everyone, so the other draws do not shift
    return {"hair": hair, "hair_length": length if long_hair else 0.0, "top_ease": float(rng.uniform(*WIDE_TOP_EASE))}


@dataclass
class ExtraMesh:
    """A mesh that moves with the body: vertices `[T, P, 3]`, faces `[F, 3]` (outward winding)."""

    name: str
    vertices: np.ndarray  # [T, P, 3]
    faces: np.ndarray  # [F, 3]
    two_sided: bool = False  # open surfaces (the hem) are drawn from both sides


@dataclass
class DressedBody:
    """A body sequence with its clothing applied and carried objects attached."""

    vertices: np.ndarray  # [T, V, 3] body surface, pushed out by the clothing
    faces: np.ndarray  # [F, 3]
    extras: list[ExtraMesh] = field(default_factory=list)
    clothing: str = "normal"
    carry: str = "none"

    def all_meshes(self) -> list[ExtraMesh]:
        """The body followed by the extras, as `ExtraMesh` records."""
        return [ExtraMesh("body", self.vertices, self.faces)] + list(self.extras)


# ----------------------------------------------------------------------------------------------- small helpers


def box_mesh(size: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box centred at the origin: (vertices [8, 3], faces [12, 3]) with outward winding."""
    b = trimesh.creation.box(extents=size)
    return np.asarray(b.vertices, dtype=np.float64), np.asarray(b.faces, dtype=np.int64)


def transform_points(tf: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Apply transforms `[T, 4, 4]` to local points `[P, 3]` -> world `[T, P, 3]`."""
    return pts @ np.swapaxes(tf[:, :3, :3], 1, 2) + tf[:, None, :3, 3]


def _frame_from_axes(x_axis: np.ndarray, z_axis: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Transforms `[T, 4, 4]` with local z along `z_axis` [T, 3] and x as close to `x_axis` [T, 3] as possible."""
    z = z_axis / np.linalg.norm(z_axis, axis=-1, keepdims=True)
    x = x_axis - (x_axis * z).sum(-1, keepdims=True) * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    tf = np.tile(np.eye(4), (len(z), 1, 1))
    tf[:, :3, 0], tf[:, :3, 1], tf[:, :3, 2], tf[:, :3, 3] = x, y, z, origin
    return tf


def _lowpass(x: np.ndarray, fps: float, tau: float) -> np.ndarray:
    """Causal first-order low-pass over the time axis 0 (time constant `tau` s), starting at the first value."""
    alpha = 1.0 - np.exp(-1.0 / (fps * tau)) if tau > 0 else 1.0
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = out[t - 1] + alpha * (x[t] - out[t - 1])
    return out


def _acceleration(p: np.ndarray, fps: float) -> np.ndarray:
    """Second time derivative `[T, 3]` of positions `[T, 3]` (central differences, zero for T < 3)."""
    a = np.zeros_like(p)
    if len(p) >= 3:
        a[1:-1] = (p[2:] - 2 * p[1:-1] + p[:-2]) * fps * fps
        a[0], a[-1] = a[1], a[-2]
    return a


def hang_direction(pivot: np.ndarray, fps: float, lag: float = 0.08, max_tilt_deg: float = 30.0,
                   gain: float = 1.0) -> np.ndarray:
    """Unit direction `[T, 3]` a weight hangs in below a moving `pivot` [T, 3] (quasi-static pendulum).

    In the pivot's accelerating frame the weight feels gravity minus the pivot's acceleration; the lag (s)
    low-passes that so the weight trails the motion, and `gain` < 1 stands for the damping of a bag brushing
    the body. The tilt from vertical is clamped for stability.
    """
    g_eff = GRAVITY[None] - gain * _lowpass(_acceleration(pivot, fps), fps, lag)  # [T, 3]
    d = g_eff / np.linalg.norm(g_eff, axis=1, keepdims=True)
    down = np.array([0.0, 0.0, -1.0])
    cos_max = np.cos(np.deg2rad(max_tilt_deg))
    cos_t = d @ down
    too_far = cos_t < cos_max
    if too_far.any():
        horiz = d[too_far] - cos_t[too_far, None] * down
        horiz /= np.maximum(np.linalg.norm(horiz, axis=1, keepdims=True), 1e-9)
        d[too_far] = cos_max * down + np.sqrt(1 - cos_max**2) * horiz
    return d


def _heading_frames(body: BodyOutput, model: BodyModel) -> np.ndarray:
    """Per-frame rotations `[T, 3, 3]` about Z only, following the root's heading (yaw)."""
    g = body.bone_transforms[:, model.semantic_index("root"), :3, :3].double().numpy()  # [T, 3, 3]
    fwd = g @ np.array([0.0, -1.0, 0.0])  # the body faces -Y at the reference pose
    fwd[:, 2] = 0.0
    fwd /= np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-9)
    # columns: x = body left, y = backward (-forward), z = up; equals the identity when facing -Y
    left = np.cross(-fwd, np.array([0.0, 0.0, 1.0]))  # (+X at the reference pose)
    return np.stack([left, -fwd, np.broadcast_to([0.0, 0.0, 1.0], fwd.shape)], axis=2)


def _local(points: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """World points `[P, 3]` in the frame of one transform `[4, 4]`."""
    return (points - tf[:3, 3]) @ tf[:3, :3]


def _trunk(model: BodyModel, surface: np.ndarray) -> np.ndarray:
    """Frame-0 surface points `[P, 3]` of the trunk (hips, torso, thighs): bags sit on these, not on the arms."""
    w = model.region_weights("hips") + model.region_weights("torso") + model.region_weights("upper_legs")
    return surface[0][w > 0.5].astype(np.float64)


def _surface_extent(local_pts: np.ndarray, axis: int, sign: float, window: dict[int, tuple[float, float]],
                    default: float) -> float:
    """Furthest coordinate along `sign * axis` of the points inside `window` {axis: (lo, hi)}; `default` if none."""
    keep = np.ones(len(local_pts), bool)
    for ax, (lo, hi) in window.items():
        keep &= (local_pts[:, ax] >= lo) & (local_pts[:, ax] <= hi)
    if not keep.any():
        return default
    return float((sign * local_pts[keep, axis]).max() * sign)


# --------------------------------------------------------------------------------------------------- clothing


@functools.lru_cache(maxsize=8)
def _ring_band_faces(n_seg: int, rings: int) -> np.ndarray:
    """Triangles `[f, 3]` joining `rings` stacked rings of `n_seg` vertices each (vertex k*n_seg + j is ring k's
    j-th) into rings - 1 closed bands of quads, two triangles a quad."""
    faces = []
    for k in range(rings - 1):
        a = np.arange(n_seg) + k * n_seg
        b = (np.arange(n_seg) + 1) % n_seg + k * n_seg
        faces += [np.stack([a, b, b + n_seg], 1), np.stack([a, b + n_seg, a + n_seg], 1)]
    return np.concatenate(faces)


def _face_to_vertex(faces_bytes: bytes, n_v: int) -> sp.csr_matrix:
    """Sparse [V, F] matrix summing each face's value into its three vertices (cached per topology)."""
    faces = np.frombuffer(faces_bytes, dtype=np.int64).reshape(-1, 3)
    rows = faces.reshape(-1)
    cols = np.repeat(np.arange(len(faces)), 3)
    return sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(n_v, len(faces)))


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals `[T, V, 3]` float32 of a mesh sequence `[T, V, 3]`."""
    v = np.asarray(vertices, dtype=np.float32)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    p0, p1, p2 = (np.take(v, np.ascontiguousarray(faces[:, k]), axis=1) for k in range(3))  # [T, F, 3]
    fn = cross3(p1 - p0, p2 - p0)  # [T, F, 3], |fn| = 2 * area
    n_t, n_f = fn.shape[:2]
    acc = _face_to_vertex(faces.tobytes(), v.shape[1])  # [V, F]
    vn = (acc @ fn.transpose(1, 0, 2).reshape(n_f, n_t * 3)).reshape(-1, n_t, 3).transpose(1, 0, 2)
    return vn / np.maximum(np.linalg.norm(vn, axis=-1, keepdims=True), 1e-12)


def clothing_offsets(model: BodyModel, clothing: str, scale: float = 1.0,
                     table: dict[str, float] | None = None) -> np.ndarray:
    """Per-vertex outward offset `[V]` (m) of a garment, from the model's region skinning weights (region
    amounts from `table`, by default `CLOTHING_OFFSETS[clothing]`)."""
    off = np.zeros(len(model.region_weights("hips")), dtype=np.float64)
    for region, amount in (table or CLOTHING_OFFSETS[clothing]).items():
        off += amount * model.region_weights(region)
    return off * scale


def trouser_leg_offsets(body: BodyOutput, model: BodyModel, ease: float) -> np.ndarray:
    """Per-vertex outward offset `[V]` (m, from the skin) of straight trouser legs: below each knee the leg is
    widened to the knee's radius + `ease`, so the trousers hang straight to the ankle instead of following the
    calf and the thin shin. Measured about each knee-to-ankle axis on the first frame."""
    v = body.vertices[0].double().numpy()  # [V, 3]
    j = body.joints[0].double().numpy()
    w = model.region_weights("lower_legs")  # [V]
    out = np.zeros(len(v))
    radial, along = [], []
    for knee_name, ankle_name in (("left_knee", "left_ankle"), ("right_knee", "right_ankle")):
        knee, ankle = j[model.semantic_index(knee_name)], j[model.semantic_index(ankle_name)]
        axis = ankle - knee
        length = float(np.linalg.norm(axis))
        rel = v - knee
        s = rel @ axis / length  # [V] m along the shank from the knee
        radial.append(np.linalg.norm(rel - np.outer(s / length, axis), axis=1))
        along.append(s / length)
    near_left = radial[0] < radial[1]  # each lower-leg vertex belongs to the nearer shank
    for k, mine in enumerate((near_left, ~near_left)):
        r, s = radial[k], along[k]
        knee_ring = mine & (w > 0.5) & (s >= 0.0) & (s <= 0.1)
        if knee_ring.sum() < 8:
            continue
        target = float(np.percentile(r[knee_ring], 90)) + ease
        leg = mine & (s > 0.0) & (s < 1.05)
        out[leg] = np.clip(target - r[leg], 0.0, None)
    return out * w


#: Hairline in the head joint's frame (m): hair grows above this height at the forehead (front, y <= -0.06)
#: and at the nape (back, y >= 0.03), with the height blended linearly in between; it fades in over 3 cm.
HAIRLINE_FRONT, HAIRLINE_BACK, HAIR_FADE = 0.09, -0.02, 0.03
#: Long hair falls behind this plane of the head joint's frame (m; +y is backwards), just behind the throat.
LONG_HAIR_FRONT = 0.02


def hair_offsets(body: BodyOutput, model: BodyModel, hair: float, length: float = 0.0) -> np.ndarray:
    """Per-vertex outward offset `[V]` (m) of `hair` metres of hair: on the head above the hairline (top,
    sides and back), none on the face. Measured in the head joint's frame on the first frame.

    `length` > 0 is long hair: it also falls `length` metres below the nape, down the back of the neck, the
    shoulders and the upper back (behind `LONG_HAIR_FRONT`), thinning to half towards its ends."""
    hi = model.semantic_index("head")
    tf = body.bone_transforms[0, hi].double().numpy()  # [4, 4]
    loc = _local(body.vertices[0].double().numpy(), tf)  # [V, 3]
    front_to_back = np.clip((loc[:, 1] + 0.06) / 0.09, 0.0, 1.0)
    line = HAIRLINE_FRONT + (HAIRLINE_BACK - HAIRLINE_FRONT) * front_to_back  # [V]
    grow = np.clip((loc[:, 2] - line) / HAIR_FADE, 0.0, 1.0)
    off = hair * grow * model.region_weights("head")
    if length > 0.0:
        behind = np.clip((loc[:, 1] - LONG_HAIR_FRONT) / HAIR_FADE, 0.0, 1.0)  # [V]
        below = np.clip((HAIRLINE_BACK - loc[:, 2]) / length, 0.0, 1.0)  # 0 at the nape, 1 at the ends
        fall = behind * (below < 1.0) * (1.0 - 0.5 * below)
        trunk = np.clip(model.region_weights("head") + model.region_weights("neck") + model.region_weights("torso")
                        + model.region_weights("shoulders"), 0.0, 1.0)
        off = np.maximum(off, hair * fall * trunk)
    return off


def coat_hem(body: BodyOutput, model: BodyModel, surface: np.ndarray, fps: float, length_below_knee: float = 0.06,
             n_seg: int = 32, lag: float = 0.10) -> ExtraMesh:
    """The coat's skirt: an open tube from the hips to below the knees whose lower ring lags the knees.

    `surface` [T, V, 3] is the coat-displaced body (the top ring hugs its hip cross-section).
    """
    j = body.joints.double().numpy()  # [T, J, 3]
    hip = 0.5 * (j[:, model.semantic_index("left_hip")] + j[:, model.semantic_index("right_hip")])  # [T, 3]
    knee_l, knee_r = j[:, model.semantic_index("left_knee")], j[:, model.semantic_index("right_knee")]
    head = _heading_frames(body, model)  # [T, 3, 3]; local x = body left, y = backward
    n_t = len(hip)
    # top ring: the coat-displaced hip cross-section just above the hip joints (measured on frame 0)
    z_top = 0.03
    loc0 = (_trunk(model, surface) - hip[0]) @ head[0]  # [P, 3] trunk (not arms) in the hip heading frame
    band = np.abs(loc0[:, 2] - z_top) < 0.03
    pts = loc0[band] if band.sum() >= 8 else loc0
    top_c = 0.5 * (pts.min(0) + pts.max(0))
    top_r = 0.5 * (pts.max(0) - pts.min(0)) + 0.01  # [3]
    # bottom ring: centred on the lagged knee midpoint, stretched over the stride and the knee gap
    rel_mid = _lowpass(0.5 * (knee_l + knee_r) - hip, fps, lag)  # [T, 3], relative to the hips, world axes
    rel_gap = _lowpass(np.abs(np.einsum("tij,ti->tj", head, knee_l - knee_r)), fps, lag)  # [T, 3] local
    leg_r = 0.075
    hem_len = float(np.linalg.norm(rel_mid[0])) + length_below_knee
    # the hem's axis: half along the (lagged) hips->knees direction, half a pendulum hanging from the hips, so
    # it sways with the body's surges and bobs as well as following the legs
    knee_dir = rel_mid / np.maximum(np.linalg.norm(rel_mid, axis=1, keepdims=True), 1e-9)
    axis = 0.5 * knee_dir + 0.5 * hang_direction(hip, fps, lag=lag, max_tilt_deg=20.0)
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    ang = np.linspace(0.0, 2 * np.pi, n_seg, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], axis=1)  # [S, 2]
    verts = np.empty((n_t, 3 * n_seg, 3))
    for t in range(n_t):
        rx = max(top_r[0], 0.5 * rel_gap[t, 0] + leg_r + 0.02)
        ry = min(max(top_r[1], 0.5 * rel_gap[t, 1] + leg_r + 0.02), 0.40)
        bot_c = hip[t] + axis[t] * hem_len
        top_w = hip[t] + head[t] @ (top_c * [1, 1, 0] + [0, 0, z_top])
        top_ring = top_w + (ring * top_r[:2]) @ head[t][:, :2].T  # [S, 3]
        bot_ring = bot_c + (ring * [rx, ry]) @ head[t][:, :2].T
        verts[t] = np.concatenate([top_ring, 0.5 * (top_ring + bot_ring), bot_ring])
    return ExtraMesh("coat_hem", verts.astype(np.float32), _ring_band_faces(n_seg, 3), two_sided=True)


def _cross_section(loc: np.ndarray, z: float, half_band: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """(centre [2], half extent [2]) in x, y of the points `loc` [P, 3] within `half_band` of height `z`."""
    band = np.abs(loc[:, 2] - z) < half_band
    pts = loc[band] if band.sum() >= 8 else loc
    return 0.5 * (pts.min(0) + pts.max(0))[:2], 0.5 * (pts.max(0) - pts.min(0))[:2]


def boxy_coat_skirt(body: BodyOutput, model: BodyModel, surface: np.ndarray, fps: float, length: float = 0.5,
                    waist: float = 0.12, ease: float = 0.01, n_seg: int = 32, lag: float = 0.10) -> ExtraMesh:
    """A boxy coat's lower part: a straight open tube from the waist to a hem `length` x (hips-to-knees) below
    the hip joints, as wide as the widest of the coat's waist and hip cross-sections; it hangs from the hips.

    `surface` [T, V, 3] is the coat-displaced body. Unlike the long coat's skirt it does not flare over the
    stride: it is as wide at the hem as at the hips (the thighs show through it in the stride, as in real
    silhouettes of hip-length coats).
    """
    j = body.joints.double().numpy()  # [T, J, 3]
    hip = 0.5 * (j[:, model.semantic_index("left_hip")] + j[:, model.semantic_index("right_hip")])  # [T, 3]
    knee = 0.5 * (j[:, model.semantic_index("left_knee")] + j[:, model.semantic_index("right_knee")])
    head = _heading_frames(body, model)  # [T, 3, 3]; local x = body left, y = backward
    loc0 = (_trunk(model, surface) - hip[0]) @ head[0]  # [P, 3] trunk in the hip heading frame, frame 0
    c_waist, r_waist = _cross_section(loc0, waist)
    c_hip, r_hip = _cross_section(loc0, 0.0)
    r_box = np.maximum(r_waist, r_hip) + ease  # [2]
    drop = length * float(np.linalg.norm((knee - hip)[0]))
    down = hang_direction(hip, fps, lag=lag, max_tilt_deg=10.0)  # [T, 3]
    ang = np.linspace(0.0, 2 * np.pi, n_seg, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], axis=1)  # [S, 2]
    n_t = len(hip)
    verts = np.empty((n_t, 3 * n_seg, 3))
    for t in range(n_t):
        axes = head[t][:, :2].T  # [2, 3] local x, y in world
        top = hip[t] + head[t] @ np.array([*c_waist, waist]) + (ring * (r_waist + 0.5 * ease)) @ axes
        mid = hip[t] + c_hip @ axes + (ring * r_box) @ axes
        hem = hip[t] + c_hip @ axes + down[t] * drop + (ring * r_box) @ axes
        verts[t] = np.concatenate([top, mid, hem])
    return ExtraMesh("coat_skirt", verts.astype(np.float32), _ring_band_faces(n_seg, 3), two_sided=True)


# ----------------------------------------------------------------------------------------------- carried objects


def backpack(body: BodyOutput, model: BodyModel, surface: np.ndarray, size=(0.30, 0.14, 0.40)) -> ExtraMesh:
    """A box on the back, rigid with the chest joint; its top sits just under the neck."""
    ci = model.semantic_index("chest")
    tf = body.bone_transforms[:, ci].double().numpy()  # [T, 4, 4]
    neck = _local(body.joints[0, model.semantic_index("neck")].double().numpy()[None], tf[0])[0]
    w, d, h = size
    top = neck[2] - 0.05
    cz = top - h / 2
    loc = _local(_trunk(model, surface), tf[0])  # [P, 3]
    back = _surface_extent(loc, 1, +1.0, {0: (-w / 2, w / 2), 2: (top - h, top)}, 0.12)
    centre = np.array([0.0, back + d / 2 + 0.01, cz])
    v, f = box_mesh((w, d, h))
    return ExtraMesh("backpack", transform_points(tf, v + centre).astype(np.float32), f)


def shoulder_bag(body: BodyOutput, model: BodyModel, surface: np.ndarray, fps: float,
                 size=(0.09, 0.32, 0.24)) -> list[ExtraMesh]:
    """A bag at the right hip on a strap from the left shoulder; it rides with the pelvis and swings a little."""
    ri = model.semantic_index("root")
    root_tf = body.bone_transforms[:, ri].double().numpy()  # [T, 4, 4]
    head = _heading_frames(body, model)
    hip_z = _local(body.joints[0, model.semantic_index("right_hip")].double().numpy()[None], root_tf[0])[0, 2]
    dx, dy, dz = size
    top = hip_z + 0.02
    loc = _local(_trunk(model, surface), root_tf[0])
    # the trunk's right side (-X) around the bag's height, near the body's mid-plane
    side = _surface_extent(loc, 0, -1.0, {1: (-0.08, 0.08), 2: (top - dz, top)}, -0.18)
    pivot_local = np.array([side - dx / 2 - 0.005, 0.0, top])
    pivot = transform_points(root_tf, pivot_local[None])[:, 0]  # [T, 3]
    down = hang_direction(pivot, fps, lag=0.10, max_tilt_deg=15.0)
    bag_tf = _frame_from_axes(head[:, :, 0], -down, pivot)
    v, f = box_mesh((dx, dy, dz))
    bag = ExtraMesh("shoulder_bag", transform_points(bag_tf, v - [0, 0, dz / 2]).astype(np.float32), f)
    # strap: a thin band from the bag's top up to the top of the left shoulder
    sh = body.joints[:, model.semantic_index("left_collar")].double().numpy()
    shoulder_top = sh + np.array([0.0, 0.0, 0.06])
    strap = _segment_box(pivot, shoulder_top, width=0.04, thickness=0.008)
    return [bag, ExtraMesh("shoulder_bag_strap", strap.astype(np.float32), f)]


def _segment_box(a: np.ndarray, b: np.ndarray, width: float, thickness: float) -> np.ndarray:
    """Vertices `[T, 8, 3]` of thin boxes spanning segments a -> b `[T, 3]` (faces = `box_mesh` faces)."""
    axis = b - a
    length = np.linalg.norm(axis, axis=1)
    tf = _frame_from_axes(np.tile([1.0, 0.0, 0.0], (len(a), 1)), axis, 0.5 * (a + b))
    v, _ = box_mesh((1.0, 1.0, 1.0))
    out = np.empty((len(a), 8, 3))
    for t in range(len(a)):
        out[t] = (v * [width, thickness, length[t]]) @ tf[t, :3, :3].T + tf[t, :3, 3]
    return out


def handbag(body: BodyOutput, model: BodyModel, fps: float, size=(0.10, 0.30, 0.22), handle: float = 0.10
            ) -> list[ExtraMesh]:
    """A bag held in the right hand: its handle follows the hand, the bag hangs and swings below it."""
    j = body.joints.double().numpy()
    wrist = j[:, model.semantic_index("right_wrist")]
    elbow = j[:, model.semantic_index("right_elbow")]
    fore = (wrist - elbow) / np.linalg.norm(wrist - elbow, axis=1, keepdims=True)
    hand = wrist + 0.08 * fore  # the grip: about the palm centre, continuing the forearm
    down = hang_direction(hand, fps, lag=0.10, max_tilt_deg=25.0, gain=0.5)
    head = _heading_frames(body, model)
    bag_tf = _frame_from_axes(head[:, :, 0], -down, hand)
    dx, dy, dz = size
    v, f = box_mesh((dx, dy, dz))
    bag = ExtraMesh("handbag", transform_points(bag_tf, v - [0, 0, handle + dz / 2]).astype(np.float32), f)
    grip = _segment_box(hand, hand + handle * down, width=0.025, thickness=0.02)
    return [bag, ExtraMesh("handbag_handle", grip.astype(np.float32), f)]


# --------------------------------------------------------------------------------------------------- top level


def dress(body: BodyOutput, model: BodyModel, clothing: str = "normal", carry: str = "none", fps: float = 25.0,
          rng: np.random.Generator | None = None, outfit: Outfit | None = None) -> DressedBody:
    """Apply `clothing` and attach `carry` to a posed sequence (`body` batch = frames, in time order).

    `rng` (optional) varies garment thickness and bag sizes by +-10% so sequences are not all identical.
    `outfit` is the subject's own way of dressing; None dresses as the first walker did.
    """
    check_value("clothing", clothing)
    check_value("carry", carry)
    if carry not in CARRY_OBJECTS:
        raise ConfigError(f"carry {carry!r} is not a concrete object; the walker needs one of "
                          f"{', '.join(CARRY_OBJECTS)}")
    jit = (lambda n: 1.0 + 0.1 * (2 * rng.random(n) - 1)) if rng is not None else (lambda n: np.ones(n))
    verts = body.vertices.double().numpy()  # [T, V, 3]
    faces = body.faces
    extras: list[ExtraMesh] = []
    boxy = clothing == "coat" and outfit is not None and outfit.coat_cut == "boxy"
    scale = float(jit(1)[0])
    if boxy:
        off = clothing_offsets(model, clothing, scale * outfit.coat_bulk, BOXY_COAT_OFFSETS)  # [V]
    else:
        off = clothing_offsets(model, clothing, scale)  # [V]
    if outfit is not None and outfit.trouser_ease:
        off = off + outfit.trouser_ease * (0.5 * model.region_weights("upper_legs") + model.region_weights("lower_legs"))
        off = np.maximum(off, trouser_leg_offsets(body, model, outfit.trouser_ease))
    if outfit is not None and outfit.top_ease:  # a loose top, sleeves included
        off = off + outfit.top_ease * (model.region_weights("torso") + 0.5 * model.region_weights("shoulders")
                                       + 0.5 * model.region_weights("upper_arms"))
    if outfit is not None and outfit.hair:
        off = off + hair_offsets(body, model, outfit.hair, outfit.hair_length)
    verts = verts + vertex_normals(verts, faces) * off[None, :, None]
    if boxy:
        extras.append(boxy_coat_skirt(body, model, verts, fps, length=outfit.coat_length))
    elif clothing == "coat":
        extras.append(coat_hem(body, model, verts, fps))
    if carry == "backpack":
        extras.append(backpack(body, model, verts, size=tuple(np.array([0.30, 0.14, 0.40]) * jit(3))))
    elif carry == "shoulder_bag":
        extras += shoulder_bag(body, model, verts, fps, size=tuple(np.array([0.09, 0.32, 0.24]) * jit(3)))
    elif carry == "handbag":
        extras += handbag(body, model, fps, size=tuple(np.array([0.10, 0.30, 0.22]) * jit(3)))
    return DressedBody(verts.astype(np.float32), faces, extras, clothing, carry)
