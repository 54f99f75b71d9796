"""Body models behind one interface: anny (open default) and SMPL via `smplx` (when the user has the files).

Shared conventions (both backends):
- world axes are anny's: Z up, metres, the body faces -Y, +X is the body's left;
- pose: `[B, J, 4, 4]` 'local-ref' transforms. For every joint j, `pose[:, j, :3, :3] = G_parent^T G_j`, where
  `G_j` is the joint's world rotation relative to the model's reference pose, expressed in world axes (not in the
  bone's own axes) and applied about the joint. `pose[:, 0]` is the root's world transform: its translation is
  the world position of the root joint. The other joints' translations are ignored (keep them 0).
  This is exactly anny's default 'local-ref' convention; for SMPL it is SMPL's own local rotations conjugated
  from SMPL axes (Y up, facing +Z) into ours.
- output `bone_transforms[:, j]`: rotation `G_j` and translation = the joint's world position (bone head). At
  the reference pose every rotation is the identity, so offsets for attached objects can be written in world
  axes of the reference pose (e.g. "+Y is behind the back").
- the reference pose is the model's identity pose: anny's MakeHuman A-pose, SMPL's T-pose.
"""

from __future__ import annotations

import contextlib
import io
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gaitcraft.errors import ConfigError, DataError

#: Joint names that accessories and ground truth use, mapped to each backend's own joints.
SEMANTIC_JOINTS: tuple[str, ...] = (
    "root", "spine_low", "spine_mid", "chest", "neck", "head",
    "left_hip", "left_knee", "left_ankle", "right_hip", "right_knee", "right_ankle",
    "left_collar", "left_shoulder", "left_elbow", "left_wrist",
    "right_collar", "right_shoulder", "right_elbow", "right_wrist",
)

#: Body regions (for clothing) that each backend maps to the joints whose skinning weights define them.
REGIONS: tuple[str, ...] = ("hips", "torso", "neck", "shoulders", "upper_legs", "lower_legs", "upper_arms",
                             "lower_arms", "head")

#: SMPL -> GaitCraft axes: (x, y, z)_smpl -> (x, -z, y), a +90 deg rotation about X (SMPL is Y up, faces +Z).
SMPL_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass
class BodyOutput:
    """A posed batch of bodies. Tensors are float32 on CPU."""

    vertices: torch.Tensor  # [B, V, 3] world
    joints: torch.Tensor  # [B, J, 3] world joint positions (bone heads)
    bone_transforms: torch.Tensor  # [B, J, 4, 4] rotation relative to the reference pose + joint position
    faces: np.ndarray  # [F, 3] int64, counter-clockwise seen from outside


class BodyModel(ABC):
    """A posable, shape-parameterised, closed triangle mesh with a skeleton."""

    #: backend name ('anny', 'smpl')
    name: str
    #: the backend's own joint names, in pose order
    joint_names: list[str]
    #: parent index per joint (-1 for the root)
    parents: list[int]
    #: [F, 3] int64 faces, outward winding
    faces: np.ndarray

    @abstractmethod
    def forward(self, pose: torch.Tensor | None = None, shape=None, batch: int = 1) -> BodyOutput:
        """Pose `[B, J, 4, 4]` ('local-ref', see module doc) and shape parameters -> posed `BodyOutput`."""

    @abstractmethod
    def semantic_index(self, name: str) -> int:
        """The index of a `SEMANTIC_JOINTS` name in this backend's joints."""

    @abstractmethod
    def region_weights(self, region: str) -> np.ndarray:
        """Per-vertex membership `[V]` in [0, 1] of a `REGIONS` body region (summed skinning weights)."""

    @property
    def n_joints(self) -> int:
        """Number of joints (= pose rows)."""
        return len(self.joint_names)

    def identity_pose(self, batch: int = 1) -> torch.Tensor:
        """The reference pose `[B, J, 4, 4]` (all identity, root at the origin)."""
        return torch.eye(4).expand(batch, self.n_joints, 4, 4).clone()

    def __call__(self, pose: torch.Tensor | None = None, shape=None, batch: int = 1) -> BodyOutput:
        """Alias of `forward`."""
        return self.forward(pose, shape, batch)


def _check_pose(pose: torch.Tensor, n_joints: int) -> torch.Tensor:
    """Validate a `[B, J, 4, 4]` pose tensor."""
    if not isinstance(pose, torch.Tensor):
        pose = torch.as_tensor(np.asarray(pose))
    if pose.ndim != 4 or pose.shape[1:] != (n_joints, 4, 4):
        raise ConfigError(f"pose must be [B, {n_joints}, 4, 4], got {tuple(pose.shape)}")
    return pose


