"""Reconstructor losses: 3D joints and virtual markers (soft-argmax), mesh vertices and joints of the
regressed body model, its parameters, the view, and the heatmap spread. Distances in metres (L1)."""

from __future__ import annotations

import torch

from mesh.reconstruction.body_layer import AnnyLayer
from mesh.reconstruction.config import LossSection


def _flat(x: torch.Tensor, frame_idx: torch.Tensor | None) -> torch.Tensor:
    """`[b, t, ...]` -> decoded frames `[b * t', ...]`."""
    if frame_idx is not None:
        x = x[:, frame_idx]
    return x.flatten(0, 1)


def targets(batch: dict[str, torch.Tensor], layer: AnnyLayer, frame_idx: torch.Tensor | None = None
            ) -> dict[str, torch.Tensor]:
    """Ground truth at the decoded frames: joints [n, J, 3], layer vertices [n, Vs, 3] (markers first),
    group rotations [n, G, 3, 3] (n = b * t'), phenotypes [b, 6], view (cos, sin) [b, 2]."""
    rot = _flat(batch["rot"], frame_idx)  # [n, 104, 3, 3]
    per = rot.shape[0] // batch["rot"].shape[0]
    rest_v = batch["rest_v"].repeat_interleave(per, 0)  # [n, Vs, 3]
    rest_h = batch["rest_h"].repeat_interleave(per, 0)  # [n, 104, 3]
    with torch.no_grad():
        _, verts = layer(rot, rest_v, rest_h)
    rep = torch.stack([(layer.group_of == g).nonzero()[0, 0] for g in range(layer.n_groups)])
    a = torch.deg2rad(batch["view_deg"].float())
    return {"joints": _flat(batch["joints"], frame_idx), "verts": verts, "group_rot": rot[:, rep],
            "phenotypes": batch["phenotypes"], "view": torch.stack([torch.cos(a), torch.sin(a)], -1)}


def body_prediction(out: dict[str, torch.Tensor], layer: AnnyLayer) -> tuple[torch.Tensor, torch.Tensor]:
    """Joints [n, 104, 3] and vertices [n, Vs, 3] of the regressed body (surrogate anny), decoded frames."""
    rot = out["group_rot"].flatten(0, 1)  # [n, G, 3, 3]
    per = rot.shape[0] // out["phenotypes"].shape[0]
    rest_v, rest_h = layer.rest(out["phenotypes"])
    return layer(layer.expand_groups(rot), rest_v.repeat_interleave(per, 0), rest_h.repeat_interleave(per, 0))


def reconstruction_loss(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], layer: AnnyLayer,
                        w: LossSection, joint_bones: torch.Tensor, frame_idx: torch.Tensor | None = None
                        ) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of every term, and a dict of the terms plus MPJPE (mm) for logging.

    `joint_bones` [J]: anny bone index of each predicted joint; `out` is the network output for `frame_idx`.
    """
    gt = targets(batch, layer, frame_idx)
    n_j = len(joint_bones)
    n_m = out["kp_body"].shape[2] - n_j
    kp = out["kp_body"].flatten(0, 1)  # [n, K, 3]
    terms = {"joints": (kp[:, :n_j] - gt["joints"]).abs().mean(),
             "markers": (kp[:, n_j:] - gt["verts"][:, :n_m]).abs().mean()}
    heads, verts = body_prediction(out, layer)
    terms["mesh"] = (verts - gt["verts"]).abs().mean()
    terms["body_joints"] = (heads[:, joint_bones] - gt["joints"]).abs().mean()
    terms["pose"] = ((out["group_rot"].flatten(0, 1) - gt["group_rot"]) ** 2).sum((-1, -2)).mean()
    terms["phenotypes"] = (out["phenotypes"] - gt["phenotypes"]).abs().mean()
    terms["view"] = ((out["view"] - gt["view"]) ** 2).sum(-1).mean()
    terms["spread"] = out["spread"].mean()
    total = sum(getattr(w, k) * v for k, v in terms.items())
    info = {k: float(v.detach()) for k, v in terms.items()}
    with torch.no_grad():
        info["mpjpe_mm"] = float(1000 * (kp[:, :n_j] - gt["joints"]).norm(dim=-1).mean())
        info["mesh_mm"] = float(1000 * (verts - gt["verts"]).norm(dim=-1).mean())
    return total, info
