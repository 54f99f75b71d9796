"""View labels become cameras on the side their tree was filmed from: walker 'v1' trees from the right, 'v2' and
real (spec-less) trees from the left, CASIA-B's side. Checked against the true cameras in the ground-truth
sidecars of two tiny procedural trees, through every label-based path of the reconstructor."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from mesh.camera import orbit_azimuth, orbit_cameras
from mesh.reconstruction.geometry import camera_view_rotation, view_rotation, view_rotation_torch
from mesh.reconstruction.groundtruth import gt_path, load_walk_truth
from mesh.reconstruction.markers import ANNY_JOINTS
from mesh.reconstruction.mirror import mirror_points, name_permutation
from mesh.view_convention import SPEC_FILE, tree_camera_side, tree_walker

VIEWS = (36.0, 90.0, 144.0)


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of the rotation between rotation matrices `a` and `b` [..., 3, 3], degrees."""
    cos = (np.trace(np.swapaxes(a, -1, -2) @ b, axis1=-2, axis2=-1) - 1) / 2
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def true_camera(root, view: float) -> np.ndarray:
    """Body->view rotations [T, 3, 3] of the camera that rendered `view` of walk 001/nm-01 under `root`, from its
    ground-truth sidecar (the walker walks along world -Y, so the body frame is the world's)."""
    truth = load_walk_truth(gt_path(root, "001", "nm-01"))
    return camera_view_rotation(truth.cam_R[truth.view_index(view)], np.eye(3))


def right_azimuth(view_R: np.ndarray) -> float:
    """The right-side-orbit azimuth (deg) of a level camera's body->view rotation [3, 3] (its image-right row is
    (cos a, -sin a, 0))."""
    return float(np.degrees(np.arctan2(-view_R[0, 1], view_R[0, 0])))


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """The same subject seed drawn by walker v1 and v2: 1 subject, nm-01, views 36/90/144, 8 frames."""
    from synth_datasets.procedural.build import build_procedural
    from synth_datasets.procedural.spec import ProceduralSpec

    out = {}
    for walker in ("v1", "v2"):
        root = tmp_path_factory.mktemp(walker)
        build_procedural(root, ProceduralSpec(subjects=1, types=("nm-01",), views=VIEWS, frames_min=8, frames_max=8,
                                              train_subjects=1, seed=0, walker=walker), workers=1, progress=False)
        out[walker] = root
    return out


def test_view_rotation_matches_the_cameras_of_either_side():
    for side in ("right", "left"):
        cams = orbit_cameras(np.zeros((1, 3)), VIEWS, focal_px=100, width=64, height=64, side=side)
        for i, v in enumerate(VIEWS):
            want = camera_view_rotation(cams.R[i], np.eye(3))[0]
            assert np.allclose(view_rotation(v, side), want, atol=1e-9)
            assert np.allclose(view_rotation_torch(torch.tensor([v]), side)[0].double().numpy(), want, atol=1e-6)
    # on CASIA-B's side the walker moves to the image left at 90 deg
    assert np.allclose(view_rotation(90.0, "left") @ [0, -1, 0], [-1, 0, 0], atol=1e-12)
    assert orbit_azimuth(orbit_azimuth(54.0, "left"), "left") == 54.0


def test_a_trees_camera_side_comes_from_its_spec(tmp_path):
    assert tree_camera_side(tmp_path) == "left" and tree_walker(tmp_path) is None  # real data: CASIA-B's side
    assert tree_camera_side(None) == "left"
    for spec, walker, side in (({"walker": "v1"}, "v1", "right"), ({"subjects": 3}, "v1", "right"),
                               ({"walker": "v2"}, "v2", "left")):
        (tmp_path / SPEC_FILE).write_text(json.dumps(spec))
        assert (tree_walker(tmp_path), tree_camera_side(tmp_path)) == (walker, side)
    for text, problem in (("{not json", "unreadable dataset spec"), ('{"walker": "v9"}', "no known walker")):
        (tmp_path / SPEC_FILE).write_text(text)
        with pytest.raises(DataError, match=problem) as e:
            tree_camera_side(tmp_path)
        assert e.value.path == str(tmp_path / SPEC_FILE)


def test_view_labels_turn_into_the_true_cameras_of_v1_and_v2_trees(trees):
    for walker, side in (("v1", "right"), ("v2", "left")):
        root = trees[walker]
        assert tree_camera_side(root) == side
        for v in VIEWS:
            true_R = true_camera(root, v)  # [T, 3, 3]
            label_R = view_rotation(v, tree_camera_side(root))
            # the image-right axis is level: it matches exactly; the rest differs by the camera's tilt only
            assert np.allclose(true_R[:, 0], label_R[0], atol=1e-4), (walker, v)
            tilt = 0.0 if walker == "v1" else 6.0  # v2 films from 1.2 m: a few degrees down
            assert (rotation_angle_deg(true_R, label_R) <= tilt + 0.5).all(), (walker, v)
            if v != 0:  # the other side's reading is the mirror camera
                other = view_rotation(v, "left" if side == "right" else "right")
                assert (rotation_angle_deg(true_R, other) > 2 * min(v, 180 - v) - 10).all()


