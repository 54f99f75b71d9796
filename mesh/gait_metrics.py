"""Gait realism measurements: cadence, stride, speed and arm swing, of a style or measured on an animated walk.

`measure_motion` measures from the animated skeleton itself (Zeni heel strikes on the ankles), the same way the
CMU clips were measured, so benchmarks compare like with like. All functions are cheap (no anny forward).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mesh.gait_cycles import CycleLibrary, heel_strikes, load_cycle_library
from mesh.gait_style import GaitStyle, SessionVariation, compile_style
from mesh.motion import Motion, skeleton


@dataclass
class GaitMeasures:
    """Measured gait figures of one walk (NaN when the walk is too short to contain two same-foot strikes)."""

    cadence_spm: float  # steps per minute
    period_s: float  # median same-foot heel-strike interval
    stride_m: float  # median ankle displacement between same-foot heel strikes
    speed_mps: float  # net root displacement / duration
    arm_swing_deg: float  # peak-to-peak sagittal angle of the upper arms, mean of both sides
    n_strikes: int  # heel strikes found (both feet)

    def to_dict(self) -> dict:
        """Plain dict."""
        return asdict(self)


def style_cadence_spm(
    style: GaitStyle, library: CycleLibrary | None = None, session: SessionVariation | None = None
) -> float:
    """Cadence (steps/min) a style walks at: 120 / cycle period."""
    return 120.0 / compile_style(style, library, session).period


def style_stride_m(
    style: GaitStyle,
    leg_length_m: float,
    library: CycleLibrary | None = None,
    session: SessionVariation | None = None,
) -> float:
    """Stride (m per cycle, two steps) a style walks with on a body of leg length `leg_length_m`."""
    return compile_style(style, library, session).stride * leg_length_m


def arm_swing_deg(joints: np.ndarray, labels: list[str]) -> float:
    """Peak-to-peak sagittal angle (degrees) of the shoulder→elbow segments, mean of left and right.

    joints: [t, 104, 3] bone heads in world axes (walking along −Y, Z up). Span a full cycle for a fair figure.
    """
    swings = []
    for s in ("L", "R"):
        v = joints[:, labels.index(f"lowerarm01.{s}")] - joints[:, labels.index(f"upperarm01.{s}")]  # [t, 3]
        ang = np.degrees(np.arctan2(-v[:, 1], -v[:, 2]))  # 0 = hanging down, + = elbow forward
        swings.append(ang.max() - ang.min())
    return float(np.mean(swings))


def measure_motion(motion: Motion, library: CycleLibrary | None = None) -> GaitMeasures:
    """Measure cadence, stride, speed and arm swing from the animated skeleton (Zeni heel strikes)."""
    lib = library or load_cycle_library()
    joints = skeleton(motion, lib)  # [t, 104, 3]
    labels = lib.bone_labels
    root = motion.root_translation  # [t, 3]
    periods, strides, n = [], [], 0
    for s in ("L", "R"):
        ankle = joints[:, labels.index(f"foot.{s}")]  # [t, 3]
        hs = heel_strikes(-(ankle[:, 1] - root[:, 1]), motion.fps)
        n += len(hs)
        periods += list(np.diff(hs) / motion.fps)
        strides += list(np.linalg.norm(np.diff(ankle[hs, :2], axis=0), axis=-1))
    period = float(np.median(periods)) if periods else float("nan")
    duration = (motion.n_frames - 1) / motion.fps
    return GaitMeasures(
        cadence_spm=120.0 / period,
        period_s=period,
        stride_m=float(np.median(strides)) if strides else float("nan"),
        speed_mps=float(np.linalg.norm(root[-1, :2] - root[0, :2]) / duration)
        if duration > 0
        else float("nan"),
        arm_swing_deg=arm_swing_deg(joints, labels),
        n_strikes=n,
    )
