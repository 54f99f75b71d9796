"""SMPL output for any reconstruction: fit SMPL (via `smplx`, when the user has the model file) to the
reconstructed joints, so a reconstruction also comes out as an SMPL mesh and SMPL pose parameters.

The 20 semantic joints of `mesh.body_model.SEMANTIC_JOINTS` pair the anny joints with SMPL's. Per frame the
24 SMPL rotations (6D), one set of betas and one offset per sequence are fitted with Adam to the root-relative
joints; weak priors keep unconstrained joints (hands, feet tips) and betas near rest, and motion smooth.
"""

from __future__ import annotations

import numpy as np
import torch

from mesh.body_model import SEMANTIC_JOINTS, SMPL_TO_WORLD, SmplBody
from mesh.reconstruction.geometry import rot6d_to_matrix


def smpl_forward(smpl: SmplBody, rot: torch.Tensor, betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Differentiable SMPL in GaitCraft axes: 'local-ref' rotations [b, 24, 3, 3], betas [b, n] ->
    (joints [b, 24, 3], vertices [b, V, 3]), both relative to the pelvis (same conventions as `SmplBody`)."""
    b = rot.shape[0]
    m = torch.as_tensor(SMPL_TO_WORLD, dtype=torch.float32)
    rot_smpl = m.T @ rot @ m
    out = smpl.model(betas=betas, global_orient=rot_smpl[:, :1], body_pose=rot_smpl[:, 1:],
                     transl=torch.zeros(b, 3), pose2rot=False)
    j = out.joints[:, :24]
    return (j - j[:, :1]) @ m.T, (out.vertices - j[:, :1]) @ m.T


def fit_smpl(smpl: SmplBody, joints: np.ndarray, anny_semantic: dict[str, int], iters: int = 200,
             lr: float = 0.05) -> dict[str, np.ndarray]:
    """Fit SMPL to body-frame joints [t, J, 3]; `anny_semantic` maps each SEMANTIC_JOINTS name to its column
    in `joints`. Returns pose [t, 24, 4, 4] ('local-ref'), betas [n], vertices [t, V, 3], faces, and the
    mean joint error in mm."""
    t = len(joints)
    src = torch.as_tensor(np.asarray(joints), dtype=torch.float32)[:, [anny_semantic[n] for n in SEMANTIC_JOINTS]]
    dst_idx = [smpl.semantic_index(n) for n in SEMANTIC_JOINTS]
    six = torch.tensor([1.0, 0, 0, 0, 1, 0]).repeat(t, 24, 1).requires_grad_(True)  # [t, 24, 6]
    betas = torch.zeros(1, smpl.num_betas, requires_grad=True)
    offset = torch.zeros(1, 1, 3, requires_grad=True)
    opt = torch.optim.Adam([six, betas, offset], lr=lr)
    for _ in range(iters):
        rot = rot6d_to_matrix(six)
        pj, _ = smpl_forward(smpl, rot, betas.expand(t, -1))
        err = (pj[:, dst_idx] + offset - src).norm(dim=-1).mean()
        prior = 1e-3 * (rot - torch.eye(3)).square().sum((-1, -2)).mean() + 1e-3 * betas.square().mean()
        smooth = 1e-2 * (six[1:] - six[:-1]).square().mean() if t > 1 else 0.0
        loss = err + prior + smooth
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        rot = rot6d_to_matrix(six)
        pj, verts = smpl_forward(smpl, rot, betas.expand(t, -1))
        err = float((pj[:, dst_idx] + offset - src).norm(dim=-1).mean())
    pose = torch.eye(4).repeat(t, 24, 1, 1)
    pose[..., :3, :3] = rot
    return {"pose": pose.numpy(), "betas": betas[0].detach().numpy(), "vertices": (verts + offset).detach().numpy(),
            "faces": smpl.faces, "joint_error_mm": 1000 * err}
