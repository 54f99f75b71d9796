"""Per-identity gait style: a rotation-space blend of 2–3 real CMU cycles plus individual perturbations.

A `GaitStyle` is what makes a synthetic subject walk like itself: it fixes which real cycles are blended (Dirichlet
weights), cadence, stride, arm swing, posture and left/right asymmetry. A `SessionVariation` adds the small
per-sequence changes a real person shows between recordings (walking speed, where in the cycle the clip starts).
`compile_style` turns both into one looping `GaitCycle` on the library's phase grid.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from gaitcraft.config_file import strict_dataclass
from gaitcraft.errors import ConfigError
from mesh import rotations as rt
from mesh.gait_cycles import CycleLibrary, load_cycle_library
from mesh.retarget import local_ref_fk

# How a session's speed change splits between cadence and stride (speed = stride/period): in human walking,
# both grow with speed, the stride somewhat more (Grieve's relation); exponents sum to 1.
_SPEED_TO_CADENCE, _SPEED_TO_STRIDE = 0.45, 0.55
# Arm swing grows with walking speed too (a faster session swings the arms a little more).
_SPEED_TO_ARM = 0.5
_LEG_BONES = ("upperleg01", "lowerleg01", "foot")
_ARM_BONES = ("clavicle", "upperarm01", "lowerarm01", "wrist")
_SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
_NECK_HEAD = ("neck01", "neck02", "neck03", "head")
# A forward trunk lean is mostly compensated at the neck so the gaze stays level.
_HEAD_COMPENSATION = 0.7


@dataclass
class GaitStyle:
    """One synthetic subject's walk. JSON-serialisable (`to_json` / `from_json`).

    Angles are degrees; scales are multiplicative (1 = the blended real cycles unchanged).
    """

    cycles: list[str]  # source cycle ids in the library, e.g. 'cmu_07_01/L0' (clip / cut foot + ordinal)
    weights: list[float]  # blend weights, sum to 1
    period_scale: float = 1.0  # cycle duration × this (cadence ÷ this)
    stride_scale: float = 1.0  # amplitude of the leg (and pelvis) rotations about their cycle mean
    arm_swing: float = 1.0  # amplitude of the arm rotations about their cycle mean
    arm_abduction_deg: float = 0.0  # upper arms held further out (+) or closer in (−)
    trunk_lean_deg: float = 0.0  # forward (+) lean of the spine, spread over its five bones
    head_pitch_deg: float = 0.0  # head down (+) / up (−) on top of the lean compensation
    asym_amp: float = 0.0  # right-side amplitude × (1 + a), left × (1 − a), for legs and arms
    asym_phase: float = 0.0  # right-side bones lag by this fraction of a cycle
    version: int = field(default=1)
    # Added later; at these defaults a style walks exactly as styles written before them did, and they are left
    # out of `to_dict`, so such styles keep their JSON (and recipe hashes) byte for byte.
    leg_adduction_deg: float = 0.0  # thighs turned toward the midline (+): knees and feet closer, shanks upright
    relaxed_wrists: bool = False  # hands in line with the forearms instead of the retargeted wrist rotation
    shoulder_drop_deg: float = 0.0  # clavicles lowered (+): sloping shoulders, the arms' direction kept

    def to_dict(self) -> dict:
        """Plain-Python dict (JSON-ready); the later fields only when they differ from their defaults."""
        d = asdict(self)
        for name, default in _LATER_FIELDS.items():
            if d[name] == default:
                del d[name]
        return d

    def to_json(self) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> GaitStyle:
        """Rebuild from `to_dict` output; unknown keys are an error."""
        return strict_dataclass(cls, d, "gait style")

    @classmethod
    def from_json(cls, text: str) -> GaitStyle:
        """Rebuild from `to_json` output."""
        return cls.from_dict(json.loads(text))


_LATER_FIELDS = {"leg_adduction_deg": 0.0, "relaxed_wrists": False, "shoulder_drop_deg": 0.0}


@dataclass
class SessionVariation:
    """Per-sequence change of one subject's walk."""

    speed: float = 1.0  # walking-speed factor (split between cadence and stride)
    start_phase: float = 0.0  # gait phase of the first frame, in cycles (0 = left heel strike)

    def to_dict(self) -> dict:
        """Plain-Python dict (JSON-ready)."""
        return asdict(self)


@dataclass
class GaitCycle:
    """A compiled, looping cycle on a uniform phase grid (p samples; phase p/n). Lengths are ÷ leg length."""

    rot: np.ndarray  # [p, 104, 3, 3] 'local-ref' rotations, root = world rotation (walking toward −Y)
    root_height: np.ndarray  # [p] root head above the sole plane
    root_sway: np.ndarray  # [p] lateral root offset (+X)
    root_fwd: np.ndarray  # [p] forward root offset from uniform progression
    stride: float  # forward distance per cycle
    period: float  # seconds per cycle
    right_hs_phase: float  # phase of the right heel strike (left = 0)
    toe_off_phase: np.ndarray  # [2] left, right toe-off phase


