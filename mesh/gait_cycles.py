"""Gait cycles from the retargeted CMU clips: heel strikes (Zeni), cut, detrend, resample to uniform phase.

A cycle runs from a left heel strike (phase 0) to the next left heel strike (phase 1). Everything positional is
stored divided by the leg length (thigh + shank), so a cycle drives any body size; rotations are anny
'local-ref' (see `mesh.retarget`). The library is cached as .npz under `cache_dir()/motion/`, keyed by a hash of
the clip bytes and `LIBRARY_VERSION`, so only the first build pays for anny and retargeting. A library fresh from
a build holds exactly the numbers a later load of its cache file returns (rotations rounded to the stored float32),
so what is rendered from it never depends on whether the cache existed.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from scipy.signal import find_peaks

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import atomic_save
from gaitcraft.paths import cache_dir, mocap_dir
from mesh import rotations as rt
from mesh.bvh import read_bvh
from mesh.retarget import AnnyReference, retarget_clip

#: Bump when the cycle extraction or retargeting changes: it invalidates cached libraries.
LIBRARY_VERSION = "cycles-v2"
#: Uniform phase samples per cycle (phase p/N_PHASE, p = 0..N_PHASE-1; the cycle is periodic).
N_PHASE = 100
# A cycle is kept when its period is 0.8–1.6 s, within 12% of the clip's median, and its speed ≥ 85% of the
# clip's median: this drops the cycles that start from standing (10_04, 32_01 in the notes).
_PERIOD_RANGE_S = (0.8, 1.6)
_PERIOD_TOL, _SPEED_TOL = 0.12, 0.85
#: Precision of the rotations in a cache file (half the size of float64); builds round to it too.
STORED_ROT_DTYPE = np.float32
# Libraries already loaded in this process, by cache file (loading one takes ~0.1 s; callers often omit it).
_MEMO: dict[str, CycleLibrary] = {}
_STANCE_SPEED = 0.25  # m/s (anny-scaled): ankle slower than this counts as foot contact, for the floor fit


@dataclass
class CycleLibrary:
    """Real gait cycles on a uniform phase grid. n = cycles, p = phase samples, c = clips."""

    rot: np.ndarray  # [n, p, 104, 3, 3] 'local-ref' rotations; bone 0 = root world rotation (heading removed)
    root_height: np.ndarray  # [n, p] root height above the sole plane / leg length
    root_sway: np.ndarray  # [n, p] root lateral offset (+X = body's left) from the walking line / leg length
    root_fwd: np.ndarray  # [n, p] root forward offset from uniform progression (stride·phase) / leg length
    root_ypr: np.ndarray  # [n, p, 3] root yaw, pitch, roll (deg), derived from rot[:, :, 0], for reports
    stride: np.ndarray  # [n] root displacement per cycle / leg length
    period: np.ndarray  # [n] seconds per cycle
    right_hs_phase: np.ndarray  # [n] phase of the right heel strike
    toe_off_phase: np.ndarray  # [n, 2] phase of left, right toe-off (Zeni: ankle furthest behind the root)
    cycle_foot: np.ndarray  # [n] 0: cut between left heel strikes; 1: cut between right ones, re-phased
    cycle_clip: np.ndarray  # [n] index into clips
    clips: list[str]  # clip stems, e.g. 'cmu_07_01'
    clip_k: np.ndarray  # [c] CMU→anny scale (anny leg / CMU leg)
    clip_leg_m: np.ndarray  # [c] CMU actor leg length, metres
    clip_floor_slope: np.ndarray  # [c] fitted floor tilt along the walk, cm per m
    bone_labels: list[str]  # [104]
    bone_parents: np.ndarray  # [104]
    ref_heads: np.ndarray  # [104, 3] anny identity-pose bone heads / leg length (root at the origin)
    ankle_height: float  # anny ankle (foot head) above the sole at identity / leg length
    key: str  # cache key (clip hash + version)

    @property
    def n_cycles(self) -> int:
        """Number of cycles."""
        return int(self.rot.shape[0])

    @property
    def subjects(self) -> list[str]:
        """CMU subject id per clip ('07' for cmu_07_01)."""
        return [_subject(c) for c in self.clips]

    def save(self, path: str | Path) -> None:
        """Write the library to `path` (.npz) atomically."""
        arrays = {}
        for f in fields(self):
            v = getattr(self, f.name)
            arrays[f.name] = np.asarray(v) if not isinstance(v, np.ndarray) else v
        arrays["rot"] = self.rot.astype(STORED_ROT_DTYPE)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_save(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()))

    @classmethod
    def load(cls, path: str | Path) -> CycleLibrary:
        """Read a library written by `save`."""
        with np.load(path, allow_pickle=False) as z:
            kw = {f.name: z[f.name] for f in fields(cls)}
        kw["rot"] = kw["rot"].astype(np.float64)
        kw["clips"] = [str(c) for c in kw["clips"]]
        kw["bone_labels"] = [str(c) for c in kw["bone_labels"]]
        kw["ankle_height"] = float(kw["ankle_height"])
        kw["key"] = str(kw["key"])
        return cls(**kw)


def _subject(stem: str) -> str:
    m = re.match(r"cmu_(\d+)_", stem)
    return m.group(1) if m else stem


def heel_strikes(rel_fwd: np.ndarray, fps: float) -> np.ndarray:
    """Zeni heel strikes: frames where the ankle is furthest in front of the root.

    rel_fwd: [f] forward distance ankle − root (m). Returns frame indices (peaks at least 0.6 s apart).
    """
    peaks, _ = find_peaks(rel_fwd, distance=max(1, int(0.6 * fps)), prominence=0.1)
    return peaks


def toe_offs(rel_fwd: np.ndarray, fps: float) -> np.ndarray:
    """Zeni toe-offs: frames where the ankle is furthest behind the root. rel_fwd: [f] → frame indices."""
    return heel_strikes(-rel_fwd, fps)


def _heading_rotation(direction: np.ndarray) -> np.ndarray:
    """Rotation about Z taking the horizontal `direction` [3] onto anny's forward (−Y). → [3, 3]"""
    ang = np.arctan2(direction[0], -direction[1])  # heading: angle of `direction` from −Y toward +X
    c, s = np.cos(ang), np.sin(ang)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # Rz(−heading)


