"""Retarget CMU BVH walking onto anny's default 104-bone rig, in anny's 'local-ref' pose convention.

The hybrid method of shared/notes/retarget-cmu-anny.md:
- thigh, shank, upper arm, forearm: bone-direction matching; thigh and upper arm also align the limb plane
  (hip-knee-ankle, shoulder-elbow-wrist) so the knee/elbow stay hinges (near-straight limbs fall back to the
  CMU joint's own rotation, blended smoothly);
- root, spine, neck, head, clavicles, feet, toes, wrists: rotation delta of the CMU joint vs the frame-0 T-pose
  (direction matching would tilt the head back ~33° and shrug the shoulders, because the skeletons disagree there).

Conventions: `G_b` is bone b's world rotation relative to anny's identity pose; the 'local-ref' pose parameter is
`D_b = G_parentᵀ·G_b` (world-aligned identity-pose axes); root `D_0 = G_root` plus a world translation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesh import rotations as rt
from mesh.bvh import BvhClip

#: 1 CMU BVH unit in metres (the CMU ASF `length 0.45` scale: 1 u = 1/0.45 inch).
CMU_UNIT_M = 0.05644
#: CMU axes (Y up, +Z forward) → anny axes (Z up, −Y forward): (x, y, z) → (x, −z, y).
CMU_TO_ANNY = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

# (CMU joint, anny bones it drives by rotation delta). A chain splits the delta evenly: each bone gets D^(1/k).
_DELTA_CHAINS = [
    ("LowerBack", ["spine05", "spine04"]),
    ("Spine", ["spine03", "spine02"]),
    ("Spine1", ["spine01"]),
    ("Neck", ["neck01", "neck02"]),
    ("Neck1", ["neck03"]),
    ("Head", ["head"]),
]
_DELTA_SIDED = [("{S}Shoulder", ["clavicle.{s}"]), ("{S}Foot", ["foot.{s}"]), ("{S}Hand", ["wrist.{s}"])]
# Sibling bones that each take the full delta of one CMU joint (the five toes hang from the foot).
_DELTA_SIBLINGS = [("{S}ToeBase", [f"toe{i}-1.{{s}}" for i in range(1, 6)])]
# Direction bones: anny bone, its ref tip bone, CMU segment (from, to), and for the plane twist the distal
# (anny tip, CMU joint) that closes the limb plane; None for the distal segments (pure direction).
_DIRECTION = [
    ("upperleg01.{s}", "lowerleg01.{s}", ("{S}UpLeg", "{S}Leg"), ("foot.{s}", "{S}Foot")),
    ("lowerleg01.{s}", "foot.{s}", ("{S}Leg", "{S}Foot"), None),
    ("upperarm01.{s}", "lowerarm01.{s}", ("{S}Arm", "{S}ForeArm"), ("wrist.{s}", "{S}Hand")),
    ("lowerarm01.{s}", "wrist.{s}", ("{S}ForeArm", "{S}Hand"), None),
]
_SIDES = (("L", "Left"), ("R", "Right"))
# The limb-plane twist needs a bent hinge; below this bend it blends to the CMU joint's own twist.
_PLANE_BEND_DEG = (6.0, 14.0)


def _sided(template: str, s: str, side: str) -> str:
    return template.replace("{s}", s).replace("{S}", side)


@dataclass
class AnnyReference:
    """anny's identity-pose skeleton: what retargeting aligns to (phenotypes fixed at build time)."""

    labels: list[str]
    parents: np.ndarray  # [104] int, root −1; parents come before children
    heads: np.ndarray  # [104, 3] bone heads at the identity pose (m, anny axes; root at the origin)
    sole_z: float  # height of the lowest mesh vertex at the identity pose (m; the floor under the body)

    @classmethod
    def from_model(cls, model, phenotype_kwargs: dict | None = None) -> AnnyReference:
        """Read the identity pose of an `anny.Anny` model (default phenotypes unless given)."""
        import torch

        with torch.no_grad():
            out = model(pose_parameters=None, phenotype_kwargs=phenotype_kwargs)
        heads = out["bone_poses"][0, :, :3, 3].double().numpy()
        sole_z = float(out["vertices"][0, :, 2].min())
        return cls(list(model.bone_labels), np.asarray(model.bone_parents, dtype=np.int64), heads, sole_z)

    def idx(self, name: str) -> int:
        """Index of the bone called `name`."""
        return self.labels.index(name)

    @property
    def leg_length(self) -> float:
        """Thigh + shank (upperleg01→lowerleg01→foot heads), mean of both sides, metres."""
        return float(np.mean([leg_length_from_heads(self.heads, self.labels, s) for s, _ in _SIDES]))

    @property
    def hip_mid(self) -> np.ndarray:
        """Midpoint of the two hip joints (upperleg01 heads) at the identity pose. [3]"""
        return 0.5 * (self.heads[self.idx("upperleg01.L")] + self.heads[self.idx("upperleg01.R")])


