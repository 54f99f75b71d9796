"""A simple procedural (sinusoidal) walk for tests, benchmarks and previews - not the mocap-driven motion.

It only needs the semantic joints, so it drives any `BodyModel`: hips flex and extend in antiphase, knees bend
in swing, arms swing opposite to the legs, and the root moves along -Y (the body's forward) with a small bob.
"""

from __future__ import annotations

import numpy as np
import torch

from mesh.body_model import BodyModel


def rot_x(deg: np.ndarray) -> np.ndarray:
    """Rotations `[..., 3, 3]` about world X by `deg` degrees."""
    a = np.deg2rad(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(deg: np.ndarray) -> np.ndarray:
    """Rotations `[..., 3, 3]` about world Y by `deg` degrees."""
    a = np.deg2rad(np.asarray(deg, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def swing_walk_poses(model: BodyModel, n_frames: int, fps: float = 25.0, cycle_s: float = 1.1,
                     hip_deg: float = 25.0, knee_deg: float = 35.0, arm_deg: float = 20.0,
                     arm_down_deg: float = 35.0, elbow_open_deg: float = 25.0, speed: float = 1.3, phase: float = 0.0,
                     root_height: float = 0.0) -> torch.Tensor:
    """Poses `[n_frames, J, 4, 4]` ('local-ref') of a sinusoidal walk along -Y.

    Hip flexion is a rotation about -X (the knee moves toward -Y); `arm_down_deg` lowers the arms from the
    reference pose toward the body (anny's reference is an A-pose), `elbow_open_deg` straightens the elbows a
    little. `root_height` is added to the root's z.
    """
    t = np.arange(n_frames) / fps
    ph = 2 * np.pi * (t / cycle_s + phase)  # [T]
    pose = np.tile(np.eye(4), (n_frames, model.n_joints, 1, 1))  # [T, J, 4, 4]
    hip_l = hip_deg * np.sin(ph)  # flexion angle, positive = thigh forward
    hip_r = -hip_l
    # knees bend during swing (when the hip is flexing) and stay nearly straight in stance
    knee_l = knee_deg * np.clip(np.sin(ph + 1.2), 0, None)
    knee_r = knee_deg * np.clip(np.sin(ph + 1.2 + np.pi), 0, None)
    sets = {
        "left_hip": rot_x(-hip_l), "right_hip": rot_x(-hip_r),
        "left_knee": rot_x(knee_l), "right_knee": rot_x(knee_r),
        # arms swing opposite to the same-side leg; lowering the arm = rotation toward the body about Y
        "left_shoulder": rot_x(-arm_deg * np.sin(ph + np.pi)) @ rot_y(arm_down_deg * np.ones_like(ph)),
        "right_shoulder": rot_x(-arm_deg * np.sin(ph)) @ rot_y(-arm_down_deg * np.ones_like(ph)),
    }
    # anny's reference elbow is bent 42 deg with the forearm forward; open it toward a relaxed hanging arm
    open_e = rot_x(elbow_open_deg * np.ones_like(ph))
    sets["left_elbow"] = open_e
    sets["right_elbow"] = open_e
    for name, r in sets.items():
        pose[:, model.semantic_index(name), :3, :3] = r
    root = model.semantic_index("root")
    pose[:, root, 0, 3] = 0.0
    pose[:, root, 1, 3] = -speed * t
    pose[:, root, 2, 3] = root_height + 0.02 * np.cos(2 * ph)  # two bobs per cycle
    return torch.as_tensor(pose, dtype=torch.float32)
