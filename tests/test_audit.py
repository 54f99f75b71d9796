"""The animation-model audit: manifest parsing, bad input named by row, extraction flags, attribution
mechanics with injected recognizers, and the procedural known-answer cases (restoration, transfer, extraction).

The recognizer is injected: a deterministic function (the GEI baseline, or crafted one-feature embeddings),
so these tests check the audit's mechanics, not a trained model.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from eval.audit.audit import run_audit
from eval.audit.extract import pretreat_masks
from eval.audit.pairs import read_pairs
from eval.audit.recognizers import Recognizer, gei_embedding, load_audit_recognizer
from eval.audit.visual_metrics import ssim_psnr
from gaitcraft.commands.audit import add_parser, run
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError, DataError
from gaitcraft.io.opengait_tree import write_opengait_sequence
from gaitcraft.pretreat import binarize, pretreat_frames
from gaitcraft.types import SequenceLabels

HEADER = "pair_id,reference,generated,motion_id,appearance_id,view\n"


def blob(torso: float, period: float, t: int = 24, phase: float = 0.0, h: int = 128, w: int = 96) -> np.ndarray:
    """A crafted walker `[t, h, w]` uint8: torso half-width `torso` px (appearance), leg swing `period` frames (motion)."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((t, h, w), np.uint8)
    cx = w // 2
    for i in range(t):
        swing = 14 * np.sin(2 * np.pi * (i / period + phase))
        body = ((xx - cx) / torso) ** 2 + ((yy - h * 0.35) / (h * 0.25)) ** 2 <= 1
        head = (xx - cx) ** 2 + (yy - h * 0.08) ** 2 <= 64
        legs = [(np.abs(xx - (cx + s * swing * (yy - h * 0.55) / (h * 0.45))) < 4) & (yy > h * 0.55) & (yy < h - 4)
                for s in (1, -1)]
        out[i][body | head | legs[0] | legs[1]] = 255
    return out


SUBJECTS = {"001": (8.0, 6.0), "002": (14.0, 12.0), "003": (20.0, 8.0)}  # id -> (torso, period)


@pytest.fixture
def blob_gallery(tmp_path):
    """An OpenGait gallery of three crafted subjects (two sequences each) and a clips folder."""
    for sid, (torso, period) in SUBJECTS.items():
        for k, t in enumerate(("nm-01", "nm-02")):
            frames = binarize(pretreat_frames(blob(torso, period, phase=0.3 * k)))
            write_opengait_sequence(tmp_path / "gallery", SequenceLabels(sid, t, 90.0), frames)
    (tmp_path / "clips").mkdir()
    return tmp_path


def appearance_embed(frames: np.ndarray) -> np.ndarray:
    """Torso width only (sees the body, not the motion)."""
    return np.array([(frames[:, 22] > 127).sum(1).mean()])


def motion_embed(frames: np.ndarray) -> np.ndarray:
    """Leg-swing frequency only (sees the motion, not the body)."""
    row = frames[:, 56] > 127  # [t, w]
    cols = np.arange(row.shape[1])
    width = np.array([np.ptp(cols[r]) if r.any() else 0 for r in row], dtype=float)  # stride extent
    spec = np.abs(np.fft.rfft(width - width.mean()))
    return np.array([float(np.argmax(spec[1:]) + 1) / len(frames)])


def _pairs(root, lines: list[str]):
    (root / "pairs.csv").write_text(HEADER + "".join(ln + "\n" for ln in lines))
    return root / "pairs.csv"


