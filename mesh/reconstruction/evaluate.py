"""Accuracy of a reconstructor on held-out procedural walks: MPJPE / PA-MPJPE per view, novel-view IoU."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
from tqdm.auto import tqdm

from gaitcraft.dataset import DatasetIndex
from gaitcraft.precision import inference_autocast
from mesh.camera import orbit_azimuth
from mesh.reconstruction.api import (
    Reconstructor,
    mirrors_input,
    model_camera_side,
    prepare_frames,
    reconstruct_sequence,
)
from mesh.reconstruction.data import records_with_truth
from mesh.reconstruction.geometry import procrustes_align, view_rotation_torch
from mesh.reconstruction.groundtruth import gt_path, load_walk_truth
from mesh.reconstruction.markers import ANNY_JOINTS
from mesh.reconstruction.mirror import mirror_points, name_permutation
from mesh.reconstruction.novel_view import CASIA_B_VIEWS, render_novel_views, silhouette_iou
from mesh.view_convention import tree_camera_side


@torch.no_grad()
def joint_errors(model: Reconstructor, index: DatasetIndex, use_view_label: bool = True,
                 progress: bool = True, mirror: bool = False) -> dict:
    """MPJPE and PA-MPJPE (mm) over every frame of every sequence with ground truth, per view and overall.

    Joints are compared root-relative in the body frame; `use_view_label` gives the network the camera of the
    view label, read on the tree's orbit side (`mesh.view_convention.tree_camera_side`), else it uses its own
    estimate. Also reports the view-estimate error (deg). `mirror` scores what `api.reconstruct_sequence` returns:
    a tree filmed from the other side than the model's training walkers (`api.mirrors_input`) is reconstructed
    mirrored and mirrored back; without it the network is scored on the tree's sequences as they are.
    """
    side = tree_camera_side(index.root)
    mirrored = mirror and mirrors_input(model, side)
    net_side = model_camera_side(model) if mirrored else side  # the orbit the network reads the labels on
    counterpart = name_permutation(ANNY_JOINTS)
    per: dict[float, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    bones = [model.setup.body.joint_names.index(n) for n in ANNY_JOINTS]
    truths: dict = {}
    for rec in tqdm(records_with_truth(index), desc="mpjpe", disable=not progress):
        key = (rec.labels.subject, rec.labels.seq_type)
        if key not in truths:
            truths = {key: load_walk_truth(gt_path(index.root, *key))}  # one walk at a time
        truth = truths[key]
        sils = prepare_frames(rec.load())
        view = rec.labels.view
        x = np.ascontiguousarray(sils[:, :, ::-1]) if mirrored else sils  # [t, 64, 44]
        with inference_autocast():
            out = model.net(torch.from_numpy(x)[None],
                            view_R=view_rotation_torch(torch.tensor([view]), net_side) if use_view_label else None)
        pred = out["kp_body"][0, :, : len(bones)].float().numpy()  # [t, J, 3]
        if mirrored:
            pred = mirror_points(pred, counterpart)
        gt = truth.targets(view, np.arange(len(sils)))["joints"][:, bones]
        azimuth = float(torch.rad2deg(torch.atan2(out["view"][0, 1], out["view"][0, 0])))  # right-side orbit
        pv = float(orbit_azimuth(azimuth, net_side))  # the estimate as a view label of this tree
        err = np.linalg.norm(pred - gt, axis=-1).mean(-1)  # [t]
        pa = np.linalg.norm(procrustes_align(pred, gt) - gt, axis=-1).mean(-1)
        per[view]["mpjpe"].append(err)
        per[view]["pa"].append(pa)
        per[view]["view_err"].append(abs((pv - view + 180) % 360 - 180))
    rows = {}
    for view in sorted(per):
        d = per[view]
        rows[view] = {"mpjpe_mm": 1000 * float(np.concatenate(d["mpjpe"]).mean()),
                      "pa_mpjpe_mm": 1000 * float(np.concatenate(d["pa"]).mean()),
                      "view_err_deg": float(np.mean(d["view_err"])), "sequences": len(d["mpjpe"])}
    allm = np.concatenate([np.concatenate(per[v]["mpjpe"]) for v in per])
    allp = np.concatenate([np.concatenate(per[v]["pa"]) for v in per])
    return {"per_view": rows, "mpjpe_mm": 1000 * float(allm.mean()), "pa_mpjpe_mm": 1000 * float(allp.mean())}


def novel_view_iou(model: Reconstructor, index: DatasetIndex, input_view: float = 90.0,
                   views=CASIA_B_VIEWS, progress: bool = True) -> dict:
    """Reconstruct each walk from `input_view`, render it at the other `views`, and compare with the true
    rendered silhouettes (IoU on the 64x64 pretreated frames, frames matched by their rendered frame id).

    Beside it, the trivial baseline: the input-view silhouette reused as the prediction for every view. View
    labels are read on the tree's orbit side (`mesh.view_convention.tree_camera_side`).
    """
    side = tree_camera_side(index.root)
    inputs = [r for r in records_with_truth(index) if np.isclose(r.labels.view, input_view)]
    by_key = {(r.labels.subject, r.labels.seq_type, round(r.labels.view, 3)): r for r in index.records}
    iou = defaultdict(list)
    base = defaultdict(list)
    for rec in tqdm(inputs, desc="novel views", disable=not progress):
        truth = load_walk_truth(gt_path(index.root, rec.labels.subject, rec.labels.seq_type))
        src = rec.load()
        src_ids = truth.frames[truth.view_index(input_view)]
        res = reconstruct_sequence(model, src, input_view, side=side, heatmaps=False)
        rendered, kept = render_novel_views(res["vertices"], res["faces"], views, side=side)
        for vi, v in enumerate(views):
            other = by_key.get((rec.labels.subject, rec.labels.seq_type, round(float(v), 3)))
            if np.isclose(v, input_view) or other is None:
                continue
            gt_frames, gt_ids = other.load(), truth.frames[truth.view_index(v)]
            r_ids = src_ids[kept[vi]]  # original frame id of each rendered frame
            common = np.intersect1d(np.intersect1d(gt_ids, r_ids), src_ids)
            gi = np.searchsorted(gt_ids, common)
            ri = np.searchsorted(r_ids, common)
            si = np.searchsorted(src_ids, common)
            iou[float(v)].append(silhouette_iou(rendered[vi][ri], gt_frames[gi]).mean())
            base[float(v)].append(silhouette_iou(src[si], gt_frames[gi]).mean())
    per = {v: {"iou": float(np.mean(iou[v])), "baseline_iou": float(np.mean(base[v])), "walks": len(iou[v])}
           for v in sorted(iou)}
    return {"input_view": input_view, "per_view": per,
            "mean_iou": float(np.mean([p["iou"] for p in per.values()])) if per else None,
            "mean_baseline_iou": float(np.mean([p["baseline_iou"] for p in per.values()])) if per else None}