class RecordingNet:
    """Stands in for the reconstructor's network: records the view rotation it is handed and answers with a
    given right-side azimuth from its view head."""

    def __init__(self, azimuths: list[float]):
        self.azimuths, self.seen = list(azimuths), []

    def __call__(self, sils: torch.Tensor, view_R: torch.Tensor | None = None) -> dict:
        self.seen.append(None if view_R is None else view_R[0].double().numpy())
        a = np.deg2rad(self.azimuths[len(self.seen) - 1])
        return {"kp_body": torch.zeros(1, sils.shape[1], len(ANNY_JOINTS), 3),
                "view": torch.tensor([[np.cos(a), np.sin(a)]], dtype=torch.float32)}


def test_joint_errors_hand_the_network_the_true_camera_and_score_its_estimate_on_the_trees_side(trees):
    from mesh.reconstruction.data import records_with_truth
    from mesh.reconstruction.evaluate import joint_errors

    for walker in ("v1", "v2"):
        index = DatasetIndex.open(trees[walker])
        true_R = [true_camera(index.root, r.labels.view)[0] for r in records_with_truth(index)]
        model = SimpleNamespace(net=RecordingNet([right_azimuth(R) for R in true_R]),
                                setup=SimpleNamespace(body=SimpleNamespace(joint_names=list(ANNY_JOINTS))))
        err = joint_errors(model, index, progress=False)
        for seen, want in zip(model.net.seen, true_R, strict=True):
            assert np.allclose(seen[0], want[0], atol=1e-4), walker  # the image-right axis of the true camera
        # a view head that reads the true camera is scored as right, whichever side the tree was filmed from
        assert all(row["view_err_deg"] < 0.5 for row in err["per_view"].values()), (walker, err["per_view"])


def test_training_clips_target_the_azimuth_of_the_true_camera(trees):
    from mesh.reconstruction.data import ReconClips

    body = SimpleNamespace(forward=lambda pose, shape: SimpleNamespace(vertices=torch.zeros(1, 1, 3),
                                                                       joints=torch.zeros(1, 104, 3)))
    for walker in ("v1", "v2"):
        clips = ReconClips(DatasetIndex.open(trees[walker]), 4, body, np.array([0]), np.arange(22))
        for i in range(len(clips)):
            item = clips.item(i, start=0)
            # the view head learns the right-side azimuth its predictions are turned into rotations with (the
            # target rotation's yaw is estimated from a short walk: a few degrees of slack)
            assert np.allclose(view_rotation(float(item["view_deg"]))[0], item["view_R"][0, 0], atol=0.1)


def test_reconstruct_reads_a_trees_labels_on_its_own_side(trees, tmp_path):
    from gaitcraft.precision import inference_autocast
    from mesh.reconstruction.api import load_reconstructor
    from mesh.reconstruction.batch import reconstruct_path

    model = load_reconstructor()  # the shipped model: it knows walkers filmed from the right only
    for walker, side in (("v2", "left"), ("v1", "right")):
        pkl = trees[walker] / "001" / "nm-01" / "090" / "090.pkl"
        # the joints the network gives when handed the true camera's heading; left-side input reaches it as the
        # mirror image (flipped, at the mirrored camera) and its joints are mirrored back
        mirrored = side == "left"
        azimuth = right_azimuth(true_camera(trees[walker], 90.0)[0])
        level = view_rotation(-azimuth if mirrored else azimuth)
        for source in (trees[walker], pkl):  # a whole tree, and one sequence file of it
            out = tmp_path / walker / source.name
            results = {folder.name: r for folder, r in reconstruct_path(source, out, meshes="none", heatmaps=False)}
            got = results["090"] if "090" in results else results[out.name]
            sils = np.ascontiguousarray(got["silhouettes"][:, :, ::-1] if mirrored else got["silhouettes"])
            with torch.no_grad(), inference_autocast():
                want = model.net(torch.from_numpy(sils)[None],
                                 view_R=torch.from_numpy(level).float()[None])["kp_body"][0, :, : len(ANNY_JOINTS)]
            want = want.float().numpy()
            if mirrored:
                want = mirror_points(want, name_permutation(ANNY_JOINTS))
            assert np.allclose(got["joints"], want, atol=1e-4), (walker, source)
            assert got["camera_side"] == side and got["view_deg"] == 90.0 and got["mirrored"] == mirrored
        with np.load(out / "joints.npz") as z:  # the side is written beside the labels it qualifies
            assert ("camera_side" in z.files) == (side == "left")
