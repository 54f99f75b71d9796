"""Use a trained reconstructor: `load_reconstructor(path)` and `reconstruct_sequence(model, frames)`.

A network knows walkers filmed from one side of the walk (`model_camera_side`). A sequence filmed from the other
side is reconstructed as its mirror image, and the outputs are mirrored back (`mesh.reconstruction.mirror`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gaitcraft.errors import CheckpointError, DataError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.precision import inference_autocast
from gaitcraft.pretreat import binarize, cut_width, pretreat_frames
from gaitcraft.training import load_weights, model_folder, read_model
from mesh.camera import CASIA_B_SIDE, SIDES, orbit_azimuth
from mesh.reconstruction.config import ReconstructionConfig
from mesh.reconstruction.geometry import view_rotation_torch
from mesh.reconstruction.heatmap_net import HeatmapReconstructor
from mesh.reconstruction.markers import ANNY_JOINTS
from mesh.reconstruction.mirror import (
    BodyMirror,
    body_mirror,
    extend_permutation,
    mirror_cells,
    mirror_points,
    mirror_pose,
    mirror_volumes,
)
from mesh.reconstruction.setup import BodySetup, build_model, make_body_setup
from mesh.reconstruction.volumes import body_heatmaps

#: Fewer frames than this is not a walk (OpenGait warns under 5 frames too).
MIN_FRAMES = 5
#: Where the shipped default model lives; $GAITCRAFT_RECONSTRUCTOR overrides it.
DEFAULT_MODEL = REPO_ROOT / "assets" / "models" / "reconstructor"
#: The camera side of models whose meta has none: they were trained before walker versions, on walker 'v1'.
UNRECORDED_CAMERA_SIDE = "right"


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
    if meta.get("camera_side", UNRECORDED_CAMERA_SIDE) not in SIDES:
        raise CheckpointError(f"camera_side {meta['camera_side']!r} is neither of {', '.join(SIDES)}",
                              model_folder(path) / "meta.json")
    net = build_model(cfg.model)
    load_weights(net, weights, path)
    setup = make_body_setup(cfg.model, meta=meta, with_layer=False)
    return Reconstructor(net.eval(), setup, cfg, meta)


def model_camera_side(model: Reconstructor) -> str:
    """The side of the walker ('left' or 'right', `mesh.camera`) that the model's training walkers were filmed
    from: its meta's `camera_side` (written by `train.train`), else 'right' (`UNRECORDED_CAMERA_SIDE`)."""
    return model.meta.get("camera_side", UNRECORDED_CAMERA_SIDE)


def mirrors_input(model: Reconstructor, side: str) -> bool:
    """Whether input filmed from `side` reaches the model as its mirror image: when `side` is not the model's."""
    return side != model_camera_side(model)


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
    orbit, which is `side`), `cells` [t, K, 3] image-aligned heatmap positions, `silhouettes` the model input,
    `marker_ids` [M] the mesh vertex of each marker.

    Input filmed from the other side than the model's training walkers (`mirrors_input`) is flipped
    horizontally and reconstructed as the mirror-image walker at the same label, and every output is mirrored
    back (`mesh.reconstruction.mirror`): `mirrored` says so. Its markers are then the mirror images of the
    model's (`marker_ids` says which vertices), and its mesh is anny posed by the mirrored pose. `notes` lists
    what a mirrored run had to leave out, if anything.
    """
    sils = prepare_frames(frames)
    net = model.net
    mirrored = mirrors_input(model, side)
    net_side = model_camera_side(model) if mirrored else side  # the orbit the network reads the labels on
    x = torch.from_numpy(np.ascontiguousarray(sils[:, :, ::-1]) if mirrored else sils)[None]  # [1, t, 64, 44]
    with inference_autocast(enabled=bf16):
        pred = net(x, view_R=None if view_deg is None else view_rotation_torch(torch.tensor([float(view_deg)]),
                                                                               net_side))
    azimuth_pred = float(torch.rad2deg(torch.atan2(pred["view"][0, 1], pred["view"][0, 0])))  # right-side orbit
    view_pred = float(orbit_azimuth(azimuth_pred, net_side)) % 360
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
           "heatmaps": None, "vertices": None, "faces": None, "mirrored": mirrored, "notes": []}
    if heatmaps:
        cell = model.config.model.cell_m * out["scale"]
        out["heatmaps"] = body_heatmaps(pred["prob"][0], pred["cells"][0, :, 0], used, cell,
                                        side=net_side).half().numpy()
    if mirrored:
        maps = body_mirror(model.setup.body)
        pose = mirror_pose(pose, maps.bones)
        _mirror_back(out, maps, pose)
    if mesh:
        body = model.setup.body.forward(pose, shape=out["phenotypes"][None].astype(np.float64))
        out["vertices"], out["faces"] = body.vertices.numpy(), body.faces
    return out


def _mirror_back(out: dict, maps: BodyMirror, pose: torch.Tensor) -> None:
    """Take the outputs of a horizontally flipped sequence back to the true walker, in place: joints, the pose
    (already mirrored: `pose`), heatmap cells and volumes; markers through the mesh's symmetry map, or dropped
    with a note where the mesh has none. The mesh is posed from the mirrored pose by the caller."""
    n_j = len(maps.joints)
    channels = extend_permutation(maps.joints, out["cells"].shape[1])  # joints swap sides; markers keep order
    ids = np.asarray(out["marker_ids"])
    if maps.vertices is None:
        note = ("the body mesh has no left/right symmetry map: the markers of a sequence reconstructed as its "
                "mirror image are left out")
        out["notes"].append(note)
        warnings.warn(note, stacklevel=3)
        out["marker_ids"] = ids[:0]
    else:
        out["marker_ids"] = maps.vertices[ids]  # each predicted marker is the mirror image of the model's
    kept = n_j + len(out["marker_ids"])  # keypoint channels kept
    out["joints"] = mirror_points(out["joints"], maps.joints)
    out["markers"] = mirror_points(out["markers"][:, : len(out["marker_ids"])])
    out["pose"] = pose.numpy()
    out["cells"] = mirror_cells(out["cells"], channels)[:, :kept]
    if out["heatmaps"] is not None:
        out["heatmaps"] = mirror_volumes(out["heatmaps"], channels)[:, :kept]


def _pose_matrices(model: Reconstructor, group_rot: torch.Tensor) -> torch.Tensor:
    """Regressed group rotations [t, G, 3, 3] -> anny 'local-ref' pose [t, 104, 4, 4], root at the origin."""
    names = model.setup.body.joint_names
    t = group_rot.shape[0]
    pose = torch.eye(4).repeat(t, len(names), 1, 1)
    for g, bones in enumerate(model.meta["posed_bones"]):
        for b in bones:
            pose[:, names.index(b), :3, :3] = group_rot[:, g]
    return pose