# --------------------------------------------------------------------------------------------------------- anny

#: anny phenotype names and their valid ranges (anny clamps outside them; we refuse instead).
ANNY_PHENOTYPES: dict[str, tuple[float, float]] = {
    "gender": (0.0, 1.0),  # 0 male, 1 female
    "age": (-1.0 / 3.0, 1.0),  # -1/3 newborn, 0 baby, 1/3 child, 2/3 young adult, 1 old
    "muscle": (0.0, 1.0),
    "weight": (0.0, 1.0),
    "height": (0.0, 1.0),
    "proportions": (0.0, 1.0),
}
#: Adults are age >= 2/3 on anny's scale.
ANNY_ADULT_AGE = 2.0 / 3.0
#: How adult anny bodies are drawn (`sample_adult_phenotypes`): per phenotype (distribution, a, b, lo, hi) with
#: 'uniform' on [a, b] or 'normal' with mean a and sd b, clipped to [lo, hi]. Gender is drawn apart (see there).
ADULT_PHENOTYPES: dict[str, tuple[str, float, float, float, float]] = {
    "age": ("uniform", ANNY_ADULT_AGE, 1.0, ANNY_ADULT_AGE, 1.0),
    "muscle": ("uniform", 0.15, 0.75, 0.0, 1.0),
    "weight": ("normal", 0.55, 0.2, 0.1, 1.0),
    "height": ("normal", 0.42, 0.1, 0.2, 0.7),
    "proportions": ("uniform", 0.3, 0.7, 0.0, 1.0),
}
#: Share of male bodies, and how far a body's gender value strays from its pole (0 male, 1 female).
ADULT_MALE_SHARE = 0.75
ADULT_GENDER_SPREAD = 0.3


def sample_adult_phenotypes(rng: np.random.Generator) -> dict[str, float]:
    """Draw one adult anny body: gender near its pole (male with `ADULT_MALE_SHARE`, at most
    `ADULT_GENDER_SPREAD` from it), the rest from `ADULT_PHENOTYPES`; all within `ANNY_PHENOTYPES`."""
    male = rng.random() < ADULT_MALE_SHARE
    off = float(rng.uniform(0.0, ADULT_GENDER_SPREAD))
    out = {"gender": off if male else 1.0 - off}
    for name, (dist, a, b, lo, hi) in ADULT_PHENOTYPES.items():
        x = rng.uniform(a, b) if dist == "uniform" else rng.normal(a, b)
        out[name] = float(np.clip(x, lo, hi))
    return out

_ANNY_SEMANTIC = {
    "root": "root", "spine_low": "spine04", "spine_mid": "spine03", "chest": "spine01", "neck": "neck01",
    "head": "head", "left_hip": "upperleg01.L", "left_knee": "lowerleg01.L", "left_ankle": "foot.L",
    "right_hip": "upperleg01.R", "right_knee": "lowerleg01.R", "right_ankle": "foot.R",
    "left_collar": "clavicle.L", "left_shoulder": "upperarm01.L", "left_elbow": "lowerarm01.L",
    "left_wrist": "wrist.L", "right_collar": "clavicle.R", "right_shoulder": "upperarm01.R",
    "right_elbow": "lowerarm01.R", "right_wrist": "wrist.R",
}
_ANNY_REGIONS = {
    "hips": ["root", "pelvis.L", "pelvis.R"],
    "torso": ["spine05", "spine04", "spine03", "spine02", "spine01"],
    "neck": ["neck01", "neck02", "neck03"],
    "head": ["head"],
    "shoulders": ["clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R"],
    "upper_legs": ["upperleg01.L", "upperleg02.L", "upperleg01.R", "upperleg02.R"],
    "lower_legs": ["lowerleg01.L", "lowerleg02.L", "lowerleg01.R", "lowerleg02.R"],
    "upper_arms": ["upperarm01.L", "upperarm02.L", "upperarm01.R", "upperarm02.R"],
    "lower_arms": ["lowerarm01.L", "lowerarm02.L", "lowerarm01.R", "lowerarm02.R"],
}