def _clipped(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float) -> float:
    return float(np.clip(rng.normal(mean, sd), lo, hi))


def sample_style(rng: np.random.Generator, library: CycleLibrary | None = None) -> GaitStyle:
    """Draw a new subject's style: 2–3 real cycles from different CMU subjects, Dirichlet(1) weights, and
    perturbations (cadence ±6 %, stride ±6 %, arm swing ×e^N(0, 0.3), lean, head pitch, asymmetry)."""
    lib = library or load_cycle_library()
    ids = cycle_ids(lib)
    subjects = np.array(lib.subjects)[lib.cycle_clip]  # [n]
    k = int(rng.integers(2, 4))
    chosen_subjects = rng.choice(np.unique(subjects), size=k, replace=False)
    picks = [int(rng.choice(np.flatnonzero(subjects == s))) for s in chosen_subjects]
    weights = rng.dirichlet(np.ones(k))
    return GaitStyle(
        cycles=[ids[i] for i in picks],
        weights=[float(w) for w in weights],
        period_scale=float(np.exp(_clipped(rng, 0.0, 0.06, -0.15, 0.15))),
        stride_scale=float(np.exp(_clipped(rng, 0.0, 0.06, -0.15, 0.15))),
        arm_swing=float(np.exp(_clipped(rng, 0.0, 0.3, -0.7, 0.6))),
        arm_abduction_deg=_clipped(rng, 0.0, 3.0, -6.0, 8.0),
        trunk_lean_deg=_clipped(rng, 1.0, 2.5, -4.0, 8.0),
        head_pitch_deg=_clipped(rng, 0.0, 4.0, -10.0, 10.0),
        asym_amp=_clipped(rng, 0.0, 0.04, -0.1, 0.1),
        asym_phase=_clipped(rng, 0.0, 0.012, -0.03, 0.03),
    )


#: Thigh adduction (deg) of a natural stance: mean, sd, clip range. Real walkers place their feet close to the
#: walking line (step width ~0.1 m), which anny's wide hip joints do not do on their own.
LEG_ADDUCTION_DEG = (5.0, 1.0, 3.0, 7.0)
#: Arms held out from the body (deg) on top of a style's own abduction: mean, sd, clip range. anny's arms hang
#: against the bare torso; clothed people's hang clear of their clothes.
ARM_OUT_DEG = (5.0, 1.5, 1.0, 9.0)
#: Clavicles lowered (deg): mean, sd, clip range. anny's square shoulders sit high beside the neck; real
#: shoulders slope.
SHOULDER_DROP_DEG = (10.0, 3.0, 4.0, 16.0)
#: Head raised (deg, on top of a style's own pitch): anny's neck carries the head forward of the trunk, further
#: than real walkers' (their silhouettes' heads sit closer above the body's centre).
HEAD_UP_DEG = 12.0


def sample_posture(rng: np.random.Generator, style: GaitStyle) -> dict[str, float | bool]:
    """Draw the style fields of a natural stance and arms for `style` (`GaitStyle` keyword arguments): thigh
    adduction from `LEG_ADDUCTION_DEG`, arms further out by `ARM_OUT_DEG`, relaxed wrists, shoulders lowered by
    `SHOULDER_DROP_DEG`, the head raised by `HEAD_UP_DEG`."""
    return {"leg_adduction_deg": _clipped(rng, *LEG_ADDUCTION_DEG), "relaxed_wrists": True,
            "arm_abduction_deg": style.arm_abduction_deg + _clipped(rng, *ARM_OUT_DEG),
            "shoulder_drop_deg": _clipped(rng, *SHOULDER_DROP_DEG),
            "head_pitch_deg": style.head_pitch_deg - HEAD_UP_DEG}


#: How many times as fast as the blended CMU walks CASIA-B's walkers walk. Measured on real silhouettes: their
#: side-view width period is a step every 12 frames at 25 fps against the blends' 14, and their width swings
#: further within a sequence (6.9 px at 90 deg against 5.2-5.5). Spread over cadence, stride and arm swing as a
#: faster session spreads it, 1.4 gives both: cadence x1.16, stride x1.20, arm swing x1.18.
CASIAB_PACE = 1.4


def with_pace(style: GaitStyle, pace: float) -> GaitStyle:
    """`style` walking `pace` times as fast: its cadence, stride and arm swing grow as a faster session's do."""
    return replace(style, period_scale=style.period_scale * pace**-_SPEED_TO_CADENCE,
                   stride_scale=style.stride_scale * pace**_SPEED_TO_STRIDE,
                   arm_swing=style.arm_swing * pace**_SPEED_TO_ARM)


