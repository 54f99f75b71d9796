"""Pretreatment reproduces OpenGait's algorithm: crop, cubic resize, centre, pad."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from gaitcraft.dataset import DatasetIndex
from gaitcraft.io.frames import write_frame_folder
from gaitcraft.pretreat import cut_width, pretreat_frame, pretreat_frames
from gaitcraft.pretreat_job import pretreat_tree
from tests.conftest import walker_blob


def _opengait_loop(img, img_size=64):
    """OpenGait's per-frame steps written out literally (the loop form), as an independent reference."""
    if img.sum() <= 10000:
        return None
    y_sum = img.sum(axis=1)
    y_top = (y_sum != 0).argmax(axis=0)
    y_btm = (y_sum != 0).cumsum(axis=0).argmax(axis=0)
    img = img[y_top: y_btm + 1, :]
    ratio = img.shape[1] / img.shape[0]
    img = cv2.resize(img, (int(img_size * ratio), img_size), interpolation=cv2.INTER_CUBIC)
    x_csum = img.sum(axis=0).cumsum()
    x_center = None
    for idx, csum in enumerate(x_csum):
        if csum > img.sum() / 2:
            x_center = idx
            break
    if not x_center:
        return None
    half = img_size // 2
    left, right = x_center - half, x_center + half
    if left <= 0 or right >= img.shape[1]:
        left += half
        right += half
        pad = np.zeros((img.shape[0], half))
        img = np.concatenate([pad, img, pad], axis=1)
    return img[:, left:right].astype("uint8")


def test_crafted_rectangle_crop_and_centre():
    img = np.zeros((240, 320), np.uint8)
    img[40:200, 100:140] = 255  # 160 rows tall, 40 wide, centred at column 120
    out = pretreat_frame(img)
    assert out.shape == (64, 64)
    # the crop keeps rows 40..199, so the body fills the full height
    assert out[0].max() > 0 and out[-1].max() > 0
    # resized width of the rectangle is 40 * 64/160 = 16 px, centred in the 64-wide window
    cols = np.nonzero(out[32] > 127)[0]
    assert 15 <= len(cols) <= 17
    assert abs((cols[0] + cols[-1]) / 2 - 31.5) <= 1.0


def test_edge_subject_is_padded():
    img = np.zeros((240, 320), np.uint8)
    img[40:200, 0:40] = 255  # touching the left border: window leaves the image -> pad 32 each side
    out = pretreat_frame(img)
    cols = np.nonzero(out[32] > 127)[0]
    # resized rectangle spans columns 0..15 with centre x_c ~ 8; padded by 32 then windowed at [x_c, x_c+64)
    assert cols[0] == 32 - 8 and out[:, : cols[0]].max() == 0


def test_empty_and_tiny_frames_drop():
    assert pretreat_frame(np.zeros((240, 320), np.uint8)) is None
    tiny = np.zeros((240, 320), np.uint8)
    tiny[10:15, 10:15] = 255  # 25 px * 255 = 6375 <= 10000
    assert pretreat_frame(tiny) is None
    assert pretreat_frames(np.zeros((3, 50, 50), np.uint8)).shape == (0, 64, 64)


def test_bit_exact_against_literal_opengait_loop():
    rng = np.random.default_rng(0)
    seqs = [walker_blob(t=6, h=240, w=320, seed=s) for s in range(4)]
    for seq in seqs:
        for fr in seq:
            shift = int(rng.integers(-150, 150))
            fr = np.roll(fr, shift, axis=1)
            noisy = fr.copy()
            noisy[rng.random(fr.shape) < 0.01] = rng.integers(1, 255)  # grey noise exercises the cumsum
            for img in (fr, noisy):
                ref, got = _opengait_loop(img), pretreat_frame(img)
                assert (ref is None) == (got is None)
                if ref is not None:
                    np.testing.assert_array_equal(ref, got)


def test_cut_width_64_to_44():
    x = np.zeros((3, 64, 64), np.uint8)
    x[..., 10:54] = 1
    y = cut_width(x)
    assert y.shape == (3, 64, 44) and y.min() == 1


def test_pretreat_tree_resumes(tmp_path):
    src = tmp_path / "raw"
    for sid in ("001", "002"):
        write_frame_folder(src / sid / "nm-01" / "090", walker_blob(t=8, h=240, w=320))
    rep = pretreat_tree(src, tmp_path / "out", workers=1, progress=False)
    assert rep.written == 2 and rep.skipped_existing == 0
    target = tmp_path / "out" / "001" / "nm-01" / "090" / "090.pkl"
    target.unlink()
    rep = pretreat_tree(src, tmp_path / "out", workers=1, progress=False)
    assert rep.written == 1 and rep.skipped_existing == 1 and target.exists()
    index = DatasetIndex.open(tmp_path / "out")
    assert len(index) == 2 and index[0].load_raw().shape == (8, 64, 64)


def _raw_tree(src, good: int, bad: int):
    """`good` readable sequences and `bad` whose only frame is a corrupt PNG."""
    for i in range(good):
        write_frame_folder(src / f"{i + 1:03d}" / "nm-01" / "090", walker_blob(t=6, h=240, w=320))
    for i in range(bad):
        folder = src / f"{good + i + 1:03d}" / "nm-01" / "090"
        folder.mkdir(parents=True)
        (folder / "001.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")


def test_pretreat_counts_failures(tmp_path):
    _raw_tree(tmp_path / "raw", good=1, bad=2)
    rep = pretreat_tree(tmp_path / "raw", tmp_path / "out", workers=1, progress=False)
    assert (rep.written, rep.failed) == (1, 2)
    assert sorted(os.path.relpath(p.path, tmp_path / "raw") for p in rep.problems) == [
        "002/nm-01/090/001.png", "003/nm-01/090/001.png"]


@pytest.mark.parametrize("good, bad, code", [(2, 0, 0), (1, 2, 1), (0, 2, 2)])
def test_pretreat_exit_status_says_how_many_failed(tmp_path, capsys, good, bad, code):
    from gaitcraft.cli import main

    _raw_tree(tmp_path / "raw", good, bad)
    assert main(["pretreat", str(tmp_path / "raw"), str(tmp_path / "out"), "--workers", "1"]) == code
    cap = capsys.readouterr()
    assert f"pretreated {good} sequences" in cap.out and f"{bad} failed" in cap.out
    if bad:
        assert cap.out.count("problem: ") == bad
        assert cap.err.strip().endswith(f"{bad} of {good + bad} sequences failed (listed above)")
    else:
        assert "error:" not in cap.err
