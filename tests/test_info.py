"""`gaitcraft info`: dataset-wide findings said once with a count, short sequences and missing cells in a
summary table, per-file problems one per line, and labels a bare video's name does not state shown as unknown."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

from gaitcraft.cli import main
from gaitcraft.dataset import DatasetIndex
from gaitcraft.info import format_info, inspect_dataset
from gaitcraft.io.preview import write_preview
from tests.conftest import walker_blob

SUBJECTS, TYPES, VIEWS = ("001", "002", "003"), ("nm-01", "bg-01"), ("000", "090")


def _grey(t: int) -> np.ndarray:
    """A `[t, 64, 64]` uint8 silhouette with grey edges, as OpenGait's cubic resize leaves them."""
    fr = np.zeros((t, 64, 64), np.uint8)
    fr[:, 8:56, 24:40] = 255
    fr[:, 8:56, 23] = 90
    fr[:, 8:56, 40] = 160
    return fr


def _pkl(root, subject, seq_type, view, arr) -> str:
    folder = root / subject / seq_type / view
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{view}.pkl").write_bytes(pickle.dumps(arr))
    return str(folder / f"{view}.pkl")


@pytest.fixture
def messy_tree(tmp_path):
    """3 subjects x 2 types x 2 views of grayscale pkl, less one cell (003/bg-01/090); 002/nm-01/090 has 2
    frames, 002/bg-01/000 has 4; 001/bg-01/090 is truncated."""
    root = tmp_path / "tree"
    for s in SUBJECTS:
        for t in TYPES:
            for v in VIEWS:
                if (s, t, v) == ("003", "bg-01", "090"):
                    continue
                n = {("002", "nm-01", "090"): 2, ("002", "bg-01", "000"): 4}.get((s, t, v), 20)
                _pkl(root, s, t, v, _grey(n))
    (root / "001" / "bg-01" / "090" / "090.pkl").write_bytes(b"truncated")
    return root


def test_dataset_wide_finding_once_with_count_short_and_missing_in_table(messy_tree):
    info = inspect_dataset(messy_tree, progress=False)
    assert info["sequences"] == 11
    # the 10 readable grey sequences are one finding, not 10 problems
    assert [(f["finding"], f["sequences"]) for f in info["findings"]] == [
        ("grayscale 0-255, read as binary at 127", 10)]
    reasons = {os.path.relpath(p["path"], messy_tree): p["reason"] for p in info["problems"]}
    assert list(reasons) == ["001/bg-01/090/090.pkl"] and "corrupt or truncated" in reasons["001/bg-01/090/090.pkl"]
    short = info["short_sequences"]
    assert short["count"] == 2 and short["1_to_3_frames"] == 1
    assert short["by_frames"] == {"1": 0, "2": 1, "3": 0, "4": 1}
    assert [(s["subject"], s["type"], s["view"], s["frames"]) for s in short["sequences"]] == [
        ("002", "bg-01", "000", 4), ("002", "nm-01", "090", 2)]
    miss = info["missing_cells"]
    assert (miss["subjects"], miss["types"], miss["views"], miss["cells"]) == (3, 2, 2, 12)
    assert miss["missing"] == [{"subject": "003", "type": "bg-01", "view": "090"}]

    text = format_info(info)
    assert text.count("grayscale") == 1
    assert "10 sequences are grayscale 0-255, read as binary at 127" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["sequences", "under", "5", "frames", "2"] == rows[_row(rows, "under")][:5]
    assert ["sequences", "of", "1-3", "frames", "1"] == rows[_row(rows, "1-3")]
    assert ["missing", "subject/type/view", "cells", "1"] == rows[_row(rows, "subject/type/view")][:4]
    assert ["002", "nm-01", "090", "2"] in rows and ["003", "bg-01", "090"] in rows


