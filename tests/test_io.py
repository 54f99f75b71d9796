"""Readers and writers: round trips, the restricted unpickler, and bad input."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError
from gaitcraft.io.frames import read_frame_folder, write_frame_folder, write_png
from gaitcraft.io.opengait_tree import read_opengait_sequence
from gaitcraft.io.preview import contact_sheet, write_preview
from gaitcraft.io.safe_pickle import load_array_pickle
from gaitcraft.io.video import read_video_silhouettes
from gaitcraft.io.writers import write_opengait_tree, write_png_tree
from gaitcraft.pretreat import pretreat_frames
from gaitcraft.types import Sequence, SequenceLabels
from tests.conftest import walker_blob


def _sequences(n_subj=2, size64=True):
    seqs = []
    for s in range(n_subj):
        for t, (cl, ca) in {"nm-01": ("normal", "none"), "bg-01": ("normal", "backpack"), "cl-01": ("coat", "none")}.items():
            for v in (0.0, 90.0):
                fr = walker_blob(t=10 + s, seed=s)
                if size64:
                    fr = np.where(pretreat_frames(fr) > 127, 255, 0).astype(np.uint8)
                prov = {"generator": "test", "seed": s}
                seqs.append(Sequence(fr, SequenceLabels(f"{s + 1:03d}", t, v, cl, ca, "test", provenance=prov)))
    return seqs


def test_gaitcraft_tree_round_trip(tmp_path):
    seqs = _sequences()
    write_opengait_tree(tmp_path, seqs, train=["001"], test=["002"])
    index = DatasetIndex.open(tmp_path)
    assert index.kind == "gaitcraft" and len(index) == len(seqs) and not index.problems
    got = {r.labels.key: r for r in index}
    for s in seqs:
        rec = got[s.labels.key]
        np.testing.assert_array_equal(rec.load(), s.frames)
        assert rec.labels == s.labels and rec.labels.provenance == s.labels.provenance
    train, test = index.split(tmp_path / "partition.json")
    assert train.subjects == ["001"] and test.subjects == ["002"]


def test_opengait_tree_round_trip_with_plain_pickle(tmp_path):
    """Without a manifest it is a plain OpenGait tree; OpenGait's own loader (pickle.load) reads our files."""
    seqs = _sequences()
    write_opengait_tree(tmp_path, seqs, manifest=False)
    index = DatasetIndex.open(tmp_path)
    assert index.kind == "opengait"
    for rec in index:
        with open(rec.path / rec.files[0], "rb") as fh:  # what OpenGait's DataSet does
            arr = pickle.load(fh)
        assert arr.dtype == np.uint8 and arr.shape[1:] == (64, 64)
        match = next(s for s in seqs if s.labels.key == rec.labels.key)
        np.testing.assert_array_equal(arr, match.frames)
        # labels derived from CASIA-B type names
        assert rec.labels.clothing == ("coat" if rec.labels.seq_type.startswith("cl") else "normal")


def test_png_tree_round_trip(tmp_path):
    seqs = _sequences(size64=False)
    write_png_tree(tmp_path, seqs)
    index = DatasetIndex.open(tmp_path, mapping="casia-b")
    assert index.kind == "png-tree" and len(index) == len(seqs)
    for s in seqs:
        rec = next(r for r in index if r.labels.key == s.labels.key)
        np.testing.assert_array_equal(rec.load(frame_size=None), s.frames)  # raw 128x96 frames
        assert (rec.labels.subject, rec.labels.seq_type, rec.labels.view) == s.labels.key[:2] + (s.labels.view,)
    name = sorted(os.listdir(tmp_path / "001" / "nm-01" / "090"))[0]
    assert name == "001-nm-01-090-001.png"


def test_malicious_pickle_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "001" / "nm-01" / "090" / "090.pkl"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(DataError, match="refused global"):
        load_array_pickle(bad)
    assert not marker.exists()


@pytest.mark.parametrize("payload, reason", [
    (pickle.dumps({"a": 1}), "not a numpy array"),
    (pickle.dumps(np.zeros((3, 64, 64), np.uint8))[:50], "corrupt or truncated"),
    (b"", "corrupt or truncated"),
    (pickle.dumps(np.zeros((0, 64, 64), np.uint8)), "zero-frame"),
    (pickle.dumps(np.zeros((64, 64), np.uint8)), "expected a \\[t, h, w\\]"),
])
def test_bad_pickles_name_file_and_problem(tmp_path, payload, reason):
    p = tmp_path / "x.pkl"
    p.write_bytes(payload)
    with pytest.raises(DataError, match=reason) as e:
        read_opengait_sequence(p)
    assert str(p) in str(e.value)