def leg_length_from_heads(heads: np.ndarray, labels: list[str], side: str = "L") -> float:
    """Leg length (m) of an anny skeleton from its identity-pose bone heads [104, 3]: |hip→knee| + |knee→ankle|.

    This is the `leg_length_m` that `mesh.motion.animate` expects (0.794 m at phenotypes 0.5).
    """
    h, k, a = (heads[labels.index(f"{n}.{side}")] for n in ("upperleg01", "lowerleg01", "foot"))
    return float(np.linalg.norm(k - h) + np.linalg.norm(a - k))


def cmu_leg_length(clip: BvhClip) -> float:
    """Thigh + shank of a CMU skeleton from its OFFSETs, mean of both sides, metres."""
    lengths = [
        np.linalg.norm(clip.offsets[clip.index(f"{side}Leg")])
        + np.linalg.norm(clip.offsets[clip.index(f"{side}Foot")])
        for _, side in _SIDES
    ]
    return float(np.mean(lengths)) * CMU_UNIT_M


@dataclass
class Retargeted:
    """A clip retargeted to anny (T-pose frame 0 dropped)."""

    rot: np.ndarray  # [f, 104, 3, 3] 'local-ref' rotations (root: world rotation)
    root_pos: np.ndarray  # [f, 3] world position of anny's root head (m, anny axes, CMU scaled by k)
    joints: np.ndarray  # [f, 31, 3] the CMU joints in anny axes, scaled by k (m)
    joint_names: list[str]  # the CMU joint names
    k: float  # scale applied to the CMU skeleton: anny leg / CMU leg
    fps: float

    def pose_matrices(self):
        """anny pose parameters as a torch float32 tensor [f, 104, 4, 4] ('local-ref')."""
        return pose_matrices(self.rot, self.root_pos)


def pose_matrices(rot: np.ndarray, root_pos: np.ndarray):
    """Pack 'local-ref' rotations [f, 104, 3, 3] and root positions [f, 3] into torch float32 [f, 104, 4, 4]."""
    import torch

    f, b = rot.shape[:2]
    pose = np.zeros((f, b, 4, 4), dtype=np.float32)  # [f, 104, 4, 4]
    pose[..., :3, :3] = rot
    pose[..., 3, 3] = 1.0
    pose[:, 0, :3, 3] = root_pos
    return torch.from_numpy(pose)


