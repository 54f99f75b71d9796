"""Read the procedural dataset's ground-truth sidecars and turn them into body-frame training targets.

A sidecar `ROOT/groundtruth/<id>/<type>.npz` describes one walk filmed from every view: world bone heads
`joints` [T, 104, 3], anny 'local-ref' rotations (`pose` [T, 104, 3, 3] or `pose_axis_angle` [T, 104, 3]),
`root_translation` [T, 3], `phenotypes` [6] (named by `phenotype_names` when present, else in
`mesh.body_model.ANNY_PHENOTYPES` order), `views` [V], world->camera `cam_R` [V, T, 3, 3], and which rendered
frames survived pretreatment: `kept` [V, T] bool or `frame_index` ([T'] shared, or [V, T'] per view).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from gaitcraft.errors import DataError
from mesh.reconstruction.body_layer import PHENOTYPE_NAMES
from mesh.reconstruction.geometry import camera_view_rotation, heading_rotation, to_body_frame

GT_DIR = "groundtruth"


@dataclass
class WalkTruth:
    """One walk's ground truth, normalised."""

    joints: np.ndarray  # [T, 104, 3] world bone heads (m)
    rot: np.ndarray  # [T, 104, 3, 3] 'local-ref' rotations (root: world rotation)
    phenotypes: np.ndarray  # [6] in PHENOTYPE_NAMES order
    views: np.ndarray  # [V] degrees
    cam_R: np.ndarray  # [V, T, 3, 3] world -> camera
    frames: list[np.ndarray]  # per view: original frame index of each pretreated frame

    @property
    def heading(self) -> np.ndarray:
        """World rotation [3, 3] of the body frame (walking direction -> −Y)."""
        return heading_rotation(self.joints[:, 0])

    def view_index(self, view: float) -> int:
        """Index of the view `view` (degrees) in this walk."""
        hit = np.flatnonzero(np.isclose(self.views, view, atol=1e-3))
        if not len(hit):
            raise DataError(f"view {view:g} not in the ground truth's views {self.views.tolist()}")
        return int(hit[0])

    def targets(self, view: float, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Body-frame targets of pretreated frames `idx` [t] of view `view`.

        Returns joints [t, 104, 3] (root-relative), rot [t, 104, 3, 3] (root rotation relative to the body
        frame), view_R [t, 3, 3] (body -> view frame), frame [t] original frame ids.
        """
        v = self.view_index(view)
        orig = self.frames[v][idx]
        head = self.heading
        rot = self.rot[orig].copy()
        rot[:, 0] = head.T @ rot[:, 0]
        return {"joints": to_body_frame(self.joints[orig], self.joints[orig, 0], head).astype(np.float32),
                "rot": rot.astype(np.float32),
                "view_R": camera_view_rotation(self.cam_R[v, orig], head).astype(np.float32),
                "frame": orig}


def gt_path(root: str | Path, subject: str, seq_type: str) -> Path:
    """Where a walk's sidecar lives."""
    return Path(root) / GT_DIR / subject / f"{seq_type}.npz"


def load_walk_truth(path: str | Path) -> WalkTruth:
    """Read and normalise a sidecar; a missing or malformed one is a `DataError` naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no ground-truth sidecar (3D reconstruction training needs the procedural dataset)", path)
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise DataError(f"unreadable ground-truth sidecar ({e})", path) from None
    missing = [k for k in ("joints", "phenotypes", "views", "cam_R") if k not in d]
    if "pose" not in d and "pose_axis_angle" not in d:
        missing.append("pose")
    if missing:
        raise DataError(f"ground-truth sidecar lacks {missing}", path)
    joints = d["joints"].astype(np.float64)
    n_t = len(joints)
    if "pose" in d:
        rot = d["pose"].astype(np.float64)[..., :3, :3]
    else:
        aa = d["pose_axis_angle"].astype(np.float64)
        rot = Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(*aa.shape[:2], 3, 3)
    ph = d["phenotypes"].astype(np.float32)
    if "phenotype_names" in d:
        names = [str(n) for n in d["phenotype_names"]]
        ph = np.array([ph[names.index(n)] for n in PHENOTYPE_NAMES], np.float32)
    views = d["views"].astype(np.float64).reshape(-1)
    if "kept" in d:
        frames = [np.flatnonzero(k) for k in d["kept"]]
    elif "frame_index" in d:
        fi = d["frame_index"].astype(np.int64)
        frames = [fi] * len(views) if fi.ndim == 1 else list(fi)
    else:
        frames = [np.arange(n_t)] * len(views)
    if rot.shape != (n_t, joints.shape[1], 3, 3) or d["cam_R"].shape[:2] != (len(views), n_t):
        raise DataError(f"ground-truth sidecar shapes disagree: joints {joints.shape}, pose {rot.shape}, "
                        f"cam_R {d['cam_R'].shape}, {len(views)} views", path)
    return WalkTruth(joints, rot, ph, views, d["cam_R"].astype(np.float64), frames)
