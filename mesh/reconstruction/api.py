"""Use a trained reconstructor: `load_reconstructor(path)` and `reconstruct_sequence(model, frames)`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.precision import inference_autocast
from gaitcraft.pretreat import binarize, cut_width, pretreat_frames
from gaitcraft.training import load_weights, model_folder, read_model
from mesh.camera import CASIA_B_SIDE, orbit_azimuth
from mesh.reconstruction.config import ReconstructionConfig
from mesh.reconstruction.geometry import view_rotation_torch
from mesh.reconstruction.heatmap_net import HeatmapReconstructor
from mesh.reconstruction.markers import ANNY_JOINTS
from mesh.reconstruction.setup import BodySetup, build_model, make_body_setup
from mesh.reconstruction.volumes import body_heatmaps

#: Fewer frames than this is not a walk (OpenGait warns under 5 frames too).
MIN_FRAMES = 5
#: Where the shipped default model lives; $GAITCRAFT_RECONSTRUCTOR overrides it.
DEFAULT_MODEL = REPO_ROOT / "assets" / "models" / "reconstructor"


@dataclass
class Reconstructor:
    """A trained network with its keypoint definition and config."""

    net: HeatmapReconstructor
    setup: BodySetup
    config: ReconstructionConfig
    meta: dict


def default_model_path() -> Path:
    """The default reconstructor folder ($GAITCRAFT_RECONSTRUCTOR, else the shipped one)."""
    return Path(os.environ.get("GAITCRAFT_RECONSTRUCTOR", DEFAULT_MODEL))


def load_reconstructor(path: str | Path | None = None) -> Reconstructor:
    """Load a model folder written by `mesh.reconstruction.train.train`, or its run folder (default: the shipped
    model)."""
    path = Path(path) if path is not None else default_model_path()
    if not path.exists():
        raise CheckpointError("no reconstructor here; train one with `mesh.reconstruction.train.train` "
                              "(configs/reconstruction/small.yaml) or pass --model", path)
    weights, meta = read_model(path)
    if meta.get("kind") != "reconstructor":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not a reconstructor", path)
    cfg = ReconstructionConfig.from_dict(meta["config"], model_folder(path) / "meta.json")
    net = build_model(cfg.model)
    load_weights(net, weights, path)
    setup = make_body_setup(cfg.model, meta=meta, with_layer=False)
    return Reconstructor(net.eval(), setup, cfg, meta)


def prepare_frames(frames: np.ndarray) -> np.ndarray:
    """Model input `[t, 64, 44]` uint8 0/255 from a silhouette sequence `[t, h, w]`.

    64x64 frames are cut to 64x44; 64x44 pass through; any other size goes through the OpenGait
    pretreatment first. Empty or too-short sequences (< `MIN_FRAMES` usable frames) are a `DataError`.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise DataError(f"a silhouette sequence is [t, h, w]; got shape {frames.shape}")
    if len(frames) == 0:
        raise DataError("the silhouette sequence is empty")
    if frames.dtype != np.uint8:
        frames = np.clip(frames * (255.0 if frames.max() <= 1 else 1.0), 0, 255).astype(np.uint8)
    if frames.shape[1:] not in ((64, 64), (64, 44)):
        frames = pretreat_frames(frames)  # crop, resize to 64 rows, centre: like the training data
    frames = binarize(frames)
    if len(frames) < MIN_FRAMES:
        raise DataError(f"only {len(frames)} usable silhouette frames; reconstruction needs at least {MIN_FRAMES}")
    return np.ascontiguousarray(cut_width(frames) if frames.shape[-1] == 64 else frames)


@torch.no_grad()
def reconstruct_sequence(model: Reconstructor, frames: np.ndarray, view_deg: float | None = None, *,
                         side: str = CASIA_B_SIDE, mesh: bool = True, heatmaps: bool = True,
                         bf16: bool | None = None) -> dict:
    """Reconstruct one silhouette sequence `[t, h, w]` (see `prepare_frames` for accepted sizes).

    view_deg: the view label when known (0 = walking toward the camera, 90 = side); None uses the model's own
    view estimate. side: which side of the walker the camera films, i.e. what the label means (CASIA-B's by
    default; a procedural tree's is `mesh.view_convention.tree_camera_side(root)`). Returns, in the body frame
    (root-relative, walking along −Y, Z up, metres): `joints` [t, J, 3], `markers` [t, M, 3], `heatmaps`
    [t, K, Z, Y, X] float16 body-frame probability volumes (K = joints then markers; None unless asked),
    `vertices` [t, 13718, 3] and `faces` of the fitted anny body (None unless `mesh`), `pose` [t, 104, 4, 4]
    anny 'local-ref', `phenotypes` [6], `view_deg` used and `view_pred_deg` (view labels on the `camera_side`
    orbit, which is `side`), `cells` [t, K, 3] image-aligned heatmap positions, `silhouettes` the model input.
    """
    sils = prepare_frames(frames)
    net = model.net
    x = torch.from_numpy(sils)[None]  # [1, t, 64, 44]
    with inference_autocast(enabled=bf16):
        pred = net(x, view_R=None if view_deg is None else view_rotation_torch(torch.tensor([float(view_deg)]), side))
    azimuth_pred = float(torch.rad2deg(torch.atan2(pred["view"][0, 1], pred["view"][0, 0])))  # right-side orbit
    view_pred = float(orbit_azimuth(azimuth_pred, side)) % 360
    used = view_pred if view_deg is None else float(view_deg)
    n_j = len(ANNY_JOINTS)
    kp = pred["kp_body"][0].float().numpy()  # [t, K, 3]
    pose = _pose_matrices(model, pred["group_rot"][0].float())
    out = {"joints": kp[:, :n_j], "markers": kp[:, n_j:], "pose": pose.numpy(),
           "phenotypes": pred["phenotypes"][0].float().numpy(), "view_deg": used, "view_pred_deg": view_pred,
           "camera_side": side,
           "cells": pred["cells"][0].float().numpy(), "scale": float(pred["scale"][0]),
           "cell_m": model.config.model.cell_m,
           "silhouettes": sils, "joint_names": list(ANNY_JOINTS), "marker_ids": model.setup.markers,
           "heatmaps": None, "vertices": None, "faces": None}
    if heatmaps:
        cell = model.config.model.cell_m * out["scale"]
        out["heatmaps"] = body_heatmaps(pred["prob"][0], pred["cells"][0, :, 0], used, cell,
                                        side=side).half().numpy()
    if mesh:
        body = model.setup.body.forward(pose, shape=out["phenotypes"][None].astype(np.float64))
        out["vertices"], out["faces"] = body.vertices.numpy(), body.faces
    return out


def _pose_matrices(model: Reconstructor, group_rot: torch.Tensor) -> torch.Tensor:
    """Regressed group rotations [t, G, 3, 3] -> anny 'local-ref' pose [t, 104, 4, 4], root at the origin."""
    names = model.setup.body.joint_names
    t = group_rot.shape[0]
    pose = torch.eye(4).repeat(t, len(names), 1, 1)
    for g, bones in enumerate(model.meta["posed_bones"]):
        for b in bones:
            pose[:, names.index(b), :3, :3] = group_rot[:, g]
    return pose