def test_missing_cells_group_types_with_the_same_missing_views(tmp_path):
    """A view missing for every type of a subject is one row ('all 3'), not one row per type."""
    root = tmp_path / "tree"
    for s in ("001", "002"):
        for t in ("nm-01", "nm-02", "bg-01"):
            for v in ("000", "018", "036"):
                if not (s == "002" and (v == "000" or (t == "bg-01" and v == "036"))):
                    _pkl(root, s, t, v, _grey(6))
    info = inspect_dataset(root, check_frames=False, progress=False)
    assert info["missing_cells"]["count"] == 4 and info["short_sequences"] is None
    rows = [line.split() for line in format_info(info).splitlines()]
    assert ["002", "all", "3", "000"] in rows and ["002", "bg-01", "036"] in rows


def _row(rows: list[list[str]], word: str) -> int:
    return next(i for i, r in enumerate(rows) if word in r)


def test_cli_json_carries_the_same(messy_tree, capsys):
    assert main(["info", str(messy_tree), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == json.loads(json.dumps(inspect_dataset(messy_tree, progress=False)))
    assert got["findings"][0]["sequences"] == 10 and got["missing_cells"]["count"] == 1
    assert got["short_sequences"]["count"] == 2


def test_float_scales_sizes_and_bad_values(tmp_path):
    root = tmp_path / "tree"
    _pkl(root, "001", "nm-01", "000", (_grey(6) / 255.0).astype(np.float32))
    _pkl(root, "001", "nm-01", "090", _grey(6).astype(np.float64))
    _pkl(root, "002", "nm-01", "000", np.zeros((6, 128, 88), np.uint8))
    nan = (_grey(6) / 255.0).astype(np.float32)
    nan[0, 0, 0] = np.nan
    bad_nan = _pkl(root, "002", "nm-01", "090", nan)
    bad_neg = _pkl(root, "003", "nm-01", "000", (_grey(6) / 255.0 - 0.5).astype(np.float32))
    info = inspect_dataset(root, progress=False)
    found = {f["finding"]: f["sequences"] for f in info["findings"]}
    assert found == {"float32 0-1, read as binary at 0.5": 1, "float64 0-255, read as binary at 127": 1,
                     "128x88, not the 64x64 models take": 1}
    reasons = {p["path"]: p["reason"] for p in info["problems"]}
    assert "NaN or infinite" in reasons[bad_nan] and "negative values" in reasons[bad_neg]
    text = format_info(info)
    assert "1 sequence is 128x88, not the 64x64 models take" in text
    assert "thresholded at 127" not in text


def test_bare_video_labels_are_unknown(tmp_path):
    frames = walker_blob(t=6)
    write_preview(tmp_path / "walk.gif", frames, scale=1)
    info = inspect_dataset(tmp_path / "walk.gif", progress=False)
    assert info["types"] == {"unknown": 1} and info["views"] == {"unknown": 1}
    assert info["clothing"] == {"unknown": 1} and info["carry"] == {"unknown": 1}
    assert info["unknown_labels"] == ["subject", "type", "view", "clothing", "carry"]
    assert info["missing_cells"] is None
    assert "unknown:  subject, type, view, clothing, carry (not stated by the path)" in format_info(info)
    lab = DatasetIndex.open(tmp_path / "walk.gif")[0].labels
    assert lab.subject == "unknown" and lab.view != lab.view  # NaN: no view stated

    # a CASIA-B name states all three; a frame folder at the end of <id>/<type>/<view>/ too
    write_preview(tmp_path / "005-bg-02-126.gif", frames, scale=1)
    lab = DatasetIndex.open(tmp_path / "005-bg-02-126.gif")[0].labels
    assert (lab.subject, lab.seq_type, lab.view, lab.carry) == ("005", "bg-02", 126.0, "bag")
    from gaitcraft.io.frames import write_frame_folder
    write_frame_folder(tmp_path / "007" / "cl-01" / "054", frames)
    lab = DatasetIndex.open(tmp_path / "007" / "cl-01" / "054")[0].labels
    assert (lab.subject, lab.seq_type, lab.view, lab.clothing) == ("007", "cl-01", 54.0, "coat")
    write_frame_folder(tmp_path / "loose", frames)
    assert DatasetIndex.open(tmp_path / "loose")[0].labels.seq_type == "unknown"