def test_frame_folder_errors(tmp_path, blob):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty folder"):
        read_frame_folder(tmp_path / "empty")
    write_frame_folder(tmp_path / "mixed", blob[:3])
    write_png(tmp_path / "mixed" / "004.png", np.zeros((10, 10), np.uint8))
    with pytest.raises(DataError, match="mixed frame sizes"):
        read_frame_folder(tmp_path / "mixed")
    write_frame_folder(tmp_path / "corrupt", blob[:2])
    (tmp_path / "corrupt" / "002.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match="corrupt") as e:
        read_frame_folder(tmp_path / "corrupt")
    assert "002.png" in str(e.value)
    import cv2
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[..., 0] = 200
    (tmp_path / "rgb").mkdir()
    cv2.imwrite(str(tmp_path / "rgb" / "001.png"), rgb)
    with pytest.raises(DataError, match="RGB frame"):
        read_frame_folder(tmp_path / "rgb")


def test_video_round_trip_and_undecodable(tmp_path, blob):
    gif = tmp_path / "walk.gif"
    write_preview(gif, blob, scale=1)
    got = read_video_silhouettes(gif)
    assert got.shape == blob.shape
    assert (np.abs(got.astype(int) - blob) > 127).mean() < 0.001
    mp4 = tmp_path / "walk.mp4"
    write_preview(mp4, blob, scale=1)
    got = read_video_silhouettes(mp4)
    assert got.shape[0] == blob.shape[0] and (np.abs(got[:, :128, :96].astype(int) - blob) > 127).mean() < 0.01
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(DataError, match="undecodable") as e:
        read_video_silhouettes(bad)
    assert "bad.mp4" in str(e.value)


def test_contact_sheet_shape(blob):
    sheet = contact_sheet([blob, blob[:5]], ["a", "b"], frames_per_row=4, caption_width=100)
    assert sheet.dtype == np.uint8 and sheet.shape == (2 * 128 + 2, 100 + 4 * 96)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        DatasetIndex.open(tmp_path / "nope")
    (tmp_path / "e").mkdir()
    with pytest.raises(DataError, match="empty folder"):
        DatasetIndex.open(tmp_path / "e")


def _grey_stack() -> np.ndarray:
    fr = np.zeros((4, 8, 8), np.uint8)
    fr[:, 2:6, 2:6] = 255
    fr[:, 2:6, 1] = 100  # under 127: background
    fr[:, 2:6, 6] = 200  # over 127: body
    return fr


_BODY = (_grey_stack() > 127).astype(np.uint8) * 255


@pytest.mark.parametrize("arr, how", [
    (_BODY, None),
    (_BODY > 0, None),
    (_grey_stack(), "grayscale 0-255, read as binary at 127"),
    (_BODY // 255, "0/1 masks, read as 0/255"),
    (_BODY.astype(np.int64), None),
    (_grey_stack().astype(np.float32), "float32 0-255, read as binary at 127"),
    (_grey_stack() / 255.0, "float64 0-1, read as binary at 0.5"),
    ((_BODY / 255.0).astype(np.float32), "float32 0/1 masks, read as 0/255"),
])
def test_silhouette_values_rule_per_dtype(tmp_path, arr, how):
    """Every dtype reads to the same 0/255 body, and the reading says at which scale."""
    from gaitcraft.types import read_silhouette_values
    got, said = read_silhouette_values(arr)
    assert got.dtype == np.uint8 and said == how
    np.testing.assert_array_equal(got, _BODY)


@pytest.mark.parametrize("arr, reason", [
    (np.where(_BODY > 0, np.nan, 0.0).astype(np.float32), "NaN or infinite"),
    (np.full((4, 8, 8), np.inf), "NaN or infinite"),
    (_BODY / 255.0 - 0.5, "negative values"),
    (_BODY * 2.0, "reach 510"),
    (_BODY.astype(np.int16) - 1, "span -1..254"),
    (_BODY.astype(np.uint16) * 4, "span 0..1020"),
    (_BODY.astype(np.complex64), "dtype complex64"),
])
def test_unusable_values_are_one_line_errors_naming_the_file(tmp_path, arr, reason):
    pkl = tmp_path / "001" / "nm-01" / "090" / "090.pkl"
    pkl.parent.mkdir(parents=True)
    pkl.write_bytes(pickle.dumps(arr))
    rec = DatasetIndex.open(tmp_path)[0]
    with pytest.raises(DataError, match=reason) as e:
        rec.load(frame_size=None)
    assert e.value.path == str(pkl) and "\n" not in str(e.value)


def test_preview_frames_below_one_is_a_one_line_error(tmp_path, capsys):
    from gaitcraft.cli import main
    write_opengait_tree(tmp_path / "d", _sequences(n_subj=1))
    for bad in ("0", "-3"):
        assert main(["preview", str(tmp_path / "d"), "--out", str(tmp_path / "s.png"), "--frames", bad]) == 2
        err = capsys.readouterr().err.strip()
        assert err == "gaitcraft preview: error: --frames must be at least 1"
    assert not (tmp_path / "s.png").exists()
    with pytest.raises(ValueError, match="at least 1 frame per row"):
        contact_sheet([_BODY], ["a"], frames_per_row=0)


def test_preview_shows_other_sizes_and_says_so(tmp_path, capsys):
    from gaitcraft.cli import main
    write_png_tree(tmp_path / "raw", _sequences(n_subj=1, size64=False)[:2])  # 128x96 raw frames
    assert main(["preview", str(tmp_path / "raw"), "--out", str(tmp_path / "s.png")]) == 0
    out = capsys.readouterr().out
    assert "note: 2 of 2 previewed sequences are 128x96, not the 64x64 the models take" in out
    assert (tmp_path / "s.png").stat().st_size > 0


def test_corrupt_png_is_reported_once_without_native_log_lines(tmp_path, capfd):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "001.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match="corrupt"):
        read_frame_folder(tmp_path / "f")
    cap = capfd.readouterr()
    assert "grfmt_png" not in cap.err + cap.out
