"""Walker v3: CASIA-B's static cameras. The camera stands still where the view label holds mid-walk, pans with the
walker and zooms with its distance; the angle the walker is seen at drifts along the walk."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesh.camera import sequence_cameras
from mesh.subjects import sample_subject, walker_camera
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec


def _walker(n_t: int = 41, speed: float = 0.05) -> np.ndarray:
    """A 1.7 m pole walking along -Y, `[T, 2, 3]` (feet, head), 2 m of walk in all."""
    y = -speed * np.arange(n_t)
    feet = np.stack([np.zeros(n_t), y, np.zeros(n_t)], axis=1)
    return np.stack([feet, feet + [0.0, 0.0, 1.7]], axis=1)


def _seen_at(cams, pole: np.ndarray) -> np.ndarray:
    """Angle (deg) between the walking direction (-Y) and the walker-to-camera ray, `[n_views, T]`."""
    ray = cams.centres() - pole[None, :, 0]  # [n, T, 3]
    return np.degrees(np.arctan2(np.abs(ray[..., 0]), -ray[..., 1]))


def test_static_camera_stands_still_and_the_view_drifts_through_the_label_mid_walk():
    pole = _walker()
    cams = sequence_cameras(pole, [54.0, 90.0, 126.0], static=True)
    centres = cams.centres()  # [n, T, 3]
    np.testing.assert_allclose(centres, centres[:, :1].repeat(centres.shape[1], 1), atol=1e-9)
    seen = _seen_at(cams, pole)
    np.testing.assert_allclose(seen[:, 20], [54.0, 90.0, 126.0], atol=1e-6)  # the label holds mid-walk
    assert (np.diff(seen, axis=1) > 0).all()  # and grows along the walk, as the real camera sees it
    assert 20 < seen[1, -1] - seen[1, 0] < 30  # 2 m of walk 4.5 m away: about 25 degrees
    tracking = sequence_cameras(pole, [54.0, 90.0, 126.0])
    np.testing.assert_allclose(_seen_at(tracking, pole), [[54.0] * 41, [90.0] * 41, [126.0] * 41], atol=1e-6)


def test_zoom_keeps_the_walkers_pixel_height_and_rays_go_through_projected_points():
    pole = _walker()
    cams = sequence_cameras(pole, [0.0, 90.0], static=True)
    uv, depth = cams.project(pole)  # [n, T, 2, 2], [n, T, 2]
    height = uv[:, :, 0, 1] - uv[:, :, 1, 1]  # feet row minus head row, [n, T]
    assert np.ptp(depth[0, :, 0]) > 1.5  # walking toward the 0-degree camera: its distance shrinks
    np.testing.assert_allclose(height, height[:, 20:21].repeat(41, 1), rtol=0.02)
    origin, dirs = cams.pixel_rays(0, 5)
    row, col = int(round(uv[0, 5, 1, 1])), int(round(uv[0, 5, 1, 0]))  # the head's pixel in frame 5
    ray = dirs[row * cams.width + col]
    to_head = pole[5, 1] - origin[0]
    miss = np.linalg.norm(np.cross(ray, to_head))  # distance of the head from the pixel's ray
    assert miss < 0.02
    assert "zoom" in cams.to_dict() and "zoom" not in sequence_cameras(pole, [0.0]).to_dict()


def test_walker_v3_is_v2_filmed_by_static_cameras(tmp_path):
    v2, v3 = sample_subject(0, 3, "v2"), sample_subject(0, 3, "v3")
    assert v2.phenotypes == v3.phenotypes and v2.style == v3.style and v2.outfit == v3.outfit
    assert walker_camera("v3") == {**walker_camera("v2"), "static": True}
    assert walker_camera("v2")["static"] is False
    spec = dict(subjects=1, types=("nm-01",), views=(90.0,), frames_min=12, frames_max=12, noise="clean")
    out = {}
    for walker in ("v2", "v3"):
        build_procedural(tmp_path / walker, ProceduralSpec(**spec, walker=walker), workers=1, progress=False)
        out[walker] = np.load(tmp_path / walker / "groundtruth" / "001" / "nm-01.npz", allow_pickle=False)
        assert json.loads((tmp_path / walker / "dataset_spec.json").read_text())["walker"] == walker
    assert "cam_zoom" in out["v3"] and "cam_zoom" not in out["v2"]
    np.testing.assert_allclose(out["v2"]["joints"], out["v3"]["joints"])  # the same walk
    assert not np.allclose(out["v2"]["cam_R"], out["v3"]["cam_R"])  # filmed otherwise


def test_walker_v4_is_v3_at_casiab_pace_and_films_a_bounded_stretch(tmp_path):
    from mesh.gait_style import CASIAB_PACE, SessionVariation, compile_style, with_pace
    from mesh.subjects import MAX_FILMED_WALK_M
    from mesh.walk_render import filmed_frames

    v3, v4 = sample_subject(0, 3, "v3"), sample_subject(0, 3, "v4")
    assert v3.phenotypes == v4.phenotypes and v3.outfit == v4.outfit and v3.style.cycles == v4.style.cycles
    assert v4.style == with_pace(v3.style, CASIAB_PACE) and walker_camera("v4") == walker_camera("v3")
    slow, fast = compile_style(v3.style), compile_style(v4.style)
    # faster by the pace, split over cadence and stride as a faster session splits it
    assert fast.stride / fast.period == pytest.approx(CASIAB_PACE * slow.stride / slow.period, rel=0.03)
    assert fast.period < slow.period and fast.stride > slow.stride
    session = SessionVariation(speed=1.0, start_phase=0.0)
    most = MAX_FILMED_WALK_M["v4"] / (fast.stride / fast.period) * 25  # frames of the longest filmed stretch
    assert filmed_frames(v4, v4.style, session, 500) == int(most) and filmed_frames(v4, v4.style, session, 20) == 20
    assert filmed_frames(v3, v3.style, session, 500) == 500  # the v3 camera films the whole walk
    spec = ProceduralSpec(subjects=1, types=("nm-01",), views=(0.0, 90.0), frames_min=200, frames_max=200,
                          noise="clean", walker="v4")
    build_procedural(tmp_path / "v4", spec, workers=1, progress=False)  # 200 frames would pass the 0-degree camera
    gt = np.load(tmp_path / "v4" / "groundtruth" / "001" / "nm-01.npz", allow_pickle=False)
    walked = np.linalg.norm(gt["joints"][-1, 0, :2] - gt["joints"][0, 0, :2])  # root, start to end (m)
    assert len(gt["joints"]) < 200 and walked < MAX_FILMED_WALK_M["v4"]
