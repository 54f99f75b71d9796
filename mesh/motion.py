"""Animate a gait style: per-frame anny 'local-ref' poses of a subject walking straight toward −Y.

World conventions (anny's): Z up, metres, the body faces −Y and walks along −Y. The root (`pose[:, 0]`) carries
the world rotation and the world position of anny's `root` bone head. Frame 0 starts with the root above the
origin (y = 0; x is the lateral sway about the walking line x = 0); the root height is the real cycle's pelvis height, scaled by the leg length, measured so the
stance sole sits near z = 0 (renderers may still re-ground on the lowest vertex; the error is a few cm at most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mesh import rotations as rt
from mesh.gait_cycles import CycleLibrary, load_cycle_library
from mesh.gait_style import GaitCycle, GaitStyle, SessionVariation, compile_style
from mesh.retarget import local_ref_fk, pose_matrices

#: frames per second of the rendered walks (CASIA-B's cameras film at 25 fps)
WALK_FPS = 25.0


@dataclass
class Motion:
    """An animated walk of t frames."""

    pose: torch.Tensor  # [t, 104, 4, 4] float32 anny 'local-ref' pose; pose[:, 0] = root world pose
    phase: np.ndarray  # [t] gait phase in cycles (0 = left heel strike; the integer part counts cycles)
    heel_strike: np.ndarray  # [t, 2] bool: a left / right heel strike falls on this frame (nearest frame)
    fps: float
    period_s: float  # seconds per gait cycle (two steps)
    stride_m: float  # metres per cycle
    leg_length_m: float
    right_hs_phase: float  # phase of the right heel strike within a cycle

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.pose.shape[0])

    @property
    def speed_mps(self) -> float:
        """Walking speed, m/s."""
        return self.stride_m / self.period_s

    @property
    def cadence_spm(self) -> float:
        """Cadence in steps per minute (two steps per cycle)."""
        return 120.0 / self.period_s

    @property
    def root_translation(self) -> np.ndarray:
        """World position of the root bone head per frame. [t, 3]"""
        return self.pose[:, 0, :3, 3].numpy().astype(np.float64)

    def axis_angle(self) -> np.ndarray:
        """Compact pose parameters: 'local-ref' rotation vectors (radians) per bone. [t, 104, 3] float32"""
        return rt.as_rotvec(self.pose[..., :3, :3].double().numpy()).astype(np.float32)

    def ground_truth(self) -> dict[str, np.ndarray]:
        """Per-frame arrays for a dataset sidecar: axis-angle pose [t, 104, 3], root translation [t, 3], phase [t],
        heel strikes [t, 2], plus the scalars fps, period_s, stride_m, leg_length_m."""
        return {
            "pose_axis_angle": self.axis_angle(),
            "root_translation": self.root_translation.astype(np.float32),
            "phase": self.phase.astype(np.float32),
            "heel_strike": self.heel_strike,
            "fps": np.float32(self.fps),
            "period_s": np.float32(self.period_s),
            "stride_m": np.float32(self.stride_m),
            "leg_length_m": np.float32(self.leg_length_m),
        }


def sample_cycle(cycle: GaitCycle, phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations [t, 104, 3, 3] (slerp) and root channels [t, 3] = (height, sway, fwd) of a cycle at `phase` [t]."""
    p = cycle.rot.shape[0]
    x = (np.asarray(phase) % 1.0) * p
    i0 = np.floor(x).astype(int) % p
    i1 = (i0 + 1) % p
    t = x - np.floor(x)
    rot = rt.slerp(cycle.rot[i0], cycle.rot[i1], t[:, None])
    ch = np.stack([cycle.root_height, cycle.root_sway, cycle.root_fwd], -1)  # [p, 3]
    return rot, ch[i0] * (1 - t)[:, None] + ch[i1] * t[:, None]


def _event_frames(phase: np.ndarray, event_phase: float) -> np.ndarray:
    """[t] bool: the frame nearest to each occurrence of `event_phase` (mod 1) is True."""
    half = 0.5 * (phase[1] - phase[0]) if len(phase) > 1 else 0.5
    return np.floor(phase + half - event_phase) > np.floor(phase - half - event_phase)


def animate(
    style: GaitStyle,
    leg_length_m: float,
    n_frames: int,
    fps: float = WALK_FPS,
    start_phase: float | None = None,
    session: SessionVariation | None = None,
    library: CycleLibrary | None = None,
) -> Motion:
    """Walk `style` for `n_frames` frames at `fps`.

    leg_length_m: the body's thigh + shank at its identity pose (`mesh.retarget.leg_length_from_heads`; 0.794 m
    for anny at phenotypes 0.5); it scales the root height, sway and the stride. start_phase (cycles, 0 = left
    heel strike) defaults to the session's, else 0. The root advances along −Y by stride/period so that the
    stance feet stay put.
    """
    if n_frames < 1 or not leg_length_m > 0 or not fps > 0:
        raise ValueError(
            f"animate needs n_frames ≥ 1, leg_length_m > 0, fps > 0; got {n_frames}, {leg_length_m}, {fps}"
        )
    cyc = compile_style(style, library or load_cycle_library(), session)
    if start_phase is None:
        start_phase = session.start_phase if session is not None else 0.0
    phase = start_phase + np.arange(n_frames) / (fps * cyc.period)  # [t]
    rot, ch = sample_cycle(cyc, phase)  # [t, 104, 3, 3], [t, 3]
    fwd = cyc.stride * (phase - phase[0]) + ch[:, 2] - ch[0, 2]  # [t] distance walked, ÷ leg length
    root = leg_length_m * np.stack([ch[:, 1], -fwd, ch[:, 0]], -1)  # [t, 3]
    heel = np.stack([_event_frames(phase, 0.0), _event_frames(phase, cyc.right_hs_phase)], -1)  # [t, 2]
    return Motion(
        pose=pose_matrices(rot, root),
        phase=phase,
        heel_strike=heel,
        fps=float(fps),
        period_s=cyc.period,
        stride_m=cyc.stride * leg_length_m,
        leg_length_m=float(leg_length_m),
        right_hs_phase=cyc.right_hs_phase,
    )


def skeleton(motion: Motion, library: CycleLibrary | None = None) -> np.ndarray:
    """Approximate anny bone heads [t, 104, 3] (m) of the motion, from the library's reference skeleton scaled to
    the motion's leg length (exact for the default body; use anny's `bone_poses` for exact ground truth)."""
    lib = library or load_cycle_library()
    pose = motion.pose.double().numpy()
    return local_ref_fk(
        pose[..., :3, :3], pose[:, 0, :3, 3], lib.ref_heads * motion.leg_length_m, lib.bone_parents
    )