def test_transfer_attribution_follows_what_the_recognizer_sees(blob_gallery):
    root = blob_gallery
    np.save(root / "clips/ref.npy", blob(*SUBJECTS["001"], phase=0.6))
    np.save(root / "clips/a_on_b.npy", blob(SUBJECTS["002"][0], SUBJECTS["001"][1], phase=0.6))  # 001's motion, 002's body
    np.save(root / "clips/again.npy", blob(*SUBJECTS["001"], phase=0.9))
    rows = read_pairs(_pairs(root, ["t1,clips/ref.npy,clips/a_on_b.npy,001,002,90", "r1,clips/ref.npy,clips/again.npy,001,001,"]))
    gallery = DatasetIndex.open(root / "gallery")
    for embed, expected in ((appearance_embed, "appearance"), (motion_embed, "motion")):
        res, _ = run_audit(rows, gallery, Recognizer.per_sequence(embed, expected))
        assert res["transfer"]["follows"] == expected
        assert res["transfer"][f"{expected}_attribution"] == 100.0
        assert res["restoration"]["rank1"] == 100.0 and res["pairs"][1]["view"] is None
        assert res["extraction"]["frames"] == 3 * 24 and res["extraction"]["clips"] == 3  # shared reference once


def test_bad_input_names_the_row(blob_gallery, tmp_path):
    root = blob_gallery
    gallery = DatasetIndex.open(root / "gallery")
    gei = Recognizer.per_sequence(gei_embedding)
    np.save(root / "clips/ok.npy", blob(10, 8))
    np.save(root / "clips/short.npy", blob(10, 8, t=6))
    (root / "clips/broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    with pytest.raises(DataError, match=r"row 2: generated file .*missing\.mp4 does not exist"):
        read_pairs(_pairs(root, ["a,clips/ok.npy,clips/ok.npy,001,001,", "b,clips/ok.npy,clips/missing.mp4,001,001,"]))
    rows = read_pairs(_pairs(root, ["a,clips/ok.npy,clips/ok.npy,001,001,", "b,clips/ok.npy,clips/broken.mp4,001,001,"]))
    with pytest.raises(DataError, match=r"row 2: generated: undecodable video"):
        run_audit(rows, gallery, gei)
    rows = read_pairs(_pairs(root, ["a,clips/short.npy,clips/ok.npy,001,001,"]))
    with pytest.raises(DataError, match=r"row 1: reference clip has 6 frames; .* at least 10"):
        run_audit(rows, gallery, gei)
    rows = read_pairs(_pairs(root, ["a,clips/ok.npy,clips/ok.npy,001,001,", "b,clips/ok.npy,clips/ok.npy,001,099,"]))
    with pytest.raises(DataError, match=r"row 2: appearance_id '099' is not in the gallery"):
        run_audit(rows, gallery, gei)
    (tmp_path / "p.jsonl").write_text('{"reference": "x", "generated": "y", "motion_id": 1, "appearance_id": 1, "colour": 3}\n')
    with pytest.raises(DataError, match=r"row 1: unknown column\(s\) \['colour'\]"):
        read_pairs(tmp_path / "p.jsonl", check_files=False)
    (tmp_path / "p.jsonl").write_text('{"reference": "x", "generated": "y", "motion_id": 1, "appearance_id": 2}\n{oops\n')
    with pytest.raises(DataError, match=r"row 2: not valid JSON"):
        read_pairs(tmp_path / "p.jsonl", check_files=False)


def test_failed_frames_are_flagged_and_counted():
    masks = blob(10, 8, t=12)
    masks[3] = 0  # extraction found nobody
    masks[5] = np.roll(masks[5], 48, axis=1)  # cut by the right border
    ext = pretreat_masks(masks)
    c = ext.counts()
    assert c == {"frames": 12, "kept": 11, "empty": 1, "edge": 1, "dropped": 0}
    assert ext.flags["empty"] == [3] and ext.flags["edge"] == [5] and 3 not in ext.kept
    assert ext.frames.shape == (11, 64, 64)


def test_pretreated_silhouettes_touching_top_and_bottom_are_not_edge_failures():
    sil = np.zeros((3, 64, 64), np.uint8)
    sil[:, :, 20:40] = 255  # a full-height body, as OpenGait's pretreatment leaves every frame
    sil[2, 10:30, 60:] = 255  # ... and one frame whose silhouette runs off the right side
    assert pretreat_masks(sil).flags["edge"] == [2]


def test_visual_metrics_of_identical_and_different_clips():
    a = blob(10, 8, t=12)
    same = ssim_psnr(a, a)
    assert same["ssim"] == pytest.approx(1.0) and same["psnr"] == 100.0
    other = ssim_psnr(a, blob(18, 8, t=12))
    assert other["ssim"] < 0.95 and other["psnr"] < 30


def test_clip_kinds_and_generator_tree_pairs(blob_gallery, tmp_path):
    from eval.audit.inputs import load_clip
    from eval.audit.tree_pairs import write_tree_pairs
    from gaitcraft.io.frames import write_png
    from gaitcraft.io.video import write_video

    masks = blob(10, 8, t=12)
    write_video(tmp_path / "masks.mp4", masks)  # a lossy mask video is still taken as masks
    assert load_clip(tmp_path / "masks.mp4").is_mask
    rgb = np.stack([np.full((40, 30, 3), (30 + 10 * i, 120, 200), np.uint8) for i in range(12)])
    for i, fr in enumerate(rgb):
        write_png(tmp_path / "rgb" / f"{i}.png", fr[..., ::-1])  # OpenCV writes BGR
    clip = load_clip(tmp_path / "rgb")
    assert not clip.is_mask and np.array_equal(clip.frames, rgb)
    with pytest.raises(ConfigError, match="needs --checkpoint"):
        load_audit_recognizer("ours")
    # a "generator" that re-renders every gallery sequence with a phase shift, audited against the gallery
    for sid, (torso, period) in SUBJECTS.items():
        frames = binarize(pretreat_frames(blob(torso, period, phase=0.45)))
        write_opengait_sequence(tmp_path / "gen", SequenceLabels(sid, "nm-01", 90.0), frames)
    n = write_tree_pairs(blob_gallery / "gallery", tmp_path / "gen", tmp_path / "gen_pairs.csv")
    res, _ = run_audit(read_pairs(tmp_path / "gen_pairs.csv"), DatasetIndex.open(blob_gallery / "gallery"),
                       Recognizer.per_sequence(gei_embedding))
    r = res["restoration"]
    assert n == r["pairs"] == 3 and r["rank1"] == 100.0 and r["reference_rank1"] == 100.0  # self excluded


# ---- the procedural known-answer cases (renders 15 short walks at two views) ------------------------------
def test_a_v2_subject_is_filmed_with_its_outfit_from_its_walkers_side():
    """The audit renders a subject as its procedural dataset does: a v2 subject in its own outfit, from CASIA-B's
    side (the mirror of the first walker's side view)."""
    from dataclasses import replace

    from eval.audit.walker import render_masks
    from mesh.subjects import sample_subject

    r = sample_subject(0, 0)
    assert r.walker == "v2" and r.outfit is not None

    def side_view(recipe) -> np.ndarray:  # [t, h, w] bool: walk 1 of r at 90 deg, 8 frames
        return render_masks(recipe, r.style, (90.0,), 8, seed=0, session=1)[0] > 127

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        return float(((a & b).sum((1, 2)) / (a | b).sum((1, 2))).mean())

    v2 = side_view(r)
    right = side_view(replace(r, walker="v1"))  # the same walk and clothes from the first walker's camera
    assert iou(v2, right[:, :, ::-1]) > 0.85 and iou(v2, right) < 0.6  # filmed from the other side
    bare = side_view(replace(r, outfit=None))  # the first walker's clothes
    assert v2.sum() > 1.1 * bare.sum()  # its trousers, top, coat cut and hair add to the silhouette

@pytest.fixture(scope="module")
def cases():
    from eval.audit.validation import render_cases

    return render_cases(subjects=3, views=(90.0, 36.0), frames=30, seed=0)


def test_restoration_and_transfer_known_answers(cases, tmp_path):
    from eval.audit.report import write_report
    from eval.audit.validation import summarize_cases, write_cases

    pairs = write_cases(cases, tmp_path, rgb=False)
    res, prepared = run_audit(read_pairs(pairs), DatasetIndex.open(tmp_path / "gallery"),
                              Recognizer.per_sequence(gei_embedding, "gei"))
    s = summarize_cases(res)
    assert s["same"]["pairs"] == s["swapped"]["pairs"] == 6
    assert s["same"]["verified"] >= 80 and s["same"]["rank1"] >= 80  # fidelity high for the same subject
    assert s["swapped"]["verified"] <= 20 and s["swapped"]["rank1"] <= 20  # and low for a swapped identity
    assert s["same"]["mean_distance_ratio"] < 1 < s["swapped"]["mean_distance_ratio"]
    t = res["transfer"]
    assert t["pairs"] == 6 and t["motion_attribution"] + t["appearance_attribution"] + t["other_attribution"] == 100
    for p in res["pairs"]:
        if p["task"] == "transfer":  # the attribution is the nearest gallery identity, whatever it is
            b = p["biometric"]
            want = {p["motion_id"]: "motion", p["appearance_id"]: "appearance"}.get(b["nearest_id"], "other")
            assert b["attribution"] == want
    paths = write_report(tmp_path / "report", res, prepared, worst=2)
    assert len(paths["gifs"]) == 2 and paths["scatter"].stat().st_size > 1000
    assert "it follows" in paths["markdown"].read_text() and "<table>" in paths["html"].read_text()


def test_extraction_iou_on_composited_video(cases, tmp_path):
    from eval.audit.extraction_check import extraction_iou

    across = extraction_iou(cases.masks["001/ref"][0], seed=1, folder=tmp_path)
    oblique = extraction_iou(cases.masks["002/ref"][1], seed=2, folder=tmp_path)
    centred = extraction_iou(cases.masks["003/ref"][0], seed=3, walk_across=False, give_background=True,
                             folder=tmp_path)
    for r in (across, oblique, centred):
        assert r["iou"] >= 0.9 and r["iou_pretreated"] >= 0.85, r
        assert r["flags"]["kept"] == r["frames"]


def test_cli_on_rgb_videos(cases, tmp_path):
    from eval.audit.validation import write_cases

    pairs = write_cases(cases, tmp_path, rgb=True, keep=lambda r: r["_v"] == 0 and r["motion_id"] == "001")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(), "audit", "audit")
    args = parser.parse_args(["audit", "--pairs", str(pairs), "--gallery", str(tmp_path / "gallery"),
                              "--out", str(tmp_path / "rep"), "--recognizer", "gei", "--quiet", "--worst", "1"])
    assert run(args) == 0
    res = json.loads((tmp_path / "rep" / "report.json").read_text())
    by_id = {p["pair_id"].split("-")[0]: p for p in res["pairs"]}
    assert by_id["same"]["biometric"]["verified"] and not by_id["swapped"]["biometric"]["verified"]
    assert res["extractor"] == ["background-subtraction"] and res["extraction"]["empty"] == 0
    assert by_id["same"]["visual"]["ssim"] > 0.5


@pytest.mark.parametrize("flag, value, problem", [("--far", "1.5", "far (the false-accept rate) must be in (0, 1)"),
                                                  ("--min-frames", "0", "min_frames must be at least 1")])
def test_cli_bad_numbers_are_one_line_errors(tmp_path, capsys, flag, value, problem):
    from gaitcraft.cli import main

    code = main(["audit", "--pairs", str(tmp_path / "pairs.csv"), "--gallery", str(tmp_path), "--out",
                 str(tmp_path / "rep"), flag, value])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"gaitcraft audit: error: {problem}" in err
    assert not (tmp_path / "rep").exists()