def session_variation(style: GaitStyle, rng: np.random.Generator) -> SessionVariation:
    """Small per-sequence change for a subject: speed ×e^N(0, 0.03) (clipped ±8 %) and a uniform start phase."""
    del style  # the spread is the same for every subject; kept in the signature for per-style spreads
    return SessionVariation(
        speed=float(np.exp(_clipped(rng, 0.0, 0.03, -0.08, 0.08))), start_phase=float(rng.uniform(0.0, 1.0))
    )


def cycle_ids(lib: CycleLibrary) -> list[str]:
    """Stable id per library cycle: '<clip>/<L|R><ordinal within that clip and foot>'."""
    ids, seen = [], {}
    for c, foot in zip(lib.cycle_clip, lib.cycle_foot):
        key = (int(c), int(foot))
        seen[key] = seen.get(key, -1) + 1
        ids.append(f"{lib.clips[c]}/{'LR'[int(foot)]}{seen[key]}")
    return ids


def _scale_about_mean(r: np.ndarray, s: float | np.ndarray) -> np.ndarray:
    """Scale the deviation of a rotation sequence from its mean: exp(s·log(R·R̄ᵀ))·R̄. r: [p, ..., 3, 3]."""
    mean = rt.mean_rotation(r)  # [..., 3, 3]
    dev = rt.as_rotvec(r @ np.swapaxes(mean, -1, -2))  # [p, ..., 3]
    return rt.as_matrix(dev * np.asarray(s)[..., None]) @ mean


def _shift_phase(r: np.ndarray, shift: float) -> np.ndarray:
    """Sample a periodic rotation sequence [p, ..., 3, 3] at phases (i/p − shift) mod 1 (slerp)."""
    p = r.shape[0]
    x = (np.arange(p) - shift * p) % p
    i0 = np.floor(x).astype(int) % p
    t = (x - np.floor(x)).reshape(-1, *([1] * (r.ndim - 3)))
    return rt.slerp(r[i0], r[(i0 + 1) % p], t)


def _axis_rot(axis: int, deg: float) -> np.ndarray:
    v = np.zeros(3)
    v[axis] = np.radians(deg)
    return rt.as_matrix(v)


def compile_style(
    style: GaitStyle, library: CycleLibrary | None = None, session: SessionVariation | None = None
) -> GaitCycle:
    """Blend the style's source cycles and apply its perturbations (and the session's speed)."""
    lib = library or load_cycle_library()
    ids = {cid: i for i, cid in enumerate(cycle_ids(lib))}
    missing = [c for c in style.cycles if c not in ids]
    if missing or len(style.cycles) != len(style.weights) or not style.cycles:
        raise ConfigError(f"gait style refers to unknown cycles {missing} or has mismatched weights")
    src = np.array([ids[c] for c in style.cycles])
    w = np.asarray(style.weights, dtype=np.float64)
    w = w / w.sum()
    speed = 1.0 if session is None else session.speed
    labels = lib.bone_labels
    idx = {n: i for i, n in enumerate(labels)}

    rot = rt.mean_rotation(lib.rot[src], w)  # [p, 104, 3, 3]
    mix = lambda a: np.tensordot(w, a[src], axes=1)  # noqa: E731
    sweep0 = stance_sweep(rot, lib, float(mix(lib.right_hs_phase)))
    leg_amp = style.stride_scale * speed**_SPEED_TO_STRIDE
    for side, sign in (("L", -1.0), ("R", 1.0)):
        asym = 1.0 + sign * style.asym_amp
        legs = [idx[f"{b}.{side}"] for b in _LEG_BONES]
        arms = [idx[f"{b}.{side}"] for b in _ARM_BONES]
        rot[:, legs] = _scale_about_mean(rot[:, legs], leg_amp * asym)
        rot[:, arms] = _scale_about_mean(rot[:, arms], style.arm_swing * speed**_SPEED_TO_ARM * asym)
        # Abduction about the forward axis: +Y rotation swings the left arm (on +X) downward-inward.
        up = idx[f"upperarm01.{side}"]
        rot[:, up] = _axis_rot(1, sign * style.arm_abduction_deg) @ rot[:, up]
    if style.leg_adduction_deg:
        _adduct_legs(rot, idx, style.leg_adduction_deg)
    if style.shoulder_drop_deg:
        _drop_shoulders(rot, idx, style.shoulder_drop_deg)
    if style.relaxed_wrists:
        for side in "LR":
            rot[:, idx[f"wrist.{side}"]] = np.eye(3)
    rot[:, 0] = _scale_about_mean(rot[:, 0], leg_amp)  # pelvis rotation grows with the stride
    # Rx(+θ) tips the +Z axis toward −Y (anny's forward): a forward lean / head-down nod.
    lean = _axis_rot(0, style.trunk_lean_deg / len(_SPINE))
    nod = _axis_rot(0, (style.head_pitch_deg - _HEAD_COMPENSATION * style.trunk_lean_deg) / len(_NECK_HEAD))
    for b in _SPINE:
        rot[:, idx[b]] = lean @ rot[:, idx[b]]
    for b in _NECK_HEAD:
        rot[:, idx[b]] = nod @ rot[:, idx[b]]
    right = [i for i, n in enumerate(labels) if n.endswith(".R")]
    if style.asym_phase:
        rot[:, right] = _shift_phase(rot[:, right], style.asym_phase)

    right_hs = float(mix(lib.right_hs_phase) + style.asym_phase) % 1.0
    # The blend of real cycles walks the blend of their strides; perturbations rescale it kinematically.
    gain = stance_sweep(rot, lib, right_hs) / sweep0
    stride = float(mix(lib.stride)) * gain
    return GaitCycle(
        rot=rot,
        root_height=mix(lib.root_height),
        root_sway=mix(lib.root_sway),
        root_fwd=mix(lib.root_fwd) * gain,
        stride=stride,
        period=float(mix(lib.period)) * style.period_scale * speed**-_SPEED_TO_CADENCE,
        right_hs_phase=right_hs,
        toe_off_phase=np.nanmean(lib.toe_off_phase[src], axis=0) + np.array([0.0, style.asym_phase]),
    )


