"""Clothing and carried objects attach to the right joints and visibly change the silhouette."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gaitcraft.errors import ConfigError
from mesh.accessories import box_mesh, dress, hang_direction
from mesh.demo_poses import swing_walk_poses
from mesh.render import render_dressed

pytestmark = pytest.mark.slow
T = 24  # about one gait cycle at 25 fps


@pytest.fixture(scope="module")
def walk():
    """One adult walking for a cycle: (body model, posed output)."""
    from mesh.body_model import AnnyBody

    body = AnnyBody()
    return body, body(swing_walk_poses(body, T), {"age": 0.8, "gender": 0.0})


@pytest.fixture(scope="module")
def side_views(walk):
    """Masks at 0/90/180 deg for every condition, same body and cameras framing."""
    body, out = walk
    conds = [("normal", "none"), ("coat", "none"), ("normal", "backpack"), ("normal", "shoulder_bag"),
             ("normal", "handbag")]
    return {c: render_dressed(dress(out, body, *c), [0.0, 90.0, 180.0], 96)[0] > 0 for c in conds}


def test_coat_raises_foreground_area(side_views):
    normal = side_views[("normal", "none")].sum(axis=(2, 3))  # [views, T]
    coat = side_views[("coat", "none")].sum(axis=(2, 3))
    gain = coat.mean(axis=1) / normal.mean(axis=1)
    assert gain[1] > 1.08  # side view: measured ~ +14 % (+2 points of the pretreated 64x64 frame)
    assert np.all(gain > 1.05)
    assert np.all(coat >= normal)  # a coat only ever adds


def test_backpack_changes_the_back_contour_at_90(side_views):
    normal = side_views[("normal", "none")][1]  # [T, H, W]; the walker faces image right at 90 deg
    pack = side_views[("normal", "backpack")][1]
    added = pack & ~normal
    assert added.sum(axis=(1, 2)).min() > 100  # every frame
    cols = np.nonzero(normal.any(axis=1))  # (frame, column)
    for t in range(T):
        body_cols = np.nonzero(normal[t].any(axis=0))[0]
        centre = 0.5 * (body_cols.min() + body_cols.max())
        ys, xs = np.nonzero(added[t])
        assert xs.mean() < centre - 5  # behind the back = image left
        body_rows = np.nonzero(normal[t].any(axis=1))[0]
        assert ys.mean() < body_rows.min() + 0.45 * (body_rows.max() - body_rows.min())  # upper body
    assert len(cols[0]) > 0
    # front/back views: the pack hides behind the torso from the front, shows its top edge from behind at most
    assert (side_views[("normal", "backpack")][0] & ~side_views[("normal", "none")][0]).sum() < 50 * T


def test_bags_add_pixels_where_expected(side_views):
    normal = side_views[("normal", "none")]
    for carry in ("shoulder_bag", "handbag"):
        added = side_views[("normal", carry)] & ~normal
        assert added[1].sum() > 20 * T, carry  # visible at the side view
    # the shoulder bag sits at the right hip: image left in the front view (azimuth 0)
    added = side_views[("normal", "shoulder_bag")][0] & ~normal[0]
    _, _, xs = np.nonzero(added)
    assert xs.mean() < normal.shape[-1] / 2


def test_attachments_follow_the_right_joints(walk):
    body, out = walk
    j = out.joints.numpy()
    root = j[:, body.semantic_index("root")]
    # handbag: its centre follows the right wrist fore and aft (it swings with the arm)
    hb = dress(out, body, "normal", "handbag").extras[0]
    assert hb.name == "handbag"
    bag_y = hb.vertices.mean(axis=1)[:, 1] - root[:, 1]
    wrist_y = j[:, body.semantic_index("right_wrist"), 1] - root[:, 1]
    assert np.corrcoef(bag_y, wrist_y)[0, 1] > 0.8
    assert np.ptp(bag_y) > 0.15
    assert np.all(hb.vertices.mean(axis=1)[:, 0] < root[:, 0])  # right side (-X)
    # shoulder bag at the right hip, below the hip joints, riding with the pelvis
    sb = dress(out, body, "normal", "shoulder_bag").extras[0].vertices.mean(axis=1)
    assert np.all(sb[:, 0] < root[:, 0] - 0.12)
    assert np.all(np.abs(sb[:, 2] - root[:, 2]) < 0.2)
    # backpack: behind the chest (+Y), above the root
    bp = dress(out, body, "normal", "backpack").extras[0].vertices.mean(axis=1)
    chest = j[:, body.semantic_index("chest")]
    assert np.all(bp[:, 1] > chest[:, 1] + 0.1) and np.all(bp[:, 2] > root[:, 2] + 0.2)
    # coat hem: hangs from the hips to below the knees and moves with the legs
    hem = dress(out, body, "coat", "none").extras[0]
    assert hem.two_sided and hem.name == "coat_hem"
    knees_z = j[:, [body.semantic_index("left_knee"), body.semantic_index("right_knee")], 2].mean(axis=1)
    assert np.all(hem.vertices[:, :, 2].min(axis=1) < knees_z - 0.03)
    assert np.all(hem.vertices[:, :, 2].max(axis=1) > root[:, 2] - 0.05)
    ring = hem.vertices[:, -32:]  # [T, 32, 3] the lower ring
    depth = np.ptp(ring[:, :, 1], axis=1)  # its fore-aft extent stretches and relaxes with the stride
    assert np.ptp(depth) > 0.05
    # a surge of the hips makes the hem trail behind (it hangs like a pendulum from the hips)
    surge = swing_walk_poses(body, T)
    surge[:, 0, 1, 3] -= torch.as_tensor(0.04 * np.sin(np.linspace(0, 4 * np.pi, T)), dtype=torch.float32)  # speed fluctuating twice per cycle
    hem2 = dress(body(surge, {"age": 0.8, "gender": 0.0}), body, "coat", "none").extras[0]
    shift = (hem2.vertices[:, -32:].mean(axis=1) - ring.mean(axis=1))[:, 1]
    assert np.ptp(shift) > 0.02


def test_dress_is_deterministic_and_validates(walk):
    body, out = walk
    a = dress(out, body, "coat", "backpack", rng=np.random.default_rng(3))
    b = dress(out, body, "coat", "backpack", rng=np.random.default_rng(3))
    c = dress(out, body, "coat", "backpack", rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.extras[1].vertices, b.extras[1].vertices)
    assert not np.array_equal(a.extras[1].vertices, c.extras[1].vertices)
    with pytest.raises(ConfigError, match="unknown clothing"):
        dress(out, body, "tuxedo", "none")
    with pytest.raises(ConfigError, match="unknown carry"):
        dress(out, body, "normal", "suitcase")
    with pytest.raises(ConfigError, match="not a concrete object"):
        dress(out, body, "normal", "bag")


def test_hang_direction_is_vertical_at_rest_and_trails_acceleration():
    still = hang_direction(np.zeros((10, 3)), fps=25.0)
    np.testing.assert_allclose(still, np.tile([0, 0, -1.0], (10, 1)), atol=1e-12)
    t = np.arange(50) / 25.0
    pivot = np.stack([np.zeros_like(t), 0.2 * np.sin(2 * np.pi * t), np.zeros_like(t)], 1)
    d = hang_direction(pivot, fps=25.0, lag=0.0, max_tilt_deg=30.0)
    # quasi-static pendulum: the weight swings with the pivot (opposite to its acceleration)
    assert np.corrcoef(d[5:-5, 1], pivot[5:-5, 1])[0, 1] > 0.9
    assert np.degrees(np.arccos(-d[:, 2])).max() <= 30.0 + 1e-6
    v, f = box_mesh((0.1, 0.2, 0.3))
    assert v.shape == (8, 3) and f.shape == (12, 3) and np.ptp(v, axis=0) == pytest.approx([0.1, 0.2, 0.3])
