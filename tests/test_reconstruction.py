"""Silhouette -> 3D reconstruction: soft-argmax, heatmap shapes, frames, the anny surrogate, exports, bad input,
and a tiny reconstructor that overfits one rendered walk (loss falls >= 2.5x in 40 steps), with resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import trimesh

from gaitcraft.errors import ConfigError, DataError
from mesh.reconstruction.config import ModelSection, ReconstructionConfig
from mesh.reconstruction.geometry import procrustes_align, view_rotation
from mesh.reconstruction.heatmap_net import HeatmapReconstructor
from mesh.reconstruction.soft_argmax import grid_axes, soft_argmax_3d, spread

TINY_MODEL = {"widths": [8, 8, 16, 16], "temporal_blocks": 1, "attention_layers": 1, "heads": 2,
              "depth_bins": 8, "hidden": 32, "n_markers": 64, "mesh_vertices": 64}


def test_soft_argmax_peak_and_midpoint():
    logits = torch.full((2, 8, 16, 11), -1e4)
    logits[0, 2, 3, 7] = 0.0  # one peak at (d=2, h=3, w=7)
    logits[1, 1, 0, 0] = logits[1, 5, 10, 4] = 0.0  # two equal peaks -> their midpoint
    coords, prob = soft_argmax_3d(logits)
    right, up, toward = grid_axes(8, 16, 11)
    assert torch.allclose(coords[0], torch.stack([right[7], up[3], toward[2]]), atol=1e-5)
    mid = 0.5 * (torch.stack([right[0], up[0], toward[1]]) + torch.stack([right[4], up[10], toward[5]]))
    assert torch.allclose(coords[1], mid, atol=1e-5)
    assert torch.allclose(prob.sum((-1, -2, -3)), torch.ones(2))
    assert spread(prob, coords)[0] < 1e-4 and spread(prob, coords)[1] > 1.0


def test_soft_argmax_gradient_moves_toward_target():
    logits = torch.zeros(1, 4, 4, 4, requires_grad=True)
    coords, _ = soft_argmax_3d(logits)
    (coords - torch.tensor([1.5, -1.5, 1.5])).abs().sum().backward()
    assert logits.grad[0, 0, 0, 0] > 0 > logits.grad[0, 3, 0, 3]  # toward the target corner


def test_heatmap_shapes_and_frame_subset():
    cfg = ReconstructionConfig.from_dict({"model": TINY_MODEL}).model
    net = HeatmapReconstructor(cfg, n_joints=22, n_groups=26).eval()
    x = torch.randint(0, 2, (2, 10, 64, 44), dtype=torch.uint8) * 255
    with torch.no_grad():
        out = net(x)
        sub = net(x, view_R=torch.eye(3).expand(2, 3, 3, 3), frame_idx=torch.tensor([1, 4, 7]))
    k = 22 + 64
    assert out["heatmaps"].shape == (2, 10, k, 8, 16, 11)  # [b, t, K, D, h, w]
    assert out["kp_body"].shape == (2, 10, k, 3) and out["group_rot"].shape == (2, 10, 26, 3, 3)
    assert out["phenotypes"].shape == (2, 6) and out["view"].shape == (2, 2)
    assert sub["heatmaps"].shape == (2, 3, k, 8, 16, 11) and sub["kp_body"].shape == (2, 3, k, 3)
    assert torch.allclose(out["kp_body"][:, :, 0], torch.zeros(2, 10, 3))  # root-relative
    r = out["group_rot"]
    assert torch.allclose(r @ r.transpose(-1, -2), torch.eye(3).expand_as(r), atol=1e-5)


def test_view_rotation_matches_the_cameras():
    from mesh.camera import orbit_cameras
    from mesh.reconstruction.geometry import camera_view_rotation

    views = [0.0, 36.0, 90.0, 144.0, 180.0]
    cams = orbit_cameras(np.zeros((1, 3)), views, focal_px=100, width=64, height=64)
    for i, v in enumerate(views):
        assert np.allclose(camera_view_rotation(cams.R[i], np.eye(3))[0], view_rotation(v), atol=1e-9)
    # side view: walking forward (−Y) is the image right
    assert np.allclose(view_rotation(90.0) @ [0, -1, 0], [1, 0, 0], atol=1e-12)


def test_procrustes_recovers_a_similarity():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(5, 22, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    pred = 1.3 * gt @ q + rng.normal(size=(1, 1, 3))
    assert np.abs(procrustes_align(pred, gt) - gt).max() < 1e-9


def test_config_is_strict():
    with pytest.raises(ConfigError, match="unknown key 'model.widht'"):
        ReconstructionConfig.from_dict({"model": {"widht": [1, 2, 3, 4]}})
    with pytest.raises(ConfigError, match="must be a number"):
        ReconstructionConfig.from_dict({"train": {"batch_size": "8"}})
    with pytest.raises(ConfigError, match="decode_frames"):
        ReconstructionConfig.from_dict({"train": {"frames": 8, "decode_frames": 9}})


def test_prepare_frames_sizes_and_bad_input(blob):
    from mesh.reconstruction.api import prepare_frames

    assert prepare_frames(np.zeros((6, 64, 64), np.uint8) + 255).shape == (6, 64, 44)
    out = prepare_frames(blob)  # [12, 128, 96] raw size -> OpenGait pretreatment
    assert out.shape == (12, 64, 44) and set(np.unique(out)) <= {0, 255}
    with pytest.raises(DataError, match="empty"):
        prepare_frames(np.zeros((0, 64, 64), np.uint8))
    with pytest.raises(DataError, match="at least"):
        prepare_frames(blob[:3])
    with pytest.raises(DataError, match=r"\[t, h, w\]"):
        prepare_frames(np.zeros((64, 64), np.uint8))


def test_exports_load_back_in_trimesh(tmp_path):
    import imageio.v3 as iio

    from gaitcraft.io.video import write_video
    from mesh.reconstruction.export import heatmap_frames, write_joints, write_meshes

    sph = trimesh.creation.icosphere(subdivisions=1)
    verts = np.stack([sph.vertices, sph.vertices * 1.1]).astype(np.float32)  # [2, V, 3]
    for fmt in ("ply", "obj"):
        paths = write_meshes(tmp_path / fmt, verts, sph.faces, fmt)
        back = trimesh.load(paths[1], process=False)
        assert len(paths) == 2 and np.allclose(back.vertices, verts[1], atol=1e-5)
        assert len(back.faces) == len(sph.faces)
    rec = {"joints": np.zeros((2, 22, 3)), "markers": np.zeros((2, 64, 3)), "pose": np.zeros((2, 104, 4, 4)),
           "phenotypes": np.full(6, 0.5), "marker_ids": np.arange(64), "joint_names": ["j"] * 22,
           "view_deg": 90.0, "view_pred_deg": 88.0}
    write_joints(tmp_path / "joints.npz", rec)
    with np.load(tmp_path / "joints.npz") as z:
        assert z["joints"].shape == (2, 22, 3) and float(z["view_deg"]) == 90.0
    hm = np.zeros((3, 86, 18, 16, 16), np.float16)
    hm[np.arange(3), 0, [2, 8, 14], [3, 7, 11], [4, 8, 12]] = 1  # a peak moving through the volume
    write_video(tmp_path / "hm.gif", heatmap_frames(hm), fps=25)
    assert iio.imread(tmp_path / "hm.gif", index=None).shape[0] == 3


def test_body_heatmaps_put_the_root_peak_at_the_root():
    from mesh.reconstruction.volumes import BODY_CENTRE_Z, BODY_GRID, body_heatmaps

    prob = torch.zeros(1, 1, 8, 16, 11)
    prob[0, 0, 4, 5, 6] = 1.0  # a delta at the root's heatmap cell
    right, up, toward = grid_axes(8, 16, 11)
    root = torch.stack([right[6], up[5], toward[4]])[None]
    nz, ny, nx = BODY_GRID
    zc = BODY_CENTRE_Z + (nz - 1) / 2 - np.arange(nz)  # body Z (cells) of each row, top first
    yc, xc = np.arange(ny) - (ny - 1) / 2, np.arange(nx) - (nx - 1) / 2
    for view in (0.0, 90.0):  # axis-aligned views: the body grid straddles the root symmetrically
        vol = body_heatmaps(prob, root, view, 0.11)[0, 0].numpy()  # [Z, Y, X]
        assert vol.sum() == pytest.approx(1.0, abs=1e-5)
        centroid = [(vol.sum((1, 2)) * zc).sum(), (vol.sum((0, 2)) * yc).sum(), (vol.sum((0, 1)) * xc).sum()]
        assert np.allclose(centroid, 0.0, atol=1e-5)


@pytest.fixture(scope="module")
def walk_root(tmp_path_factory):
    """A rendered procedural walk: 1 subject, nm-01, views 90 and 54, 28 frames, with its ground truth."""
    from synth_datasets.procedural.build import build_procedural
    from synth_datasets.procedural.spec import ProceduralSpec

    root = tmp_path_factory.mktemp("walk")
    spec = ProceduralSpec(subjects=1, types=("nm-01",), views=(54.0, 90.0), frames_min=28, frames_max=28,
                          train_subjects=1, seed=3)
    build_procedural(root, spec, workers=1, progress=False)
    return root


@pytest.mark.slow
def test_anny_surrogate_matches_anny(walk_root):
    from mesh.reconstruction.groundtruth import gt_path, load_walk_truth
    from mesh.reconstruction.setup import make_body_setup

    st = make_body_setup(ModelSection(mesh_vertices=64))
    truth = load_walk_truth(gt_path(walk_root, "001", "nm-01"))
    rot = torch.from_numpy(truth.rot[:4]).float()
    ph = torch.from_numpy(truth.phenotypes)[None]
    rest_v, rest_h = st.layer.rest(ph)
    heads, verts = st.layer(rot, rest_v.expand(4, -1, -1), rest_h.expand(4, -1, -1))
    pose = torch.eye(4).repeat(4, 104, 1, 1)
    pose[..., :3, :3] = rot
    ref = st.body.forward(pose, shape=truth.phenotypes[None].astype(np.float64))
    err = (verts - (ref.vertices[:, st.vertex_ids] - ref.joints[:, :1])).norm(dim=-1)
    assert float(err.mean()) < 0.003 and float(err.max()) < 0.012  # metres
    assert float((heads - (ref.joints - ref.joints[:, :1])).norm(dim=-1).max()) < 0.005


@pytest.mark.slow
def test_tiny_reconstructor_overfits_one_walk_and_resumes(walk_root, tmp_path):
    from gaitcraft.io.safe_pickle import load_array_pickle
    from mesh.reconstruction.api import load_reconstructor, reconstruct_sequence
    from mesh.reconstruction.train import train

    cfg = ReconstructionConfig.from_dict({
        "model": TINY_MODEL, "optim": {"lr": 0.005, "warmup_steps": 5},
        "train": {"total_steps": 40, "batch_size": 2, "frames": 8, "decode_frames": 4, "save_every": 20,
                  "log_every": 1, "mixed_precision": "no"}})
    run = tmp_path / "run"
    first = train(cfg, walk_root, run, max_steps=20, progress=False)
    assert first["steps"] == 20 and (run / "checkpoints" / "step-0000020").is_dir()
    done = train(cfg, walk_root, run, progress=False)  # resumes at 20
    assert done["steps"] == 40
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    start, end = np.mean([r["loss"] for r in log[:5]]), np.mean([r["loss"] for r in log[-5:]])
    assert end < start / 2.5, (start, end)  # the stated factor: the loss falls at least 2.5x in 40 steps
    model = load_reconstructor(run)
    frames = load_array_pickle(walk_root / "001" / "nm-01" / "090" / "090.pkl")
    res = reconstruct_sequence(model, frames, 90.0)
    assert res["joints"].shape == (len(frames), 22, 3) and res["vertices"].shape[1:] == (13718, 3)
    # trained on walkers filmed from CASIA-B's side (walker v2), it reads such input as it is
    assert model.meta["camera_side"] == "left" and not res["mirrored"]
    assert res["heatmaps"].shape[:2] == (len(frames), 86)
    # the CLI on the trained run: one .pkl in, every output out (meshes load back in trimesh)
    from gaitcraft.cli import main
    from tests.test_body_model import synthetic_smpl

    out = tmp_path / "out"
    np.savez(tmp_path / "smpl.npz", **synthetic_smpl())
    assert main(["mesh", "reconstruct", "--input", str(walk_root / "001" / "nm-01" / "090" / "090.pkl"),
                 "--out", str(out), "--model", str(run), "--meshes", "obj", "--novel-views",
                 "--smpl", str(tmp_path / "smpl.npz")]) == 0
    for name in ("joints.npz", "heatmaps.gif", "overlay.gif", "novel_views.gif", "meshes/frame_0000.obj",
                 "smpl.npz", "smpl_meshes/frame_0000.obj"):
        assert (out / name).is_file(), name
    assert trimesh.load(out / "meshes" / "frame_0000.obj", process=False).vertices.shape == (13718, 3)
    with pytest.raises(DataError, match="at least"):
        reconstruct_sequence(model, frames[:2])


SUBPROCESS = """
import sys, torch
torch.set_num_threads(1)
from gaitcraft.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_reconstructor_stopped_in_one_process_and_resumed_in_another_ends_with_the_same_weights(walk_root, tmp_path):
    """Stopped at step 3 (no checkpoint interval: saving every 2) by `gaitcraft mesh train` in a separate process,
    then finished here: the same weights, bit for bit, as an uninterrupted run, and each step logged once."""
    import os
    import subprocess
    import sys

    import yaml
    from safetensors.torch import load_file

    from gaitcraft.cli import main
    from gaitcraft.paths import REPO_ROOT

    cfg = ReconstructionConfig.from_dict({
        "model": TINY_MODEL, "optim": {"warmup_steps": 2},
        "train": {"total_steps": 5, "batch_size": 2, "frames": 8, "decode_frames": 4, "save_every": 2,
                  "log_every": 1, "mixed_precision": "no"}})
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    args = ["mesh", "train", "--data", str(walk_root), "--config", str(tmp_path / "tiny.yaml"), "--out"]
    assert main([*args, str(tmp_path / "straight")]) == 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", SUBPROCESS, *args, str(tmp_path / "pieces"), "--max-steps", "3"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "pieces" / "model" / "meta.json").read_text())["finished"] is False
    assert main([*args, str(tmp_path / "pieces")]) == 0
    a, b = (load_file(tmp_path / run / "model" / "model.safetensors") for run in ("straight", "pieces"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    steps = [json.loads(x)["step"] for x in (tmp_path / "pieces" / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]


def test_smpl_fit_recovers_smpl_joints(tmp_path):
    from mesh.body_model import SEMANTIC_JOINTS, SmplBody
    from mesh.demo_poses import rot_x
    from mesh.reconstruction.smpl_fit import fit_smpl, smpl_forward
    from tests.test_body_model import VERTEX_IDS, synthetic_smpl

    np.savez(tmp_path / "smpl.npz", **synthetic_smpl())
    smpl = SmplBody(tmp_path / "smpl.npz", vertex_ids=VERTEX_IDS)
    rot = torch.eye(3).repeat(3, 24, 1, 1)
    for i, a in enumerate((-30.0, 0.0, 30.0)):  # a swinging left hip
        rot[i, 1] = torch.as_tensor(rot_x(a), dtype=torch.float32)
    with torch.no_grad():
        joints, _ = smpl_forward(smpl, rot, torch.zeros(3, smpl.num_betas))
    cols = {n: smpl.semantic_index(n) for n in SEMANTIC_JOINTS}
    fit = fit_smpl(smpl, joints.numpy(), cols, iters=150)
    assert fit["joint_error_mm"] < 10 and fit["vertices"].shape == (3, 162, 3) and fit["pose"].shape == (3, 24, 4, 4)


def test_fused_recognizer_shapes_and_packed_sequences():
    from eval.models.fused_recognizer import FusedRecognizer
    from eval.models.gaitbase import GaitBase
    from eval.models.gaitbase_config import GaitBaseConfig

    cfg = GaitBaseConfig(channels=(8, 8, 16, 16), embed_dim=16, class_num=5)
    net = FusedRecognizer(cfg, n_joints=22).eval()
    sils = torch.randint(0, 2, (3, 6, 64, 44), dtype=torch.uint8) * 255
    kp, sigma = torch.randn(3, 6, 86, 3) * 0.3, torch.full((3, 6, 86), 0.05)
    with torch.no_grad():
        out = net(sils, kp=kp, sigma=sigma)
        packed = net(sils.reshape(1, 18, 64, 44), seq_lens=[6, 6, 6], kp=kp.reshape(1, 18, 86, 3),
                     sigma=sigma.reshape(1, 18, 86))
    assert out["embeddings"].shape == (3, 16, 16 + net.parts_3d) and out["logits"].shape == (3, 5, 16 + net.parts_3d)
    assert torch.allclose(out["embeddings"], packed["embeddings"], atol=1e-4)
    with pytest.raises(ValueError, match="keypoints"):
        net(sils)
    # without the 3D branch it is GaitBase, parameter for parameter
    sil_only = FusedRecognizer(cfg, n_joints=22, use_3d=False)
    assert {k: v.shape for k, v in sil_only.state_dict().items()} == {k: v.shape for k, v in GaitBase(cfg).state_dict().items()}


def test_token_clips_draw_the_same_clips_as_clip_dataset(tmp_path):
    from eval.training.train_fused import TokenClips
    from gaitcraft.dataset import ClipDataset

    class Rec:
        def __init__(self, n):
            self.arr = np.random.default_rng(n).integers(0, 2, (n, 64, 64), dtype=np.uint8) * 255

        def load(self):
            return self.arr

    recs = [Rec(20), Rec(35)]
    a, b = ClipDataset(recs, frames=8, seed=4), TokenClips(recs, frames=8, seed=4)
    for i in (0, 1, 1, 0):
        x, y = a[i], b[i]
        assert torch.equal(x["sil"], y["sil"])
        rec, idx = b.registry[y["index"]]
        assert rec == i and torch.equal(torch.from_numpy(recs[i].arr[idx][:, :, 10:54]), y["sil"])


@pytest.mark.parametrize("extra, problem", [(["--view", "north"], "view must be degrees or 'auto', got 'north'"),
                                            (["--limit", "0"], "limit must be at least 1"),
                                            ([], "missing.pkl: input does not exist")])
def test_reconstruct_command_errors_are_one_line(tmp_path, capsys, extra, problem):
    from gaitcraft.cli import main

    code = main(["mesh", "reconstruct", "--input", str(tmp_path / "missing.pkl"), "--out", str(tmp_path / "o"),
                 *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("gaitcraft mesh reconstruct: error: ") and problem in err
    assert not (tmp_path / "o").exists()
