"""A sequence filmed from the other side than the reconstructor's training walkers is reconstructed as its mirror
image and mirrored back. The mirror maps are involutions and agree with the body model; on a tiny walker-v2 tree
(filmed from CASIA-B's left side) the shipped, right-side-trained reconstructor gets the joints closer to the
truth with the mirror than without, and v1 (right-side) input is reconstructed as before."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import CheckpointError
from mesh.reconstruction.markers import ANNY_JOINTS, ANNY_POSED_BONES
from mesh.reconstruction.mirror import (
    body_mirror,
    extend_permutation,
    mirror_cells,
    mirror_name,
    mirror_points,
    mirror_pose,
    mirror_volumes,
    name_permutation,
    vertex_mirror_map,
)

VIEWS = (36.0, 90.0, 144.0)


def test_name_maps_swap_sides_and_are_involutions():
    perm = name_permutation(ANNY_JOINTS)
    assert np.array_equal(perm[perm], np.arange(len(ANNY_JOINTS)))
    for i, j in enumerate(perm):
        a, b = ANNY_JOINTS[i], ANNY_JOINTS[j]
        assert b == mirror_name(a) and (a == b) == (not a.endswith((".L", ".R")))
    assert ANNY_JOINTS[perm[ANNY_JOINTS.index("wrist.L")]] == "wrist.R"
    with pytest.raises(ValueError, match="counterpart"):
        name_permutation(["root", "foot.L"])


def test_point_cell_and_volume_maps_are_involutions():
    rng = np.random.default_rng(0)
    perm = name_permutation(ANNY_JOINTS)
    channels = extend_permutation(perm, len(perm) + 5)  # 5 markers keep their places
    pts = rng.normal(size=(3, len(channels), 3))
    assert np.array_equal(mirror_points(mirror_points(pts, channels), channels), pts)
    assert np.array_equal(mirror_points(pts)[..., 0], -pts[..., 0])
    assert np.array_equal(mirror_cells(mirror_cells(pts, channels), channels), pts)
    vol = rng.random((2, len(channels), 4, 3, 6))
    assert np.array_equal(mirror_volumes(mirror_volumes(vol, channels), channels), vol)
    assert np.array_equal(mirror_volumes(vol)[..., 0], vol[..., -1])


def test_a_pose_rotation_mirrors_as_an_axis_angle_with_two_components_negated():
    rotvec = np.array([0.3, -0.5, 0.7])
    pose = torch.eye(4).repeat(1, 1, 1, 1).double()  # [1, 1, 4, 4]
    pose[0, 0, :3, :3] = torch.from_numpy(Rotation.from_rotvec(rotvec).as_matrix())
    pose[0, 0, :3, 3] = torch.tensor([0.1, 0.2, 0.9])
    mirrored = mirror_pose(pose, np.array([0]))
    assert np.allclose(Rotation.from_matrix(mirrored[0, 0, :3, :3].numpy()).as_rotvec(), rotvec * [1, -1, -1])
    assert torch.allclose(mirrored[0, 0, :3, 3], torch.tensor([-0.1, 0.2, 0.9], dtype=torch.float64))
    assert torch.allclose(mirror_pose(mirrored, np.array([0])), pose)


def test_a_vertex_map_needs_a_symmetric_mesh():
    half = np.array([[0.1, 0.0, 0.0], [0.2, 0.5, 1.0], [0.3, -0.2, 1.5]])
    mesh = np.concatenate([half, half * [-1, 1, 1], [[0.0, 0.1, 1.7]]]) + [0.02, 0, 0]  # off-centre plane
    sym = vertex_mirror_map(mesh)
    assert np.array_equal(sym, [3, 4, 5, 0, 1, 2, 6])
    lopsided = mesh.copy()
    lopsided[4, 0] += 0.01  # one vertex 1 cm off its mirror image
    assert vertex_mirror_map(lopsided) is None


@pytest.mark.slow
def test_the_mirrored_pose_poses_the_mirrored_body():
    """Through anny: the mirrored pose of a random pose of every posed bone puts each joint where the mirror
    image of its counterpart was, and the mesh where the symmetry map puts it."""
    from mesh.body_model import shared_anny_body

    body = shared_anny_body()
    maps = body_mirror(body)
    assert np.array_equal(maps.bones[maps.bones], np.arange(len(body.joint_names)))
    assert maps.vertices is not None and np.array_equal(maps.vertices[maps.vertices], np.arange(13718))
    rng = np.random.default_rng(1)
    pose = torch.eye(4).repeat(2, len(body.joint_names), 1, 1)
    for group in ANNY_POSED_BONES:
        rot = torch.from_numpy(Rotation.from_rotvec(rng.normal(0, 0.3, (2, 3))).as_matrix()).float()
        for bone in group:
            pose[:, body.joint_names.index(bone), :3, :3] = rot
    pose[:, 0, :3, 3] = torch.tensor([0.05, -0.1, 0.95])
    shape = {"gender": 0.2, "weight": 0.8, "height": 0.7}
    posed, mirrored = body.forward(pose, shape=shape), body.forward(mirror_pose(pose, maps.bones), shape=shape)
    joints = posed.joints.numpy()  # [2, 104, 3]
    want = mirror_points(joints, maps.bones)
    assert np.abs(mirrored.joints.numpy() - want).max() < 0.003  # anny's rest skeleton is symmetric to ~1 mm
    assert np.abs(mirrored.vertices.numpy() - mirror_points(posed.vertices.numpy(), maps.vertices)).max() < 0.03
    unconjugated = pose[:, torch.as_tensor(maps.bones)]  # sides swapped, rotations not mirrored: wrong
    assert np.abs(body.forward(unconjugated, shape=shape).joints.numpy() - want).max() > 0.05
    sub = [body.joint_names.index(n) for n in ANNY_JOINTS]
    assert np.allclose(mirror_points(joints[:, sub], maps.joints), want[:, sub])


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """The same subject seed drawn by walker v1 (filmed from the right) and v2 (from the left): 1 subject,
    nm-01, views 36/90/144, 8 frames."""
    from synth_datasets.procedural.build import build_procedural
    from synth_datasets.procedural.spec import ProceduralSpec

    out = {}
    for walker in ("v1", "v2"):
        root = tmp_path_factory.mktemp(walker)
        build_procedural(root, ProceduralSpec(subjects=1, types=("nm-01",), views=VIEWS, frames_min=8, frames_max=8,
                                              train_subjects=1, seed=0, walker=walker), workers=1, progress=False)
        out[walker] = DatasetIndex.open(root)
    return out


@pytest.fixture(scope="module")
def shipped():
    from mesh.reconstruction.api import load_reconstructor, model_camera_side

    model = load_reconstructor()
    assert model_camera_side(model) == "right"  # trained on walker v1 only
    return model


@pytest.mark.slow
def test_the_shipped_reconstructor_gets_left_side_joints_closer_mirrored(trees, shipped):
    from mesh.reconstruction.evaluate import joint_errors

    plain = joint_errors(shipped, trees["v2"], progress=False)
    mirrored = joint_errors(shipped, trees["v2"], progress=False, mirror=True)
    print("v2 MPJPE mm per view, plain / mirrored:",
          {v: (round(plain["per_view"][v]["mpjpe_mm"]), round(r["mpjpe_mm"])) for v, r in mirrored["per_view"].items()})
    for v in VIEWS:
        assert mirrored["per_view"][v]["mpjpe_mm"] < plain["per_view"][v]["mpjpe_mm"], (v, plain, mirrored)
    assert mirrored["mpjpe_mm"] < 0.8 * plain["mpjpe_mm"], (plain["mpjpe_mm"], mirrored["mpjpe_mm"])
    own_plain = joint_errors(shipped, trees["v2"], use_view_label=False, progress=False)
    own_mirrored = joint_errors(shipped, trees["v2"], use_view_label=False, progress=False, mirror=True)
    err = [(own_plain["per_view"][v]["view_err_deg"], own_mirrored["per_view"][v]["view_err_deg"]) for v in VIEWS]
    assert all(m < p for p, m in err if p > 20), err  # its own view estimate now reads the left-side labels
    # right-side input is not mirrored: the same numbers either way
    assert joint_errors(shipped, trees["v1"], progress=False, mirror=True) == joint_errors(shipped, trees["v1"],
                                                                                         progress=False)


@pytest.mark.slow
def test_every_output_of_a_mirrored_run_is_the_mirror_image_of_the_flipped_sequence(trees, shipped, tmp_path):
    """Left-side input is reconstructed as the horizontally flipped sequence filmed from the right at the same
    label, and each output is taken back: joints swap sides, markers become their mirror vertices, heatmaps and
    cells flip, the view estimate is read on the left-side orbit, and the mesh is anny in the mirrored pose."""
    from mesh.reconstruction.api import reconstruct_sequence
    from mesh.reconstruction.export import write_joints

    frames = next(r for r in trees["v2"].records if r.labels.view == 36.0).load()  # [t, 64, 64]
    left = reconstruct_sequence(shipped, frames, 36.0, side="left")
    flipped = reconstruct_sequence(shipped, frames[:, :, ::-1], 36.0, side="right")
    assert left["mirrored"] and not flipped["mirrored"] and left["notes"] == []
    maps = body_mirror(shipped.setup.body)
    n_k = left["cells"].shape[1]
    channels = extend_permutation(maps.joints, n_k)
    assert np.array_equal(left["joints"], mirror_points(flipped["joints"], maps.joints))
    assert np.array_equal(left["markers"], mirror_points(flipped["markers"]))
    assert np.array_equal(left["marker_ids"], maps.vertices[flipped["marker_ids"]])
    assert np.array_equal(left["cells"], mirror_cells(flipped["cells"], channels))
    assert np.array_equal(left["heatmaps"], mirror_volumes(flipped["heatmaps"], channels))
    assert left["view_pred_deg"] == flipped["view_pred_deg"] and left["view_deg"] == 36.0
    assert np.array_equal(left["silhouettes"], flipped["silhouettes"][:, :, ::-1])  # the input as given
    assert np.allclose(left["pose"], mirror_pose(torch.from_numpy(flipped["pose"]), maps.bones).numpy())
    assert np.abs(left["vertices"] - mirror_points(flipped["vertices"], maps.vertices)).max() < 0.03
    moved = mirror_points(left["joints"], maps.joints) - left["joints"]
    assert np.abs(moved).max() > 0.05  # the mirror moved the joints: not a no-op
    # the written joints say the run was mirrored; a right-side run writes no such key
    write_joints(tmp_path / "left.npz", left)
    write_joints(tmp_path / "right.npz", flipped)
    with np.load(tmp_path / "left.npz") as a, np.load(tmp_path / "right.npz") as b:
        assert bool(a["mirrored"]) and "mirrored" not in b.files and str(a["camera_side"]) == "left"


@pytest.mark.slow
def test_a_mesh_without_a_symmetry_map_loses_its_markers_with_a_note(trees, shipped, monkeypatch):
    import mesh.reconstruction.api as api
    from mesh.reconstruction.api import reconstruct_sequence

    maps = body_mirror(shipped.setup.body)
    monkeypatch.setattr(api, "body_mirror", lambda body: replace(maps, vertices=None))
    frames = next(r for r in trees["v2"].records if r.labels.view == 90.0).load()
    with pytest.warns(UserWarning, match="no left/right symmetry map"):
        res = reconstruct_sequence(shipped, frames, 90.0, side="left")
    n_j = len(ANNY_JOINTS)
    assert res["markers"].shape[1] == 0 and len(res["marker_ids"]) == 0 and res["notes"]
    assert res["heatmaps"].shape[1] == n_j and res["cells"].shape[1] == n_j and res["vertices"] is not None


def test_a_model_trained_on_left_side_walkers_needs_no_mirror():
    from types import SimpleNamespace

    from mesh.reconstruction.api import mirrors_input, model_camera_side

    old, left = SimpleNamespace(meta={}), SimpleNamespace(meta={"camera_side": "left"})
    assert model_camera_side(old) == "right"  # models from before walker versions were trained on v1
    assert mirrors_input(old, "left") and not mirrors_input(old, "right")
    assert not mirrors_input(left, "left") and mirrors_input(left, "right")


def test_a_model_with_an_unknown_camera_side_is_refused(tmp_path):
    import json
    import shutil

    from mesh.reconstruction.api import DEFAULT_MODEL, load_reconstructor

    run = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, run)
    meta = json.loads((run / "meta.json").read_text())
    (run / "meta.json").write_text(json.dumps(meta | {"camera_side": "above"}))
    with pytest.raises(CheckpointError, match="camera_side 'above'") as e:
        load_reconstructor(run)
    assert e.value.path == str(run / "meta.json")