def _adduct_legs(rot: np.ndarray, idx: dict[str, int], deg: float) -> None:
    """Turn both thighs `deg` toward the midline about the pelvis' forward axis, in place on `rot` [p, 104, 3, 3].

    The shanks get the inverse turn, conjugated through the thigh, so shanks and feet keep their world
    orientation (upright shanks, level soles): knees and ankles both move toward the midline by the thigh
    length x sin(deg), as when a walker places the feet close to the walking line.
    """
    for side, toward_midline in (("L", 1.0), ("R", -1.0)):  # +Y turns the left (+X) leg toward -X
        thigh, shank = idx[f"upperleg01.{side}"], idx[f"lowerleg01.{side}"]
        a = _axis_rot(1, toward_midline * deg)
        d = rot[:, thigh]  # [p, 3, 3]
        rot[:, shank] = np.swapaxes(d, -1, -2) @ a.T @ d @ rot[:, shank]
        rot[:, thigh] = a @ d


def _drop_shoulders(rot: np.ndarray, idx: dict[str, int], deg: float) -> None:
    """Lower both clavicles by `deg` about the chest's forward axis, in place on `rot` [p, 104, 3, 3]; the upper
    arms get the inverse turn (conjugated through clavicle and shoulder), so the arms hang as before from a
    lower shoulder."""
    for side, down in (("L", 1.0), ("R", -1.0)):  # +Y turns the left (+X) clavicle's tip downward
        clav, shoulder, upper = (idx[f"{b}.{side}"] for b in ("clavicle", "shoulder01", "upperarm01"))
        a = _axis_rot(1, down * deg)
        c = rot[:, clav] @ rot[:, shoulder]  # [p, 3, 3]
        rot[:, upper] = np.swapaxes(c, -1, -2) @ a.T @ c @ rot[:, upper]
        rot[:, clav] = a @ rot[:, clav]


def stance_sweep(rot: np.ndarray, lib: CycleLibrary, right_hs_phase: float) -> float:
    """How far (÷ leg length) the stance ankles travel backward relative to the root during mid-stance.

    Mid-stance is phases 0.1–0.4 after each foot's heel strike (other foot off, heel down), when a real stance
    ankle stands still: the root then covers this distance. Its ratio between a perturbed and an unperturbed
    cycle rescales the real stride, so that amplitude changes do not make the feet skate.
    """
    p = rot.shape[0]
    phases = np.array([0.1, 0.4, right_hs_phase + 0.1, right_hs_phase + 0.4]) % 1.0
    i0 = np.floor(phases * p).astype(int) % p
    t = (phases * p - np.floor(phases * p))[:, None]
    r = rt.slerp(rot[i0], rot[(i0 + 1) % p], t)  # [4, 104, 3, 3]
    heads = local_ref_fk(r, np.zeros((4, 3)), lib.ref_heads, lib.bone_parents)  # [4, 104, 3]
    fwd_l = -heads[:, lib.bone_labels.index("foot.L"), 1]
    fwd_r = -heads[:, lib.bone_labels.index("foot.R"), 1]
    return float((fwd_l[0] - fwd_l[1]) + (fwd_r[2] - fwd_r[3]))
