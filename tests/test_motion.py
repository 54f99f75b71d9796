"""Motion: BVH reading, retargeting to anny, gait cycles, gait styles and the animated walk."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
import torch

from gaitcraft.errors import DataError
from gaitcraft.paths import mocap_dir
from mesh import rotations as rt
from mesh.bvh import read_bvh
from mesh.gait_cycles import CycleLibrary, heel_strikes, load_cycle_library
from mesh.gait_metrics import measure_motion
from mesh.gait_style import GaitStyle, cycle_ids, sample_style, session_variation
from mesh.motion import animate, skeleton
from mesh.retarget import AnnyReference, joint_errors_cm, local_ref_fk, retarget_clip

CLIP = "cmu_07_01.bvh"


@pytest.fixture(scope="module")
def lib() -> CycleLibrary:
    return load_cycle_library()


@pytest.fixture(scope="module")
def anny():
    from mesh.anny_model import load_anny

    return load_anny()


# ---- BVH ------------------------------------------------------------------------------------------------------


def test_bvh_matches_bvhio_keyframes():
    bvhio = pytest.importorskip("bvhio")
    from scipy.spatial.transform import Rotation

    path = mocap_dir() / CLIP
    clip = read_bvh(path)
    assert clip.n_frames == 317 and len(clip.names) == 31 and abs(clip.fps - 120) < 1e-3
    assert clip.parents[clip.index("LeftLeg")] == clip.index("LeftUpLeg")
    ref = bvhio.readAsBvh(str(path))
    worst = 0.0
    for joint, _, _ in ref.Root.layout():
        j = clip.index(joint.Name)
        for f in (0, 1, 150, 316):
            q = joint.Keyframes[f].Rotation
            diff = Rotation.from_quat([q.x, q.y, q.z, q.w]) * Rotation.from_matrix(clip.rotations[f, j]).inv()
            worst = max(worst, diff.magnitude())
    assert np.degrees(worst) < 1e-3
    rw, pw = clip.forward_kinematics()
    # Frame 0 is the synthetic T-pose: the thigh hangs straight down (notes: direction (−0.017, −1, 0)).
    thigh = pw[0, clip.index("LeftLeg")] - pw[0, clip.index("LeftUpLeg")]
    assert thigh[1] / np.linalg.norm(thigh) < -0.99
    assert np.allclose(rw[:, 0], clip.rotations[:, 0])


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda t: t[: len(t) // 2], "BVH motion has"),  # truncated mid-motion
        (lambda t: t.replace("OFFSET", "OFSET", 1), "expected 'OFFSET'"),
        (lambda t: t.replace("Zrotation", "Qrotation", 1), "unknown channel"),
        (lambda t: t.replace("MOTION", "MOTON"), "no MOTION section"),
        (lambda t: t[: t.index("Frame Time")] + "Frame Time: x\n", "frame time must be a number"),
        (lambda t: t.rstrip() + " 1.0\n", "BVH motion has"),  # one value too many
        (lambda t: t.rstrip().rsplit(" ", 1)[0] + " abc\n", "non-numeric"),
    ],
)
def test_malformed_bvh_raises_one_line_data_error(tmp_path, mangle, message):
    bad = tmp_path / "bad.bvh"
    bad.write_text(mangle((mocap_dir() / CLIP).read_text()))
    with pytest.raises(DataError) as e:
        read_bvh(bad)
    assert str(bad) in str(e.value) and message in str(e.value) and "\n" not in str(e.value)


def test_missing_bvh_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_bvh(tmp_path / "nope.bvh")


# ---- retargeting ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_retarget_joint_errors_and_hinges(anny):
    ref = AnnyReference.from_model(anny)
    assert abs(ref.leg_length - 0.794) < 0.002
    ret = retarget_clip(read_bvh(mocap_dir() / CLIP), ref)
    assert ret.rot.shape == (316, 104, 3, 3) and abs(ret.k - 0.983) < 0.002
    sub = slice(None, None, 8)
    with torch.no_grad():
        heads = anny(pose_parameters=ret.pose_matrices()[sub])["bone_poses"][:, :, :3, 3].double().numpy()
    ret.joints = ret.joints[sub]
    err = {k: v.mean() for k, v in joint_errors_cm(ret, heads, ref).items()}
    # Notes' table for 07_01: hip 0.41, knee 0.84/0.72, ankle 0.66/0.53, ball 3.7/2.6 cm.
    assert err["hip"] < 0.6 and err["knee"] < 1.2 and err["ankle"] < 1.2 and err["ball"] < 4.5, err
    # Arm shape (segment lengths differ a little): a few cm once the shoulders are put at one point.
    assert err["elbow_rel"] < 4 and err["wrist_rel"] < 4 and err["thorax"] < 4, err
    # The anny-free FK agrees with anny's own bone poses.
    fk = local_ref_fk(ret.rot[sub], ret.root_pos[sub], ref.heads, ref.parents)
    assert np.abs(fk - heads).max() < 1e-5
    # Limb-plane twist: the knee and elbow stay hinges about anny's own hinge axis.
    h = ref.heads
    for a, b, c in (("upperleg01.L", "lowerleg01.L", "foot.L"), ("upperarm01.R", "lowerarm01.R", "wrist.R")):
        n = rt.normalize(np.cross(h[ref.idx(b)] - h[ref.idx(a)], h[ref.idx(c)] - h[ref.idx(b)]))
        off = np.degrees(np.arccos(np.clip(np.einsum("fab,b->fa", ret.rot[:, ref.idx(b)], n) @ n, -1, 1)))
        assert off.mean() < 1.0 and off.max() < 4.0
    # Head not thrown back, shoulders not shrugged: rotation-delta transfer keeps neck and clavicles near rest.
    neck = rt.as_rotvec(ret.rot[:, ref.idx("neck01")])
    assert np.degrees(np.linalg.norm(neck, axis=-1)).max() < 15
    for b in ("clavicle.L", "clavicle.R"):
        assert np.allclose(ret.rot[:, ref.idx(b)], np.eye(3), atol=1e-6)


# ---- gait cycles ------------------------------------------------------------------------------------------------


def test_zeni_heel_strikes_on_synthetic_signal():
    fps, period = 120.0, 1.1
    t = np.arange(600) / fps
    rel = 0.3 * np.cos(2 * np.pi * t / period)  # ankle furthest ahead at t = 0, 1.1, 2.2, ...
    hs = heel_strikes(rel, fps)
    assert np.allclose(np.diff(hs) / fps, period, atol=1.5 / fps)
    offset = (hs / fps + 0.5 * period) % period - 0.5 * period  # distance to the nearest true peak
    assert np.abs(offset).max() <= 1.5 / fps


def test_cycle_library_statistics(lib):
    assert lib.n_cycles >= 30 and len(lib.clips) == 12  # every clip gives at least one steady cycle
    assert len(set(lib.subjects)) == 10
    # Notes: T = 0.96–1.33 s across clips (±1 frame at 120 fps from HS quantisation).
    assert lib.period.min() > 0.94 and lib.period.max() < 1.35
    assert np.all(np.abs(lib.right_hs_phase - 0.5) < 0.06)
    assert np.all((lib.toe_off_phase[:, 0] > 0.5) & (lib.toe_off_phase[:, 0] < 0.7))  # stance ≈ 60 %
    stride_m = lib.stride * lib.clip_leg_m[lib.cycle_clip]
    assert stride_m.min() > 0.9 and stride_m.max() < 1.8  # notes: 1.03–1.65 m
    assert np.all(np.abs(lib.clip_floor_slope) < 2.5)
    assert np.all((lib.root_height > 0.95) & (lib.root_height < 1.12))  # the pelvis rides ~1.04 legs high
    # Cycles loop: the last phase sample leads smoothly into the first.
    jump = rt.as_rotvec(lib.rot[:, 0] @ np.swapaxes(lib.rot[:, -1], -1, -2))  # [n, 104, 3]
    step = rt.as_rotvec(lib.rot[:, 1] @ np.swapaxes(lib.rot[:, 0], -1, -2))
    assert np.linalg.norm(jump, axis=-1).max() < 4 * np.linalg.norm(step, axis=-1).max() + 1e-3


def test_cycle_library_cache_roundtrip(tmp_path, monkeypatch, lib):
    from gaitcraft.paths import anny_cache_dir

    monkeypatch.setenv("ANNY_CACHE_DIR", str(anny_cache_dir()))  # keep the shared anny build
    monkeypatch.setenv("GAITCRAFT_CACHE", str(tmp_path))
    built = load_cycle_library()
    files = list((tmp_path / "motion").glob("cycles-*.npz"))
    assert len(files) == 1 and built.key in files[0].name
    assert load_cycle_library() is built  # memoised in-process
    t0 = time.perf_counter()
    again = CycleLibrary.load(files[0])
    assert time.perf_counter() - t0 < 1.0
    # a fresh build holds exactly what its cache file gives back, so renders do not depend on the cache state
    for f in dataclasses.fields(CycleLibrary):
        a, b = getattr(again, f.name), getattr(built, f.name)
        assert type(a) is type(b) and (np.array_equal(a, b, equal_nan=True) if isinstance(a, np.ndarray) else a == b)
        assert not isinstance(a, np.ndarray) or a.dtype == b.dtype, f.name
    assert again.key == lib.key  # same clips + code version → same key as the shared cache


# ---- styles and animation ----------------------------------------------------------------------------------------


def test_style_is_deterministic_and_json_roundtrips(lib):
    a = sample_style(np.random.default_rng(7), lib)
    b = sample_style(np.random.default_rng(7), lib)
    c = sample_style(np.random.default_rng(8), lib)
    assert a == b and a != c
    assert GaitStyle.from_json(json.dumps(json.loads(a.to_json()))) == a
    assert 2 <= len(a.cycles) <= 3 and abs(sum(a.weights) - 1) < 1e-9
    s1 = session_variation(a, np.random.default_rng(1))
    m1 = animate(a, 0.8, 40, session=s1, library=lib)
    m2 = animate(b, 0.8, 40, session=session_variation(b, np.random.default_rng(1)), library=lib)
    assert torch.equal(m1.pose, m2.pose) and np.array_equal(m1.heel_strike, m2.heel_strike)
    assert abs(m1.phase[0] - s1.start_phase) < 1e-12


def test_animate_conventions_and_no_foot_skating(lib):
    style = sample_style(np.random.default_rng(3), lib)
    fps, leg = 25.0, 0.85
    m = animate(style, leg, 120, fps=fps, library=lib)
    assert m.pose.shape == (120, 104, 4, 4) and m.pose.dtype == torch.float32
    r = m.pose[..., :3, :3].double()
    assert torch.allclose(r @ r.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand_as(r), atol=1e-5)
    assert torch.all(m.pose[:, 1:, :3, 3] == 0) and torch.all(m.pose[..., 3, 3] == 1)
    root = m.root_translation
    assert root[0, 1] == 0 and abs(root[:, 0].mean()) < 0.01  # starts at y = 0, sways about x = 0
    # Walks toward −Y at stride/period; lateral drift stays within the sway.
    whole = int(round(2 * m.period_s * fps))  # two cycles of frames
    assert abs(-(root[whole, 1] - root[0, 1]) / (whole / fps) - m.speed_mps) < 0.05 * m.speed_mps
    assert np.abs(root[:, 0]).max() < 0.05
    assert 0.95 * leg < root[:, 2].mean() < 1.12 * leg
    # Heel strikes: left at integer phases, right at right_hs_phase, once per cycle each.
    hs_l = np.flatnonzero(m.heel_strike[:, 0])
    assert np.all(np.abs(m.phase[hs_l] - np.round(m.phase[hs_l])) <= 0.5 / (fps * m.period_s) + 1e-9)
    assert abs(np.diff(hs_l).mean() - m.period_s * fps) <= 1.0
    assert abs(int(m.heel_strike[:, 1].sum()) - len(hs_l)) <= 1
    # Feet stay put in mid-stance (CMU's own ankles slide ≤ 0.1 m/s).
    joints = skeleton(m, lib)
    for side, hs_phase in (("L", 0.0), ("R", m.right_hs_phase)):
        ankle = joints[:, lib.bone_labels.index(f"foot.{side}"), :2]
        speed = np.linalg.norm(np.diff(ankle, axis=0), axis=-1) * fps
        mid = ((m.phase[:-1] - hs_phase) % 1 > 0.15) & ((m.phase[:-1] - hs_phase) % 1 < 0.35)
        assert np.median(speed[mid]) < 0.2 < m.speed_mps
        assert np.median(speed[~mid]) > np.median(speed[mid])
    gt = m.ground_truth()
    assert gt["pose_axis_angle"].shape == (120, 104, 3) and gt["root_translation"].shape == (120, 3)


def test_real_cycle_reproduced_and_measured(lib):
    i = cycle_ids(lib).index("cmu_07_01/L0")
    m = animate(GaitStyle(["cmu_07_01/L0"], [1.0]), 0.794, 100, library=lib)
    assert abs(m.period_s - lib.period[i]) < 1e-9 and abs(m.stride_m / 0.794 - lib.stride[i]) < 1e-6
    got = measure_motion(m, lib)
    assert abs(got.cadence_spm - m.cadence_spm) < 0.05 * m.cadence_spm  # 25 fps quantises HS to 40 ms
    assert abs(got.stride_m - m.stride_m) < 0.05 * m.stride_m
    assert abs(got.speed_mps - m.speed_mps) < 0.05 * m.speed_mps
    assert 10 < got.arm_swing_deg < 60


def test_subjects_differ_more_than_sessions(lib):
    rng = np.random.default_rng(0)
    stride, arm, cadence = (np.zeros((10, 5)) for _ in range(3))
    for i in range(10):
        style = sample_style(rng, lib)
        for j in range(5):
            m = animate(style, 0.85, 80, session=session_variation(style, rng), library=lib)
            g = measure_motion(m, lib)
            stride[i, j], arm[i, j], cadence[i, j] = g.stride_m, g.arm_swing_deg, g.cadence_spm
    for x in (stride, arm, cadence):
        between = x.mean(1).var(ddof=1)
        within = x.var(1, ddof=1).mean()
        assert between > 3 * within, (between, within)