def local_ref_fk(rot: np.ndarray, root_pos: np.ndarray, heads: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Bone-head positions [f, b, 3] of an anny-style rig posed with 'local-ref' rotations, without anny.

    rot: [f, b, 3, 3] (root = world rotation); root_pos: [f, 3]; heads: [b, 3] identity-pose heads; parents: [b].
    Each bone turns about its head in identity-pose axes: `G_b = G_parent·D_b`,
    `head_b = head_parent + G_parent·(heads_b − heads_parent)` (matches anny's `bone_poses` translations).
    """
    f, b = rot.shape[:2]
    g = np.empty_like(rot)  # [f, b, 3, 3]
    p = np.empty((f, b, 3))  # [f, b, 3]
    g[:, 0], p[:, 0] = rot[:, 0], root_pos + rot[:, 0] @ heads[0]
    for i in range(1, b):
        par = parents[i]
        g[:, i] = g[:, par] @ rot[:, i]
        p[:, i] = p[:, par] + g[:, par] @ (heads[i] - heads[par])
    return p


def retarget_clip(clip: BvhClip, ref: AnnyReference, skip_first: bool = True) -> Retargeted:
    """Retarget a CMU clip to anny's 'local-ref' pose parameters (hybrid method, see the module docstring).

    Frame 0 is the CMU T-pose: it is the rest reference for rotation deltas and, with `skip_first`, is dropped.
    The CMU skeleton is scaled by k = anny leg / CMU leg so joint positions are comparable.
    """
    m = CMU_TO_ANNY
    rw, pw = clip.forward_kinematics()  # [f, j, 3, 3], [f, j, 3]
    k = ref.leg_length / cmu_leg_length(clip)
    pos = k * CMU_UNIT_M * np.einsum("ab,fjb->fja", m, pw)  # [f, j, 3] anny axes, metres
    # World-rotation change vs the T-pose, mapped to anny axes: M·R_w(t)·R_w(0)ᵀ·Mᵀ.
    delta = m @ rw @ np.swapaxes(rw[:1], -1, -2) @ m.T  # [f, j, 3, 3]
    first = 1 if skip_first else 0
    pos, delta, rw = pos[first:], delta[first:], rw[first:]
    n_f, n_b = len(pos), len(ref.labels)
    cj = clip.index

    G = np.zeros((n_f, n_b, 3, 3))  # world rotation vs identity, per bone
    have = np.zeros(n_b, dtype=bool)
    G[:, 0] = delta[:, cj("Hips")]
    have[0] = True

    def set_chain(bones: list[str], target: np.ndarray, siblings: bool = False) -> None:
        """Give `bones` (a parent→child chain, or siblings) the world rotation `target` [f, 3, 3]."""
        idx = [ref.idx(b) for b in bones]
        g_par = G[:, ref.parents[idx[0]]]
        assert have[ref.parents[idx[0]]], bones
        d = np.swapaxes(g_par, -1, -2) @ target  # [f, 3, 3]
        if siblings:
            for i in idx:
                G[:, i], have[i] = target, True
            return
        step = rt.power(d, 1.0 / len(idx))
        g = g_par
        for i in idx:
            g = g @ step
            G[:, i], have[i] = g, True

    # Bones are processed in index order (parents first); each rule fires when its first bone comes up.
    rules: dict[int, tuple] = {}
    for joint, bones in _DELTA_CHAINS:
        rules[ref.idx(bones[0])] = ("chain", bones, delta[:, cj(joint)])
    for s, side in _SIDES:
        for joint, bones in _DELTA_SIDED:
            bones = [_sided(b, s, side) for b in bones]
            rules[ref.idx(bones[0])] = ("chain", bones, delta[:, cj(_sided(joint, s, side))])
        for joint, bones in _DELTA_SIBLINGS:
            bones = [_sided(b, s, side) for b in bones]
            for b in bones:
                rules[ref.idx(b)] = ("sib", [b], delta[:, cj(_sided(joint, s, side))])
        for bone, tip, (c0, c1), plane in _DIRECTION:
            rules[ref.idx(_sided(bone, s, side))] = (
                "dir",
                _sided(bone, s, side),
                _sided(tip, s, side),
                (cj(_sided(c0, s, side)), cj(_sided(c1, s, side))),
                None if plane is None else (_sided(plane[0], s, side), cj(_sided(plane[1], s, side))),
            )

    for b in range(1, n_b):
        if have[b]:
            continue
        rule = rules.get(b)
        if rule is None:
            G[:, b], have[b] = G[:, ref.parents[b]], True
        elif rule[0] in ("chain", "sib"):
            set_chain(rule[1], rule[2], siblings=rule[0] == "sib")
        else:
            _, bone, tip, (c0, c1), plane = rule
            G[:, b] = _direction_rotation(
                ref, bone, tip, pos, c0, c1, plane, G[:, ref.parents[b]], delta[:, c0]
            )
            have[b] = True

    rot = np.swapaxes(G[:, ref.parents[1:]], -1, -2) @ G[:, 1:]  # [f, 103, 3, 3]
    rot = np.concatenate([G[:, :1], rot], axis=1)  # [f, 104, 3, 3]
    hip_mid = 0.5 * (pos[:, cj("LeftUpLeg")] + pos[:, cj("RightUpLeg")])  # [f, 3]
    root_pos = hip_mid - G[:, 0] @ ref.hip_mid
    return Retargeted(rot, root_pos, pos, list(clip.names), k, clip.fps)


def _direction_rotation(ref, bone, tip, pos, c0, c1, plane, g_par, delta_c0) -> np.ndarray:
    """World rotation [f, 3, 3] that points `bone` along the CMU segment c0→c1 (see the module docstring)."""
    d_ref = ref.heads[ref.idx(tip)] - ref.heads[ref.idx(bone)]  # [3]
    d_t = pos[:, c1] - pos[:, c0]  # [f, 3]
    if plane is None:
        # Smallest rotation from where the parent carries the bone to the target: the twist stays the parent's.
        carried = np.einsum("fab,b->fa", g_par, d_ref)
        return rt.min_rotation(carried, d_t) @ g_par
    tip2, c2 = plane
    e_ref = ref.heads[ref.idx(tip2)] - ref.heads[ref.idx(tip)]
    e_t = pos[:, c2] - pos[:, c1]
    n_ref, n_t = np.cross(d_ref, e_ref), np.cross(d_t, e_t)
    g_plane = rt.frame(d_t, n_t) @ rt.frame(d_ref, n_ref).T  # [f, 3, 3]
    # Fallback for a straight limb: the CMU joint's own rotation change, pre-aligned from anny's rest direction
    # to the CMU T-pose direction (maps d_ref exactly onto d_t).
    d_tpose = np.einsum("ab,fb->fa", np.swapaxes(delta_c0[0], -1, -2), d_t[:1])[0]
    g_delta = delta_c0 @ rt.min_rotation(d_ref, d_tpose)
    bend = np.degrees(np.arccos(np.clip((rt.normalize(d_t) * rt.normalize(e_t)).sum(-1), -1, 1)))  # [f]
    lo, hi = _PLANE_BEND_DEG
    w = np.clip((bend - lo) / (hi - lo), 0.0, 1.0)
    w = w * w * (3 - 2 * w)  # smoothstep
    return rt.slerp(g_delta, g_plane, w)


def joint_errors_cm(ret: Retargeted, bone_heads: np.ndarray, ref: AnnyReference) -> dict[str, np.ndarray]:
    """Distance (cm) per frame between anny's posed bone heads [f, 104, 3] and the scaled CMU joints.

    Keys: hip, knee, ankle, ball, shoulder, elbow, wrist (mean of both sides, [f]); elbow_rel, wrist_rel (the
    same after putting both shoulders at one point); thorax (spine01 vs CMU Spine1, [f]). The axial chain is
    transferred by rotation, not position, so the shoulders sit where each skeleton's trunk puts them.
    """
    pairs = {
        "hip": ("upperleg01.{s}", "{S}UpLeg"),
        "knee": ("lowerleg01.{s}", "{S}Leg"),
        "ankle": ("foot.{s}", "{S}Foot"),
        "ball": ("toe3-1.{s}", "{S}ToeBase"),
        "shoulder": ("upperarm01.{s}", "{S}Arm"),
        "elbow": ("lowerarm01.{s}", "{S}ForeArm"),
        "wrist": ("wrist.{s}", "{S}Hand"),
    }
    out = {}
    for key, (a, c) in pairs.items():
        errs = [
            np.linalg.norm(
                bone_heads[:, ref.idx(_sided(a, s, side))]
                - ret.joints[:, ret.joint_names.index(_sided(c, s, side))],
                axis=-1,
            )
            for s, side in _SIDES
        ]
        out[key] = 100 * np.mean(errs, axis=0)
    # Arm shape independent of where each skeleton puts its shoulder (the trunks differ by 5–15 cm there).
    for key, a, c in (("elbow_rel", "lowerarm01.{s}", "{S}ForeArm"), ("wrist_rel", "wrist.{s}", "{S}Hand")):
        errs = []
        for s, side in _SIDES:
            sa, sc = ref.idx(f"upperarm01.{s}"), ret.joint_names.index(f"{side}Arm")
            va = bone_heads[:, ref.idx(_sided(a, s, side))] - bone_heads[:, sa]
            vc = ret.joints[:, ret.joint_names.index(_sided(c, s, side))] - ret.joints[:, sc]
            errs.append(np.linalg.norm(va - vc, axis=-1))
        out[key] = 100 * np.mean(errs, axis=0)
    for key, a, c in (("thorax", "spine01", "Spine1"),):
        out[key] = 100 * np.linalg.norm(
            bone_heads[:, ref.idx(a)] - ret.joints[:, ret.joint_names.index(c)], axis=-1
        )
    return out
