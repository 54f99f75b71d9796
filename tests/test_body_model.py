"""Body models: the SMPL path (synthetic model, safe .pkl conversion) and the anny backend's conventions."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import trimesh

from gaitcraft.cli import main
from gaitcraft.errors import ConfigError, DataError
from mesh.body_model import SMPL_KEYS, SMPL_TO_WORLD, SmplBody, load_body_model
from mesh.demo_poses import rot_x
from mesh.smpl_convert import convert_smpl, read_smpl_pkl

# SMPL's kinematic tree (parent of each of the 24 joints)
SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
VERTEX_IDS = {k: 0 for k in ("nose", "reye", "leye", "rear", "lear", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
                             "RSmallToe", "RHeel", "lthumb", "lindex", "lmiddle", "lring", "lpinky", "rthumb",
                             "rindex", "rmiddle", "rring", "rpinky")}


def synthetic_smpl(seed: int = 0) -> dict[str, np.ndarray]:
    """A small SMPL-format model (162 vertices, 24 joints) in SMPL axes: Y up, facing +Z.

    Vertices form a tall ellipsoid; each joint is regressed from one vertex and every vertex is skinned
    one-hot to its nearest joint, so rigid motions are easy to predict exactly.
    """
    rng = np.random.default_rng(seed)
    sph = trimesh.creation.icosphere(subdivisions=2)
    v = np.asarray(sph.vertices) * [0.25, 0.85, 0.15]  # [162, 3]
    n_v = len(v)
    joint_vertex = rng.choice(n_v, 24, replace=False)
    joints = v[joint_vertex] * 0.6  # regressor picks scaled vertex positions -> joints inside the body
    j_reg = np.zeros((24, n_v))
    j_reg[np.arange(24), joint_vertex] = 0.6
    d = np.linalg.norm(v[:, None] - joints[None], axis=-1)
    weights = np.zeros((n_v, 24))
    weights[np.arange(n_v), d.argmin(1)] = 1.0
    return {
        "v_template": v,
        "shapedirs": rng.normal(0, 0.01, size=(n_v, 3, 10)),
        "posedirs": np.zeros((n_v, 3, 207)),
        "J_regressor": j_reg,
        "weights": weights,
        "kintree_table": np.stack([np.array([4294967295] + SMPL_PARENTS[1:]), np.arange(24)]).astype(np.int64),
        "f": np.asarray(sph.faces, dtype=np.int64),
    }


@pytest.fixture
def smpl_npz(tmp_path):
    data = synthetic_smpl()
    path = tmp_path / "smpl.npz"
    np.savez(path, **data)
    return path, data


def test_smpl_missing_keys_are_named(tmp_path):
    data = synthetic_smpl()
    del data["posedirs"], data["weights"]
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(ConfigError, match="posedirs, weights"):
        SmplBody(tmp_path / "bad.npz", vertex_ids=VERTEX_IDS)
    with pytest.raises(ConfigError, match="not found"):
        SmplBody(tmp_path / "nope.npz")
    with pytest.raises(ConfigError, match="needs a model file"):
        load_body_model("smpl")


def test_smpl_identity_pose_is_the_template_in_gaitcraft_axes(smpl_npz):
    path, data = smpl_npz
    body = SmplBody(path, vertex_ids=VERTEX_IDS)
    assert body.n_joints == 24 and body.parents == SMPL_PARENTS
    pose = body.identity_pose(2)
    pose[1, 0, :3, 3] = torch.tensor([1.0, 2.0, 3.0])
    out = body(pose)
    j0 = data["J_regressor"][0] @ data["v_template"]
    want = (data["v_template"] - j0) @ SMPL_TO_WORLD.T
    np.testing.assert_allclose(out.vertices[0].numpy(), want, atol=1e-5)
    np.testing.assert_allclose(out.vertices[1].numpy(), want + [1, 2, 3], atol=1e-5)
    np.testing.assert_allclose(out.joints[1, 0].numpy(), [1, 2, 3], atol=1e-6)
    # SMPL's +Y (up) became +Z, its +Z (facing) became -Y
    assert np.ptp(want[:, 2]) > 1.5 and np.ptp(want[:, 1]) < 0.35
    np.testing.assert_allclose(out.bone_transforms[..., :3, :3].numpy(), np.broadcast_to(np.eye(3), (2, 24, 3, 3)),
                               atol=1e-6)


def test_smpl_local_ref_rotation_about_a_joint_in_world_axes(smpl_npz):
    path, data = smpl_npz
    body = SmplBody(path, vertex_ids=VERTEX_IDS)
    rest = body(None)
    j = 4  # left knee; its one-hot skinned vertices rotate rigidly about it
    sub = [j, 7, 10]  # the knee and its descendants (ankle, foot)
    pose = body.identity_pose(1)
    rot = torch.as_tensor(rot_x(-40.0), dtype=torch.float32)
    pose[0, j, :3, :3] = rot
    out = body(pose)
    moved = np.isin(data["weights"].argmax(1), sub)
    knee = rest.joints[0, j].numpy()
    want = (rest.vertices[0].numpy()[moved] - knee) @ rot.numpy().T + knee
    np.testing.assert_allclose(out.vertices[0].numpy()[moved], want, atol=1e-5)
    np.testing.assert_allclose(out.vertices[0].numpy()[~moved], rest.vertices[0].numpy()[~moved], atol=1e-6)
    # world rotations chain down the tree; the root is untouched
    np.testing.assert_allclose(out.bone_transforms[0, 7, :3, :3].numpy(), rot.numpy(), atol=1e-6)
    np.testing.assert_allclose(out.bone_transforms[0, 0, :3, :3].numpy(), np.eye(3), atol=1e-6)
    # a root rotation turns the whole body about the root joint
    pose = body.identity_pose(1)
    rz = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    pose[0, 0, :3, :3] = rz
    turned = body(pose)
    np.testing.assert_allclose(turned.vertices[0].numpy(), rest.vertices[0].numpy() @ rz.numpy().T, atol=1e-5)
    # shape parameters change the body, semantic joints and regions resolve
    fat = body(None, torch.full((1, 10), 2.0))
    assert (fat.vertices - rest.vertices).abs().max() > 0.01
    assert body.semantic_index("right_wrist") == 21
    assert body.region_weights("upper_legs").sum() == pytest.approx(np.isin(data["weights"].argmax(1), [1, 2]).sum())
    with pytest.raises(ConfigError, match="betas"):
        body(None, torch.zeros(1, 3))
    with pytest.raises(ConfigError, match="pose must be"):
        body(torch.eye(4).expand(1, 23, 4, 4))


# ----------------------------------------------------------------------------------------------- .pkl conversion


class _FakeCh:
    """Pickles like a chumpy `Ch`: class chumpy.ch.Ch, state dict holding the array under 'x'."""

    def __init__(self, x):
        self.x = x
        self._dirty_vars = set()


@pytest.fixture
def fake_chumpy(monkeypatch):
    """Register an importable `chumpy.ch.Ch` just long enough to pickle objects that reference it."""
    ch_mod = types.ModuleType("chumpy.ch")
    pkg = types.ModuleType("chumpy")
    _FakeCh.__module__, _FakeCh.__qualname__, _FakeCh.__name__ = "chumpy.ch", "Ch", "Ch"
    ch_mod.Ch = _FakeCh
    pkg.ch = ch_mod
    monkeypatch.setitem(sys.modules, "chumpy", pkg)
    monkeypatch.setitem(sys.modules, "chumpy.ch", ch_mod)
    return _FakeCh


def official_like(data: dict) -> dict:
    """The layout of an official SMPL pickle: chumpy arrays, a sparse J_regressor, extra string fields."""
    return {
        "v_template": _FakeCh(data["v_template"]),
        "shapedirs": _FakeCh(data["shapedirs"]),
        "posedirs": data["posedirs"],
        "J_regressor": sp.csc_matrix(data["J_regressor"]),
        "weights": _FakeCh(data["weights"]),
        "kintree_table": data["kintree_table"],
        "f": data["f"].astype(np.uint32),
        "J": _FakeCh(data["J_regressor"] @ data["v_template"]),
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }


@pytest.mark.parametrize("protocol", [1, 2])
def test_convert_chumpy_pickle_without_chumpy(tmp_path, fake_chumpy, monkeypatch, protocol):
    data = synthetic_smpl()
    pkl = tmp_path / "SMPL_NEUTRAL.pkl"
    pkl.write_bytes(pickle.dumps(official_like(data), protocol=protocol))
    monkeypatch.delitem(sys.modules, "chumpy")  # reading must not need chumpy
    monkeypatch.delitem(sys.modules, "chumpy.ch")
    out = convert_smpl(pkl, tmp_path / "smpl.npz")
    with np.load(out, allow_pickle=False) as z:
        assert sorted(z.files) == sorted(SMPL_KEYS)
        for key in SMPL_KEYS:
            np.testing.assert_allclose(z[key], data[key])
    direct = SmplBody(tmp_path / "smpl.npz", vertex_ids=VERTEX_IDS)(None)
    np.savez(tmp_path / "ref.npz", **data)
    ref = SmplBody(tmp_path / "ref.npz", vertex_ids=VERTEX_IDS)(None)
    np.testing.assert_allclose(direct.vertices.numpy(), ref.vertices.numpy(), atol=1e-6)


class _Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        import os

        return (os.system, (self.cmd,))


class _EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('PWNED').touch()",))


def test_malicious_pickles_are_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    for i, payload in enumerate([{"v_template": _Evil(f"touch {marker}")}, _EvalEvil()]):
        pkl = tmp_path / f"evil{i}.pkl"
        pkl.write_bytes(pickle.dumps(payload, protocol=2))
        with pytest.raises(DataError, match="refused global"):
            read_smpl_pkl(pkl)
    assert not marker.exists() and not (tmp_path / "PWNED").exists()
    assert main(["mesh", "convert-smpl", "--input", str(tmp_path / "evil0.pkl"), "--out", str(tmp_path / "o.npz")]) == 2
    assert not (tmp_path / "o.npz").exists() and not marker.exists()


def test_conversion_errors_name_the_problem(tmp_path, fake_chumpy):
    data = synthetic_smpl()
    bad = official_like(data)
    del bad["f"]
    (tmp_path / "nof.pkl").write_bytes(pickle.dumps(bad, protocol=2))
    with pytest.raises(DataError, match="missing key"):
        read_smpl_pkl(tmp_path / "nof.pkl")
    odd = official_like(data)
    odd["weights"] = _FakeCh(None)
    del odd["weights"].x
    (tmp_path / "odd.pkl").write_bytes(pickle.dumps(odd, protocol=2))
    with pytest.raises(DataError, match="weights"):
        read_smpl_pkl(tmp_path / "odd.pkl")
    (tmp_path / "trunc.pkl").write_bytes(pickle.dumps(official_like(data), protocol=2)[:200])
    with pytest.raises(DataError, match="truncated|corrupt"):
        read_smpl_pkl(tmp_path / "trunc.pkl")


# ----------------------------------------------------------------------------------------------------- anny


@pytest.fixture(scope="module")
def anny_body():
    from mesh.body_model import AnnyBody

    return AnnyBody()


@pytest.mark.slow
def test_anny_conventions(anny_body):
    b = anny_body
    rest = b(None, {"age": 2 / 3}, batch=2)
    assert rest.vertices.shape == (2, 13718, 3) and rest.faces.shape == (27420, 3)
    assert rest.joints.shape == (2, 104, 3) and rest.vertices.dtype == torch.float32
    # the reference pose's bone transforms are world-aligned
    np.testing.assert_allclose(rest.bone_transforms[0, :, :3, :3].numpy(), np.broadcast_to(np.eye(3), (104, 3, 3)),
                               atol=1e-5)
    # faces -Y, Z up: the toes are in front (-Y) of the heels, the head above the feet
    v = rest.vertices[0].numpy()
    assert v[:, 2].argmax() != v[:, 2].argmin() and v[v[:, 2].argmax(), 2] > 0.7
    # 'local-ref': -X rotation at the left hip moves the knee forward (-Y) about the hip
    hip, knee = b.semantic_index("left_hip"), b.semantic_index("left_knee")
    pose = b.identity_pose(1)
    pose[0, hip, :3, :3] = torch.as_tensor(rot_x(-30.0), dtype=torch.float32)
    pose[0, 0, :3, 3] = torch.tensor([0.0, -1.0, 0.1])
    out = b(pose, {"age": 2 / 3})
    r_knee = rest.joints[0, knee] - rest.joints[0, hip]
    p_knee = out.joints[0, knee] - out.joints[0, hip]
    np.testing.assert_allclose(p_knee.numpy(), (torch.as_tensor(rot_x(-30.0)).float() @ r_knee).numpy(), atol=1e-4)
    assert p_knee[1] < r_knee[1] - 0.1
    np.testing.assert_allclose(out.joints[0, 0].numpy(), [0.0, -1.0, 0.1], atol=1e-5)
    # per-sample phenotypes and region weights
    two = b(None, {"height": torch.tensor([0.2, 0.8]), "age": 0.8})
    assert np.ptp(two.vertices[1, :, 2].numpy()) > np.ptp(two.vertices[0, :, 2].numpy()) + 0.3
    legs = b.region_weights("upper_legs")
    assert legs.shape == (13718,) and 0 < legs.mean() < 0.3 and legs.max() <= 1.0


@pytest.mark.slow
def test_anny_bad_phenotypes_are_config_errors(anny_body):
    with pytest.raises(ConfigError, match="unknown anny phenotype"):
        anny_body(None, {"shoe_size": 0.5})
    with pytest.raises(ConfigError, match="age must lie"):
        anny_body(None, {"age": 1.5})
    with pytest.raises(ConfigError, match=r"\[B, 6\]"):
        anny_body(None, torch.zeros(1, 4))
    with pytest.raises(ConfigError, match="unknown body model"):
        load_body_model("mano")


def test_smpl_bodies_dress_and_render(smpl_npz):
    """Clothing, objects and the renderer only use the BodyModel interface, so SMPL works end to end."""
    from mesh.accessories import dress
    from mesh.render import render_dressed

    path, _ = smpl_npz
    body = SmplBody(path, vertex_ids=VERTEX_IDS)
    pose = body.identity_pose(4)
    pose[:, 0, 1, 3] = -0.05 * torch.arange(4)  # walking along -Y
    out = body(pose)
    plain, _ = render_dressed(dress(out, body, "normal", "none"), [0.0, 90.0], 48)
    dressed, cams = render_dressed(dress(out, body, "coat", "backpack"), [0.0, 90.0], 48)
    assert plain.shape == dressed.shape == (2, 4, 72, 72) and cams.n_frames == 4
    assert (plain > 0).sum() > 0 and (dressed > 0).sum() > (plain > 0).sum()