class AnnyBody(BodyModel):
    """The open default body: PyPI `anny` (MakeHuman-based; 104 bones, 13,718 vertices, 27,420 triangles).

    Shape = phenotypes: a mapping {name: float or [B] values} over `ANNY_PHENOTYPES` (missing ones default to
    0.5), or a tensor `[B, 6]` in `ANNY_PHENOTYPES` order. Pose = `[B, 104, 4, 4]` 'local-ref'.
    """

    name = "anny"

    def __init__(self, model=None):
        """Wrap an `anny.Anny()` model; by default the shared cached one from `mesh.anny_model.load_anny`."""
        if model is None:
            from mesh.anny_model import load_anny

            model = load_anny()
        self.model = model
        self.joint_names = list(model.bone_labels)
        self.parents = [int(p) for p in model.bone_parents]
        self.faces = model.faces.detach().cpu().numpy().astype(np.int64)
        self._index = {n: i for i, n in enumerate(self.joint_names)}
        # the bones' orientation at the reference (identity) pose, phenotype independent (checked numerically)
        self._ref_rot_t = model.reference_bone_orientations.detach().transpose(-1, -2).to(torch.float64)
        self._vb_idx = model.vertex_bone_indices.detach().cpu().numpy()  # [V, 9]
        self._vb_w = model.vertex_bone_weights.detach().cpu().numpy()  # [V, 9]

    def _phenotypes(self, shape, batch: int) -> dict[str, torch.Tensor]:
        """Validated phenotype kwargs for anny's forward."""
        if shape is None:
            shape = {}
        if isinstance(shape, torch.Tensor | np.ndarray):
            arr = torch.as_tensor(np.asarray(shape), dtype=torch.float64)
            if arr.ndim != 2 or arr.shape[1] != len(ANNY_PHENOTYPES):
                raise ConfigError(f"anny phenotypes tensor must be [B, {len(ANNY_PHENOTYPES)}] "
                                  f"({', '.join(ANNY_PHENOTYPES)}), got {tuple(arr.shape)}")
            shape = {k: arr[:, i] for i, k in enumerate(ANNY_PHENOTYPES)}
        if not isinstance(shape, Mapping):
            raise ConfigError(f"anny phenotypes must be a mapping or a [B, 6] tensor, got {type(shape).__name__}")
        unknown = sorted(set(shape) - set(ANNY_PHENOTYPES))
        if unknown:
            raise ConfigError(f"unknown anny phenotype(s) {unknown}; valid: {', '.join(ANNY_PHENOTYPES)}")
        out = {}
        for key, (lo, hi) in ANNY_PHENOTYPES.items():
            val = torch.as_tensor(shape.get(key, 0.5), dtype=torch.float64).reshape(-1)
            if torch.any(val < lo - 1e-9) or torch.any(val > hi + 1e-9) or not torch.all(torch.isfinite(val)):
                raise ConfigError(f"anny phenotype {key} must lie in [{lo:.3g}, {hi:.3g}], got {val.tolist()}")
            if val.numel() not in (1, batch):
                raise ConfigError(f"anny phenotype {key} has {val.numel()} values for a batch of {batch}")
            # keep shared values scalar: anny then builds the rest shape once, not once per batch item
            out[key] = val
        return out

    def forward(self, pose: torch.Tensor | None = None, shape=None, batch: int = 1) -> BodyOutput:
        """Posed anny bodies. `pose` [B, 104, 4, 4], or None for the reference pose (`batch` copies, or one
        per per-sample phenotype value)."""
        if pose is None:
            sizes = [np.asarray(v).size for v in shape.values()] if isinstance(shape, Mapping) else \
                [len(shape)] if shape is not None else []
            pose = self.identity_pose(max([batch, *sizes]))
        pose = _check_pose(pose, self.n_joints)
        b = pose.shape[0]
        pheno = self._phenotypes(shape, b)
        with torch.no_grad():
            out = self.model(pose_parameters=pose.to(self.model.dtype), phenotype_kwargs=pheno)
        bp = out["bone_poses"]  # [B, 104, 4, 4]; rotation = G_b U_b (posed orientation incl. reference)
        tf = bp.clone()
        tf[..., :3, :3] = bp[..., :3, :3] @ self._ref_rot_t  # G_b = (G_b U_b) U_b^T
        return BodyOutput(vertices=out["vertices"].float(), joints=bp[..., :3, 3].float(),
                          bone_transforms=tf.float(), faces=self.faces)

    def semantic_index(self, name: str) -> int:
        """Index of a semantic joint name in anny's 104 bones."""
        if name not in _ANNY_SEMANTIC:
            raise ConfigError(f"unknown joint {name!r}; valid: {', '.join(SEMANTIC_JOINTS)}")
        return self._index[_ANNY_SEMANTIC[name]]

    def region_weights(self, region: str) -> np.ndarray:
        """Summed anny skinning weights `[V]` of the bones making up `region`."""
        if region not in _ANNY_REGIONS:
            raise ConfigError(f"unknown body region {region!r}; valid: {', '.join(REGIONS)}")
        ids = np.array([self._index[n] for n in _ANNY_REGIONS[region]])
        return (self._vb_w * np.isin(self._vb_idx, ids)).sum(axis=1).clip(0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------------------------------------- SMPL

#: Keys an SMPL `.npz` must hold (the `smplx` data struct).
SMPL_KEYS: tuple[str, ...] = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")

SMPL_JOINT_NAMES: list[str] = [
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand",
    "right_hand",
]
_SMPL_SEMANTIC = {
    "root": "pelvis", "spine_low": "spine1", "spine_mid": "spine2", "chest": "spine3", "neck": "neck",
    "head": "head", "left_hip": "left_hip", "left_knee": "left_knee", "left_ankle": "left_ankle",
    "right_hip": "right_hip", "right_knee": "right_knee", "right_ankle": "right_ankle",
    "left_collar": "left_collar", "left_shoulder": "left_shoulder", "left_elbow": "left_elbow",
    "left_wrist": "left_wrist", "right_collar": "right_collar", "right_shoulder": "right_shoulder",
    "right_elbow": "right_elbow", "right_wrist": "right_wrist",
}
# an SMPL joint's skinning weights move the segment *below* it (left_hip moves the thigh)
_SMPL_REGIONS = {
    "hips": ["pelvis"],
    "torso": ["spine1", "spine2", "spine3"],
    "neck": ["neck"],
    "head": ["head"],
    "shoulders": ["left_collar", "right_collar"],
    "upper_legs": ["left_hip", "right_hip"],
    "lower_legs": ["left_knee", "right_knee"],
    "upper_arms": ["left_shoulder", "right_shoulder"],
    "lower_arms": ["left_elbow", "right_elbow"],
}
_SMPL_VERTEX_ID_KEYS = ("nose", "reye", "leye", "rear", "lear", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
                        "RSmallToe", "RHeel", "lthumb", "lindex", "lmiddle", "lring", "lpinky", "rthumb",
                        "rindex", "rmiddle", "rring", "rpinky")


def load_smpl_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read an SMPL `.npz` (see `mesh.smpl_convert`) with pickles disabled; missing keys are a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("SMPL model file not found", path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise DataError(f"not a readable SMPL .npz ({e}); convert official .pkl files with "
                        "`gaitcraft mesh convert-smpl`", path) from None
    missing = [k for k in SMPL_KEYS if k not in data]
    if missing:
        raise ConfigError(f"SMPL model is missing key(s) {', '.join(missing)} (needs {', '.join(SMPL_KEYS)})", path)
    n_v = data["v_template"].shape[0]
    checks = {
        "v_template": data["v_template"].shape == (n_v, 3),
        "shapedirs": data["shapedirs"].ndim == 3 and data["shapedirs"].shape[:2] == (n_v, 3),
        "posedirs": data["posedirs"].ndim == 3 and data["posedirs"].shape[:2] == (n_v, 3),
        "J_regressor": data["J_regressor"].shape == (24, n_v),
        "weights": data["weights"].shape == (n_v, 24),
        "kintree_table": data["kintree_table"].shape == (2, 24),
        "f": data["f"].ndim == 2 and data["f"].shape[1] == 3,
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise DataError(f"SMPL model has wrongly shaped key(s) {', '.join(bad)} for {n_v} vertices and 24 joints",
                        path)
    return data


class SmplBody(BodyModel):
    """SMPL through `smplx.SMPL(model_path=None, data_struct=...)`, in GaitCraft axes and pose convention.

    Shape = betas `[B, n_betas]` (or None for the mean shape). Pose = `[B, 24, 4, 4]` 'local-ref' in GaitCraft
    axes (see module doc); the reference pose is SMPL's T-pose standing Z-up, facing -Y.
    `vertex_ids` is smplx's extra-keypoint vertex map; the default suits the official 6,890-vertex mesh.
    """

    name = "smpl"

    def __init__(self, path: str | Path, num_betas: int = 10, vertex_ids: dict[str, int] | None = None):
        """Load an SMPL `.npz` with the keys in `SMPL_KEYS`."""
        import smplx
        from smplx.utils import Struct

        data = load_smpl_npz(path)
        n_v = data["v_template"].shape[0]
        if vertex_ids is None and n_v != 6890:
            # smplx's default keypoint vertices index the official 6,890-vertex mesh
            vertex_ids = {k: 0 for k in _SMPL_VERTEX_ID_KEYS}
        kw = {} if vertex_ids is None else {"vertex_ids": vertex_ids}
        num_betas = min(num_betas, data["shapedirs"].shape[-1])
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a warning for 10-beta models
            self.model = smplx.SMPL(model_path=None, data_struct=Struct(**data), num_betas=num_betas, **kw)
        self.model.eval()
        self.num_betas = num_betas
        self.joint_names = list(SMPL_JOINT_NAMES)
        self.parents = [-1] + [int(p) for p in data["kintree_table"][0, 1:]]
        self.faces = np.asarray(data["f"], dtype=np.int64)
        self._weights = np.asarray(data["weights"], dtype=np.float32)  # [V, 24]
        self._m = torch.as_tensor(SMPL_TO_WORLD, dtype=torch.float32)

    def forward(self, pose: torch.Tensor | None = None, shape=None, batch: int = 1) -> BodyOutput:
        """Posed SMPL bodies in GaitCraft axes. `pose` [B, 24, 4, 4] or None; `shape` betas [B, n] or None."""
        pose = self.identity_pose(batch) if pose is None else _check_pose(pose, self.n_joints)
        pose = pose.float()
        b = pose.shape[0]
        betas = torch.zeros(b, self.num_betas) if shape is None else torch.as_tensor(np.asarray(shape)).float()
        if betas.ndim == 1:
            betas = betas[None].expand(b, -1)
        if betas.shape != (b, self.num_betas):
            raise ConfigError(f"SMPL betas must be [B, {self.num_betas}], got {tuple(betas.shape)}")
        m = self._m
        rot = pose[..., :3, :3]  # [B, 24, 3, 3] in GaitCraft axes
        rot_smpl = m.T @ rot @ m  # same rotations in SMPL axes
        with torch.no_grad():
            # pose2rot=False: smplx concatenates these along dim 1 into [B, 24, 3, 3] rotation matrices
            out = self.model(betas=betas, global_orient=rot_smpl[:, :1], body_pose=rot_smpl[:, 1:],
                             transl=torch.zeros(b, 3), pose2rot=False)
        root_t = pose[:, 0, :3, 3]  # [B, 3]
        joints_smpl = out.joints[:, :24]  # [B, 24, 3]
        # put the root joint at the requested world position, in GaitCraft axes
        verts = (out.vertices - joints_smpl[:, :1]) @ m.T + root_t[:, None]
        joints = (joints_smpl - joints_smpl[:, :1]) @ m.T + root_t[:, None]
        g = [rot[:, 0]]  # world rotations relative to the reference pose: G_j = G_parent D_j
        for j in range(1, 24):
            g.append(g[self.parents[j]] @ rot[:, j])
        tf = torch.eye(4).repeat(b, 24, 1, 1)
        tf[..., :3, :3] = torch.stack(g, dim=1)
        tf[..., :3, 3] = joints
        return BodyOutput(vertices=verts.float(), joints=joints.float(), bone_transforms=tf, faces=self.faces)

    def semantic_index(self, name: str) -> int:
        """Index of a semantic joint name in SMPL's 24 joints."""
        if name not in _SMPL_SEMANTIC:
            raise ConfigError(f"unknown joint {name!r}; valid: {', '.join(SEMANTIC_JOINTS)}")
        return SMPL_JOINT_NAMES.index(_SMPL_SEMANTIC[name])

    def region_weights(self, region: str) -> np.ndarray:
        """Summed SMPL skinning weights `[V]` of the joints making up `region`."""
        if region not in _SMPL_REGIONS:
            raise ConfigError(f"unknown body region {region!r}; valid: {', '.join(REGIONS)}")
        ids = [SMPL_JOINT_NAMES.index(n) for n in _SMPL_REGIONS[region]]
        return self._weights[:, ids].sum(axis=1).clip(0.0, 1.0)


_SHARED_ANNY: AnnyBody | None = None


def shared_anny_body() -> AnnyBody:
    """The process's one `AnnyBody`, built on first use: every walker rendered in a process (dataset units,
    audit cases) poses the same body model instead of wrapping anny again."""
    global _SHARED_ANNY
    if _SHARED_ANNY is None:
        _SHARED_ANNY = AnnyBody()
    return _SHARED_ANNY


def load_body_model(kind: str = "anny", path: str | Path | None = None) -> BodyModel:
    """Make a body model by name: 'anny' (default, needs no files) or 'smpl' (needs `path` to an `.npz`)."""
    if kind == "anny":
        return AnnyBody()
    if kind == "smpl":
        if path is None:
            raise ConfigError("the SMPL body model needs a model file (.npz; convert .pkl with `gaitcraft mesh convert-smpl`)")
        return SmplBody(path)
    raise ConfigError(f"unknown body model {kind!r}; valid: anny, smpl")
