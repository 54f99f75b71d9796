"""The second walker: real adult builds, a narrow stance with relaxed wrists, trousers, boxy coats, hair and
CASIA-B's camera, while the first walker stays reproducible."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.walker_realism import separated_leg_share, widths
from gaitcraft.errors import ConfigError
from gaitcraft.pretreat import binarize, pretreat_frames
from mesh.accessories import Outfit, sample_outfit
from mesh.body_model import ADULT_MALE_SHARE, ANNY_ADULT_AGE, ANNY_PHENOTYPES, sample_adult_phenotypes
from mesh.camera import orbit_cameras, sequence_cameras
from mesh.gait_style import GaitStyle
from mesh.subjects import sample_subject
from synth_datasets.procedural.spec import SPEC_FILE, ProceduralSpec, check_output_spec

# ---- sampling (no body model needed) --------------------------------------------------------------------------


def test_adult_phenotypes_cover_real_builds():
    rng = np.random.default_rng(0)
    draws = [sample_adult_phenotypes(rng) for _ in range(4000)]
    for name, (lo, hi) in ANNY_PHENOTYPES.items():
        vals = np.array([d[name] for d in draws])
        assert vals.min() >= lo and vals.max() <= hi
    age = np.array([d["age"] for d in draws])
    assert age.min() >= ANNY_ADULT_AGE and age.max() > 0.95  # young adults to old
    weight = np.array([d["weight"] for d in draws])
    assert (weight >= 0.85).mean() > 0.05 and weight.max() == 1.0  # heavier builds are drawn
    assert (weight <= 0.25).mean() > 0.05  # and slim ones
    gender = np.array([d["gender"] for d in draws])
    assert abs((gender < 0.5).mean() - ADULT_MALE_SHARE) < 0.03
    assert np.all((gender <= 0.3) | (gender >= 0.7))  # bodies near a pole, not a blend of both
    muscle = np.array([d["muscle"] for d in draws])
    assert muscle.min() < 0.2 and muscle.max() > 0.7


def test_subjects_are_deterministic_and_v1_recipes_keep_their_old_form():
    a, b = sample_subject(5, 3), sample_subject(5, 3)
    assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)
    assert a.walker == "v2" and a.outfit is not None and a.style.relaxed_wrists and a.style.leg_adduction_deg > 0
    old = sample_subject(5, 3, "v1")
    assert set(old.to_json()) == {"subject", "phenotypes", "style", "bags"}
    assert "leg_adduction_deg" not in old.to_json()["style"] and "relaxed_wrists" not in old.to_json()["style"]
    assert 0.62 <= old.phenotypes["age"] <= 0.95 and old.outfit is None
    assert old.to_json()["phenotypes"] != a.to_json()["phenotypes"]
    with pytest.raises(ConfigError, match="unknown walker"):
        sample_subject(5, 3, "v9")


def test_style_and_outfit_json_roundtrip():
    style = GaitStyle(["cmu_07_01/L0"], [1.0], leg_adduction_deg=3.5, relaxed_wrists=True)
    assert GaitStyle.from_dict(json.loads(style.to_json())) == style
    assert "leg_adduction_deg" not in GaitStyle(["cmu_07_01/L0"], [1.0]).to_dict()
    outfit = sample_outfit(np.random.default_rng(1))
    assert Outfit.from_dict(json.loads(json.dumps(outfit.to_dict()))) == outfit
    with pytest.raises(ConfigError, match="unknown outfit"):
        Outfit.from_dict({"cape": 1.0})


def test_spec_walker_field_and_old_specs(tmp_path):
    with pytest.raises(ConfigError, match="unknown walker"):
        ProceduralSpec(walker="v0")
    old = ProceduralSpec(subjects=2, walker="v1").to_json()
    del old["walker"]  # a spec file written before walker versions existed
    assert ProceduralSpec.from_json(old).walker == "v1"
    (tmp_path / SPEC_FILE).write_text(json.dumps(old))
    assert check_output_spec(tmp_path, ProceduralSpec(subjects=2, walker="v1"))  # resumes as the v1 it is
    with pytest.raises(ConfigError, match="walker"):
        check_output_spec(tmp_path, ProceduralSpec(subjects=2))


# ---- camera ---------------------------------------------------------------------------------------------------


def test_left_side_orbit_is_the_mirror_of_the_right_one():
    target = np.zeros((1, 3))
    kw = dict(distance=4.0, focal_px=100.0, width=101, height=101)
    left = orbit_cameras(target, [90.0, 36.0], side="left", **kw)
    right = orbit_cameras(target, [270.0, 324.0], **kw)
    np.testing.assert_allclose(left.centres(), right.centres(), atol=1e-9)
    assert left.centres()[0, 0, 0] > 3.9  # at 90 deg the camera stands on the walker's left (+X)
    uv, _ = left.project(np.array([[[0.0, -0.5, 0.0]]]))  # half a metre ahead of the walker
    assert uv[0, 0, 0, 0] < 50  # the walker faces the image left, as CASIA-B's walkers do
    with pytest.raises(ConfigError, match="side"):
        orbit_cameras(target, [0.0], side="up", **kw)


def test_camera_height_sets_the_eye_height():
    rng = np.random.default_rng(0)
    body = rng.uniform([-0.2, -0.1, 0.0], [0.2, 0.1, 1.75], size=(3, 200, 3))  # [T, V, 3] a 1.75 m box
    cams = sequence_cameras(body, [0.0, 90.0], camera_height=1.3)
    ground = body[..., 2].min()
    np.testing.assert_allclose(cams.centres()[..., 2] - ground, 1.3, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(cams.centres()[0, 0, :2] - [0, 0]), 4.5 * np.cos(
        np.radians(cams.elevation_deg)), atol=0.05)
    assert cams.elevation_deg > 0  # above mid-body: looking down
    with pytest.raises(ConfigError, match="cannot be reached"):
        sequence_cameras(body, [0.0], camera_height=20.0)


# ---- motion (cycle library, no anny forward) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lib():
    from mesh.gait_cycles import load_cycle_library

    return load_cycle_library()


def _world(rot: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """World rotations `[p, b, 3, 3]` of 'local-ref' rotations."""
    g = np.empty_like(rot)
    g[:, 0] = rot[:, 0]
    for i in range(1, rot.shape[1]):
        g[:, i] = g[:, parents[i]] @ rot[:, i]
    return g


@pytest.mark.slow
def test_leg_adduction_brings_knees_and_feet_in_and_keeps_shanks_upright(lib):
    from mesh.gait_style import compile_style
    from mesh.retarget import local_ref_fk

    ix = {n: i for i, n in enumerate(lib.bone_labels)}
    base = GaitStyle(["cmu_07_01/L0", "cmu_16_15/L0"], [0.5, 0.5])
    out = {}
    for deg in (0.0, 5.0):
        cyc = compile_style(GaitStyle(**{**base.__dict__, "leg_adduction_deg": deg}), lib)
        heads = local_ref_fk(cyc.rot, np.zeros((len(cyc.rot), 3)), lib.ref_heads, lib.bone_parents)
        out[deg] = (heads, _world(cyc.rot, lib.bone_parents), cyc)
    gap = {d: h[:, ix["foot.L"], 0] - h[:, ix["foot.R"], 0] for d, (h, _, _) in out.items()}
    knee = {d: h[:, ix["lowerleg01.L"], 0] - h[:, ix["lowerleg01.R"], 0] for d, (h, _, _) in out.items()}
    thigh = np.linalg.norm(lib.ref_heads[ix["lowerleg01.L"]] - lib.ref_heads[ix["upperleg01.L"]])  # leg lengths
    closer = knee[0.0] - knee[5.0]
    assert np.all(closer > 1.5 * thigh * np.sin(np.radians(5))) and np.all(closer < 2.1 * thigh * np.sin(np.radians(5)))
    np.testing.assert_allclose(gap[0.0] - gap[5.0], closer, atol=0.01)  # the feet come in with the knees
    for side in "LR":
        for bone in ("lowerleg01", "foot"):  # upright shanks, level soles: the same world orientation
            b = ix[f"{bone}.{side}"]
            np.testing.assert_allclose(out[5.0][1][:, b], out[0.0][1][:, b], atol=1e-9)
    assert abs(out[5.0][2].stride - out[0.0][2].stride) < 0.02 * out[0.0][2].stride


@pytest.mark.slow
def test_shoulder_drop_lowers_the_shoulders_and_keeps_the_arms_hanging_as_before(lib):
    from mesh.gait_style import compile_style
    from mesh.retarget import local_ref_fk

    ix = {n: i for i, n in enumerate(lib.bone_labels)}
    res = {}
    for deg in (0.0, 10.0):
        cyc = compile_style(GaitStyle(["cmu_07_01/L0"], [1.0], shoulder_drop_deg=deg), lib)
        res[deg] = (local_ref_fk(cyc.rot, np.zeros((len(cyc.rot), 3)), lib.ref_heads, lib.bone_parents),
                    _world(cyc.rot, lib.bone_parents))
    clavicle = np.linalg.norm(lib.ref_heads[ix["upperarm01.L"]] - lib.ref_heads[ix["clavicle.L"]])
    for side in "LR":
        u = ix[f"upperarm01.{side}"]
        drop = res[0.0][0][:, u, 2] - res[10.0][0][:, u, 2]
        assert np.all(drop > 0.5 * clavicle * np.sin(np.radians(10)))  # the shoulder joint is lower
        np.testing.assert_allclose(res[10.0][1][:, u], res[0.0][1][:, u], atol=1e-9)  # the arm points as before


@pytest.mark.slow
def test_relaxed_wrists_put_the_hands_in_line_with_the_forearms(lib):
    from mesh.gait_style import compile_style
    from mesh.retarget import local_ref_fk

    ix = {n: i for i, n in enumerate(lib.bone_labels)}
    angles = {}
    for relaxed in (False, True):
        cyc = compile_style(GaitStyle(["cmu_07_01/L0"], [1.0], relaxed_wrists=relaxed), lib)
        h = local_ref_fk(cyc.rot, np.zeros((len(cyc.rot), 3)), lib.ref_heads, lib.bone_parents)
        fore = h[:, ix["wrist.L"]] - h[:, ix["lowerarm01.L"]]
        hand = h[:, ix["finger3-1.L"]] - h[:, ix["wrist.L"]]
        cos = (fore * hand).sum(-1) / np.linalg.norm(fore, axis=-1) / np.linalg.norm(hand, axis=-1)
        angles[relaxed] = np.degrees(np.arccos(cos))
    assert angles[True].max() < 15  # anny's hand sits a few degrees off its forearm's line
    assert angles[False].mean() > angles[True].mean() + 15  # the retargeted wrists bend the hands up


# ---- geometry and silhouettes (anny) --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anny_body():
    from mesh.body_model import AnnyBody

    return AnnyBody()


@pytest.fixture(scope="module")
def walks(anny_body, lib):
    """A mocap walk of one adult, 16 frames, with the first walker's stance and with the new one."""
    from mesh.motion import animate

    shape = {"age": 0.8, "gender": 0.0, "weight": 0.5, "muscle": 0.5}
    style = GaitStyle(["cmu_07_01/L0"], [1.0])
    out = {}
    for deg in (0.0, 4.0):
        m = animate(GaitStyle(**{**style.__dict__, "leg_adduction_deg": deg, "relaxed_wrists": deg > 0}),
                    0.85, 16, library=lib)
        out[deg] = anny_body(m.pose, shape)
    return out