def _floor_fit(ankles: np.ndarray, fwd: np.ndarray, fps: float) -> tuple[float, float]:
    """Fit the floor as the stance-ankle height line z = a + b·fwd. ankles: [f, 2, 3]; fwd: [f, 2] → (a, b)."""
    pts = []
    for s in range(2):
        speed = np.linalg.norm(np.gradient(ankles[:, s, :2], axis=0), axis=-1) * fps  # [f]
        stance = speed < _STANCE_SPEED
        # One point per contact: the lowest ankle sample of each contiguous stance run.
        edges = np.flatnonzero(np.diff(np.r_[0, stance.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            i = a + int(np.argmin(ankles[a:b, s, 2]))
            pts.append((fwd[i, s], ankles[i, s, 2]))
    pts = np.asarray(pts)
    if len(pts) < 2:
        return float(np.median(ankles[..., 2])), 0.0
    b, a = np.polyfit(pts[:, 0], pts[:, 1], 1)
    return float(a), float(b)


_CYCLE_KEYS = (
    "rot",
    "root_height",
    "root_sway",
    "root_fwd",
    "root_ypr",
    "stride",
    "period",
    "right_hs_phase",
    "toe_off_phase",
    "cycle_foot",
)


def _cut_cycle(rot, root_pos, height, a: int, b: int, anchor: float, n_phase: int) -> dict:
    """Cut frames a..b (same-foot heel strikes) into a looping cycle sampled at phases (p/n_phase + anchor) mod 1.

    rot: [f, 104, 3, 3]; root_pos: [f, 3]; height: [f] root height above the sole plane. Lengths stay in metres.
    """
    # Per-cycle heading: the root's start→end direction becomes exactly −Y (removes slow turns).
    rz = _heading_rotation(root_pos[b] - root_pos[a])
    cyc_rot = rot[a : b + 1].copy()  # [m+1, 104, 3, 3]
    cyc_rot[:, 0] = rz @ cyc_rot[:, 0]
    pos = (root_pos[a : b + 1] - root_pos[a]) @ rz.T  # [m+1, 3]
    m = b - a
    u = np.arange(m + 1) / m  # [m+1] phase of each frame
    stride = -pos[-1, 1]
    fwd = -pos[:, 1] - stride * u  # deviation from uniform progression
    sway, h = pos[:, 0], height[a : b + 1]
    # Make the cycle loop exactly: spread the end-minus-start residual linearly over the phase.
    resid = cyc_rot[-1] @ np.swapaxes(cyc_rot[0], -1, -2)  # [104, 3, 3]
    cyc_rot = rt.power(np.broadcast_to(resid, cyc_rot.shape), -u[:, None]) @ cyc_rot
    h = h - (h[-1] - h[0]) * u
    sway = sway - (sway[-1] - sway[0]) * u
    sway = sway - sway[:-1].mean()  # the walking line is the mean root path
    pos_f = m * ((np.arange(n_phase) / n_phase + anchor) % 1.0)  # fractional frame of each phase sample
    i0 = np.minimum(np.floor(pos_f).astype(int), m - 1)
    t = pos_f - i0
    r_p = rt.slerp(cyc_rot[i0], cyc_rot[i0 + 1], t[:, None])  # [p, 104, 3, 3]
    lin = lambda x: x[i0] * (1 - t) + x[i0 + 1] * t  # noqa: E731
    return {
        "rot": r_p,
        "root_height": lin(h),
        "root_sway": lin(sway),
        "root_fwd": lin(fwd),
        "root_ypr": rt.euler_angles(r_p[:, 0]),
        "stride": stride,
    }


def extract_clip_cycles(path: str | Path, ref: AnnyReference, n_phase: int = N_PHASE) -> dict:
    """Retarget one clip and cut it into gait cycles resampled to `n_phase` phases (phase 0 = left heel strike).

    Every steady same-foot heel-strike interval is a cycle; right-foot ones are re-phased to start at the left
    heel strike inside them.

    Returns a dict of per-cycle arrays (keys as in CycleLibrary) plus per-clip scalars k, leg_m, floor_slope,
    and 'hs' (left/right heel-strike frames in file numbering, frame 0 = T-pose) for reporting.
    """
    clip = read_bvh(path)
    for name in ("Hips", "LeftUpLeg", "RightUpLeg", "LeftFoot", "RightFoot"):
        clip.index(name)  # DataError naming the file if the skeleton is not a CMU-style one
    ret = retarget_clip(clip, ref)  # frame 0 (T-pose) dropped
    fps, leg = ret.fps, ref.leg_length
    j = ret.joint_names.index
    hip_mid = 0.5 * (ret.joints[:, j("LeftUpLeg")] + ret.joints[:, j("RightUpLeg")])  # [f, 3]
    ankles = ret.joints[:, [j("LeftFoot"), j("RightFoot")]]  # [f, 2, 3]
    # Canonical heading for the whole clip (cmu_32_01 walks at 126°): the walk goes along −Y.
    disp = hip_mid[-1] - hip_mid[0]
    if np.linalg.norm(disp[:2]) < 0.5:
        raise DataError("mocap clip does not walk (root moves < 0.5 m)", path)
    rz = _heading_rotation(disp)
    hip_mid, ankles = hip_mid @ rz.T, ankles @ rz.T
    rel = -(ankles[..., 1] - hip_mid[:, None, 1])  # [f, 2] forward distance ankle − hip midpoint
    hs = [heel_strikes(rel[:, s], fps) for s in range(2)]
    to = [toe_offs(rel[:, s], fps) for s in range(2)]
    fwd_ank = -ankles[..., 1]  # [f, 2]
    floor_a, floor_b = _floor_fit(ankles, fwd_ank, fps)

    root_rot = rz @ ret.rot[:, 0]  # [f, 3, 3]
    root_pos = ret.root_pos @ rz.T  # [f, 3]
    rot = ret.rot.copy()
    rot[:, 0] = root_rot

    # Steady-state references pool both feet's HS→HS intervals (a clip has only 1–3 per foot).
    pairs = [list(zip(h[:-1], h[1:])) for h in hs]
    cyc_period = lambda a, b: (b - a) / fps  # noqa: E731
    cyc_speed = lambda a, b: -(hip_mid[b, 1] - hip_mid[a, 1]) / (b - a) * fps  # noqa: E731
    ref_period = np.median([cyc_period(a, b) for a, b in pairs[0] + pairs[1]])
    ref_speed = np.median([cyc_speed(a, b) for a, b in pairs[0] + pairs[1]])
    ankle_h = ref.heads[ref.idx("foot.L"), 2] - ref.sole_z  # anny's ankle height above its sole
    # Height above the fitted stance-ankle line at the root's own position removes the floor tilt.
    height = root_pos[:, 2] - (floor_a + floor_b * -hip_mid[:, 1]) + ankle_h  # [f]
    out: dict[str, list] = {k: [] for k in _CYCLE_KEYS}
    periods = []
    for foot in range(2):
        for a, b in pairs[foot]:
            per, spd = cyc_period(a, b), cyc_speed(a, b)
            periods.append(per)
            steady = (
                _PERIOD_RANGE_S[0] <= per <= _PERIOD_RANGE_S[1]
                and per <= (1 + _PERIOD_TOL) * ref_period
                and spd >= _SPEED_TOL * ref_speed
            )
            other = [h for h in hs[1 - foot] if a < h < b]
            if not steady or not other:
                continue
            # A right-foot cycle is re-phased to start at the left heel strike inside it (it loops exactly).
            anchor = 0.0 if foot == 0 else (other[0] - a) / (b - a)
            cyc = _cut_cycle(rot, root_pos, height, a, b, anchor, n_phase)
            cyc["stride"] /= leg
            for key in ("root_height", "root_sway", "root_fwd"):
                cyc[key] /= leg
            hs_r = other[0] if foot == 0 else a
            cyc["right_hs_phase"] = ((hs_r - a) / (b - a) - anchor) % 1.0
            tos = [[((x - a) / (b - a) - anchor) % 1.0 for x in to[s] if a < x < b] for s in range(2)]
            cyc["toe_off_phase"] = [ts[0] if ts else np.nan for ts in tos]
            cyc["period"], cyc["cycle_foot"] = per, foot
            for key in _CYCLE_KEYS:
                out[key].append(cyc[key])
    res = {k: np.asarray(v) for k, v in out.items()}
    res.update(
        k=ret.k,
        leg_m=leg / ret.k,
        floor_slope=100 * floor_b,
        hs=[h + 1 for h in hs],  # file numbering (frame 0 = T-pose)
        all_periods=np.asarray(periods),
    )
    return res


def clip_paths(folder: str | Path | None = None) -> list[Path]:
    """The BVH clips in `folder` (default: `gaitcraft.paths.mocap_dir()`), sorted by name."""
    folder = Path(folder) if folder is not None else mocap_dir()
    paths = sorted(folder.glob("*.bvh"))
    if not paths:
        raise DataError("no .bvh mocap clips found", folder)
    return paths


def library_key(paths: list[Path], n_phase: int = N_PHASE) -> str:
    """Hash of the clips' names and bytes, the phase count and LIBRARY_VERSION (16 hex digits)."""
    h = hashlib.sha256(f"{LIBRARY_VERSION}|{n_phase}".encode())
    for p in paths:
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def as_stored(rot: np.ndarray) -> np.ndarray:
    """Rotations as a cache file holds them (rounded to `STORED_ROT_DTYPE`), in float64."""
    return rot.astype(STORED_ROT_DTYPE).astype(np.float64)


def forget_loaded_libraries() -> None:
    """Drop the libraries memoised in this process, so the next `load_cycle_library` reads or builds again."""
    _MEMO.clear()


def build_cycle_library(
    paths: list[Path], ref: AnnyReference, n_phase: int = N_PHASE, key: str = ""
) -> CycleLibrary:
    """Extract and stack the cycles of all clips (no caching). The rotations are rounded as the cache stores them,
    so a built library and its reloaded cache file are equal, field by field."""
    per_clip = [extract_clip_cycles(p, ref, n_phase) for p in paths]
    keep = [i for i, c in enumerate(per_clip) if len(c["stride"])]
    if not keep:
        raise DataError("no complete gait cycle found in any mocap clip", paths[0].parent)
    cat = lambda k: np.concatenate([per_clip[i][k] for i in keep])  # noqa: E731
    leg = ref.leg_length
    return CycleLibrary(
        rot=as_stored(cat("rot")),
        root_height=cat("root_height"),
        root_sway=cat("root_sway"),
        root_fwd=cat("root_fwd"),
        root_ypr=cat("root_ypr"),
        stride=cat("stride"),
        period=cat("period"),
        right_hs_phase=cat("right_hs_phase"),
        toe_off_phase=cat("toe_off_phase"),
        cycle_foot=cat("cycle_foot"),
        cycle_clip=np.concatenate([np.full(len(per_clip[i]["stride"]), n) for n, i in enumerate(keep)]),
        clips=[paths[i].stem for i in keep],
        clip_k=np.array([per_clip[i]["k"] for i in keep]),
        clip_leg_m=np.array([per_clip[i]["leg_m"] for i in keep]),
        clip_floor_slope=np.array([per_clip[i]["floor_slope"] for i in keep]),
        bone_labels=list(ref.labels),
        bone_parents=np.asarray(ref.parents),
        ref_heads=ref.heads / leg,
        ankle_height=float((ref.heads[ref.idx("foot.L"), 2] - ref.sole_z) / leg),
        key=key,
    )


def load_cycle_library(folder: str | Path | None = None, use_cache: bool = True) -> CycleLibrary:
    """The cycle library of the clips in `folder` (default mocap dir), from the cache when it is current.

    A cache miss loads anny (`mesh.anny_model.load_anny`) once to read its identity-pose skeleton.
    """
    paths = clip_paths(folder)
    key = library_key(paths)
    path = cache_dir() / "motion" / f"cycles-{key}.npz"
    if use_cache and str(path) in _MEMO:
        return _MEMO[str(path)]
    if use_cache and path.is_file():
        try:
            _MEMO[str(path)] = CycleLibrary.load(path)
            return _MEMO[str(path)]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a stale or damaged cache is rebuilt below
    from mesh.anny_model import load_anny

    lib = build_cycle_library(paths, AnnyReference.from_model(load_anny()), key=key)
    if use_cache:
        lib.save(path)
        _MEMO[str(path)] = lib
    return lib