def dressed_frames(anny_body, body, clothing="normal", outfit=None, views=(0.0, 180.0)) -> np.ndarray:
    """Pretreated 64x64 frames of `body` dressed, at `views`: `[views, t, 64, 64]`."""
    from mesh.accessories import dress
    from mesh.render import render_dressed

    masks, _ = render_dressed(dress(body, anny_body, clothing, "none", outfit=outfit), list(views), 128)
    return np.stack([binarize(pretreat_frames(m)) for m in masks])


@pytest.mark.slow
def test_stance_and_trousers_close_the_leg_gap_at_front_and_back(anny_body, walks):
    old = dressed_frames(anny_body, walks[0.0])
    stance = dressed_frames(anny_body, walks[4.0])
    trousers = dressed_frames(anny_body, walks[4.0], outfit=Outfit(trouser_ease=0.02))
    share = {k: np.mean([separated_leg_share(v) for v in x]) for k, x in
             (("old", old), ("stance", stance), ("trousers", trousers))}
    assert share["old"] > 0.6  # the first walker's legs stand apart in most leg rows
    assert share["stance"] < share["old"] - 0.2
    assert share["trousers"] <= share["stance"] and share["trousers"] < 0.2


@pytest.mark.slow
def test_boxy_coat_widens_the_frontal_silhouette(anny_body, walks):
    body = walks[4.0]
    normal = dressed_frames(anny_body, body, outfit=Outfit())
    boxy = dressed_frames(anny_body, body, "coat", Outfit(coat_cut="boxy", coat_length=0.4))
    long = dressed_frames(anny_body, body, "coat", Outfit())
    w = {k: np.mean([widths(v).mean() for v in x]) for k, x in (("n", normal), ("b", boxy), ("l", long))}
    assert w["b"] - w["n"] > 1.5  # px of 64 rows; real CASIA-B coats add about 2
    assert w["b"] - w["n"] > w["l"] - w["n"] + 0.7  # more than the long A-line coat does
    # a hip-length coat leaves the shanks as they were: the rows below the knees barely change
    assert abs((boxy[:, :, 52:60] > 0).mean() - (normal[:, :, 52:60] > 0).mean()) < 0.01


@pytest.mark.slow
def test_hair_grows_on_the_skull_not_the_face(anny_body, walks):
    from mesh.accessories import hair_offsets

    body = walks[4.0]
    off = hair_offsets(body, anny_body, 0.02)  # [V]
    v = body.vertices[0].numpy()
    head = anny_body.region_weights("head") > 0.99
    top = np.flatnonzero(head)[np.argmax(v[head, 2])]
    nose = np.flatnonzero(head)[np.argmin(v[head, 1])]  # the body faces -Y
    assert off[top] == pytest.approx(0.02) and off[nose] == 0.0
    assert np.all(off[~(anny_body.region_weights("head") > 0)] == 0.0)  # nothing below the neck


@pytest.mark.slow
def test_long_hair_falls_down_the_back_of_the_neck_not_the_front(anny_body, walks):
    from mesh.accessories import hair_offsets

    body = walks[4.0]
    short = hair_offsets(body, anny_body, 0.03)  # [V]
    assert np.array_equal(short, hair_offsets(body, anny_body, 0.03, 0.0))  # short hair is what it was
    long = hair_offsets(body, anny_body, 0.03, 0.25)  # [V]
    assert np.all(long >= short) and long.max() == pytest.approx(0.03)
    v = body.vertices[0].numpy()
    neck = anny_body.region_weights("neck") > 0.5
    y = v[neck, 1]
    back, front = np.flatnonzero(neck)[y > np.quantile(y, 0.8)], np.flatnonzero(neck)[y < np.quantile(y, 0.2)]
    assert long[back].mean() > short[back].mean() + 0.01  # the body faces -Y: +Y is its back
    assert long[front].max() == 0.0
    legs = anny_body.region_weights("upper_legs") + anny_body.region_weights("lower_legs") > 0
    assert np.all(long[legs] == 0.0)


@pytest.mark.slow
def test_v2_dataset_is_deterministic_and_v1_is_still_built(tmp_path):
    from synth_datasets.procedural.build import build_procedural

    spec = ProceduralSpec(subjects=1, types=("nm-01", "cl-01"), views=(0.0, 90.0), frames_min=12, frames_max=12,
                          seed=2)
    files = []
    for name, s in (("a", spec), ("b", spec), ("old", ProceduralSpec(**{**spec.__dict__, "walker": "v1"}))):
        build_procedural(tmp_path / name, s, workers=1, progress=False)
        files.append({p.relative_to(tmp_path / name): p.read_bytes() for p in sorted((tmp_path / name).rglob("*.pkl"))})
    assert files[0] == files[1]
    assert files[0].keys() == files[2].keys() and files[0] != files[2]
    gt = np.load(tmp_path / "a" / "groundtruth" / "001" / "cl-01.npz")
    assert json.loads(str(gt["recipe"]))["walker"] == "v2"
