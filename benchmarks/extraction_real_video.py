"""Extraction on real footage: learned segmentation (MediaPipe pose) and background subtraction on real videos,
compared with each other and, where the dataset's own silhouettes are given, with those.

    python benchmarks/extraction_real_video.py VIDEO_OR_DIR ... [--reference TREE] [--out work/extraction_real_video]
        [--speed-videos 3] [--threads 1,2]

Nothing is downloaded: pass the videos. CASIA-B names (`001-nm-01-090.avi`) find the official sequence
`TREE/001/nm-01/090/090.pkl` in --reference (an OpenGait tree). A `ID-bkgrd-VIEW.avi` beside a video is CASIA-B's
recording of the empty scene: where there is one, background subtraction also runs against it
("background + scene"), as the dataset's own silhouettes were made.

Per video: each method's pretreated silhouettes; per-frame IoU of learned vs background on frames both kept
(agreement, not accuracy); against the reference (placed in the video by one offset shared by the methods,
see `eval/audit/silhouette_agreement.py`): per-frame IoU, the share of reference frames each method gave a
silhouette for, and the share at IoU >= 0.85; a contact sheet (frame | learned | background, masks at video
size, and the pretreated 64x64 silhouettes beside the reference). frames/s on 1 and 2 pinned cores for the
first --speed-videos videos (`benchmarks/extraction_speed.py`'s measurement).

The report (report.md, report.json, sheets/) goes to --out, outside the repository: it shows frames of the
footage, which may be research-only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GAITCRAFT_CACHE", str(ROOT / ".cache"))

from benchmarks._machine import header, log  # noqa: E402
from benchmarks.extraction_speed import SPEED_NOTE, speed_cell, thread_fps  # noqa: E402
from eval.audit.background import BackgroundSubtraction  # noqa: E402
from eval.audit.extract import Extraction, pretreat_masks  # noqa: E402
from eval.audit.segmenters import MediaPipePose  # noqa: E402
from eval.audit.silhouette_agreement import (  # noqa: E402
    GOOD_IOU,
    pairwise_agreement,
    place_reference,
    reference_ious,
    reference_summary,
)
from eval.audit.video_job import find_videos  # noqa: E402
from gaitcraft.errors import GaitCraftError  # noqa: E402
from gaitcraft.io.atomic import atomic_write_bytes, atomic_write_text  # noqa: E402
from gaitcraft.io.opengait_tree import read_opengait_sequence, sequence_folder  # noqa: E402
from gaitcraft.io.video import read_video_rgb  # noqa: E402
from gaitcraft.path_labels import UNKNOWN, labels_from_path  # noqa: E402

SCENE = "background + scene"


def scene_video(video: Path) -> Path | None:
    """CASIA-B's empty-scene recording for `video` (`001-bkgrd-090.avi` beside `001-nm-01-090.avi`), if any."""
    parts = video.stem.split("-")
    if len(parts) != 4:
        return None
    path = video.with_name(f"{parts[0]}-bkgrd-{parts[3]}{video.suffix}")
    return path if path.is_file() else None


def extract_all(rgb: np.ndarray, learned: MediaPipePose, scene: np.ndarray | None) -> tuple[dict, dict, dict]:
    """Every method on one clip: ({method: Extraction}, {method: full-size masks [t, h, w]}, {method: seconds})."""
    exts, masks, secs = {}, {}, {}
    runs = [("learned", learned, None), ("background", BackgroundSubtraction(), None)]
    if scene is not None:
        runs.append((SCENE, BackgroundSubtraction(), scene))
    for name, ext, bg in runs:
        t0 = time.perf_counter()
        m = ext.masks(rgb, bg)  # [t, h, w] bool
        exts[name] = pretreat_masks(m, ext.name)
        secs[name] = time.perf_counter() - t0
        masks[name] = m
    return exts, masks, secs


def contact_sheet(rgb: np.ndarray, masks: dict, exts: dict[str, Extraction], reference: np.ndarray | None,
                  offset: int | None, n: int = 6) -> np.ndarray:
    """`[H, W, 3]` uint8 BGR: per sampled frame a column of the RGB frame, the learned and background masks, and a
    strip of pretreated silhouettes (learned | background | reference, grey where a method kept none)."""
    t = len(rgb)
    lo, hi = (offset, offset + len(reference) - 1) if reference is not None else (0, t - 1)
    idx = np.linspace(lo, hi, n).round().astype(int)
    h, w = rgb.shape[1:3]
    tile = w // 3  # pretreated tiles side by side under each frame

    def sil_tile(frames: np.ndarray | None) -> np.ndarray:
        if frames is None:
            return np.full((tile, tile, 3), 90, np.uint8)
        return cv2.cvtColor(cv2.resize(frames, (tile, tile), interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)

    def kept(name: str, i: int) -> np.ndarray | None:
        where = np.flatnonzero(exts[name].kept == i)
        return exts[name].frames[where[0]] if len(where) else None

    cols = []
    for i in idx:
        ref = reference[i - offset] if reference is not None and 0 <= i - offset < len(reference) else None
        strip = np.hstack([sil_tile(kept("learned", i)), sil_tile(kept("background", i)), sil_tile(ref)])
        strip = np.pad(strip, ((0, 0), (0, w - strip.shape[1]), (0, 0)))
        col = [cv2.cvtColor(rgb[i], cv2.COLOR_RGB2BGR),
               cv2.cvtColor(masks["learned"][i].astype(np.uint8) * 255, cv2.COLOR_GRAY2BGR),
               cv2.cvtColor(masks["background"][i].astype(np.uint8) * 255, cv2.COLOR_GRAY2BGR), strip]
        col = np.vstack([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=40) for c in col])
        cv2.putText(col, f"frame {i}", (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1)
        cols.append(col)
    return np.hstack(cols)


def one_video(video: Path, reference_root: Path | None, learned: MediaPipePose, sheets: Path) -> dict:
    """Extract one video every way, compare, write its contact sheet; returns its report entry."""
    rgb = read_video_rgb(video)  # [t, h, w, 3]
    scene_path = scene_video(video)
    scene = np.median(read_video_rgb(scene_path), axis=0).astype(np.uint8) if scene_path else None  # [h, w, 3]
    exts, masks, secs = extract_all(rgb, learned, scene)
    entry = {"video": str(video), "frames": int(len(rgb)), "size": list(rgb.shape[1:3]),
             "scene_video": str(scene_path) if scene_path else None,
             "methods": {k: {**e.counts(), "fps_in_process": len(rgb) / secs[k]} for k, e in exts.items()},
             "agreement": pairwise_agreement(exts["learned"], exts["background"])}
    labels = labels_from_path(video, "video")
    ref, offset = None, None
    if reference_root is not None and labels.subject != UNKNOWN:
        path = sequence_folder(reference_root, labels) / f"{labels.view_name}.pkl"
        if path.is_file():
            ref = read_opengait_sequence(path)  # [n, 64, 64]
            placed = place_reference(ref, list(exts.values()), len(rgb))
            offset = placed["offset"]
            own = {k: place_reference(ref, [e], len(rgb))["offset"] for k, e in exts.items()}
            entry["reference"] = {"path": str(path), **placed, "own_offsets": own, "methods": {}}
            for k, e in exts.items():
                ious = reference_ious(ref, e, offset)
                entry["reference"]["methods"][k] = {**reference_summary(ious),
                                                    "ious": [None if np.isnan(x) else round(float(x), 4) for x in ious]}
    sheet = contact_sheet(rgb, masks, exts, ref, offset)
    ok, buf = cv2.imencode(".png", sheet)
    sheet_path = sheets / f"{video.stem}.png"
    atomic_write_bytes(sheet_path, buf.tobytes())
    entry["sheet"] = str(sheet_path)
    return entry


def pooled(entries: list[dict], method: str) -> dict | None:
    """Every reference frame of every video pooled: frames, coverage, mean IoU, share at IoU >= 0.85."""
    ious = [x for e in entries if "reference" in e and method in e["reference"]["methods"]
            for x in e["reference"]["methods"][method]["ious"]]
    if not ious:
        return None
    arr = np.array([np.nan if x is None else x for x in ious], float)
    s = reference_summary(arr)
    s["videos"] = sum(1 for e in entries if "reference" in e and method in e["reference"]["methods"])
    return s


def fmt(x, spec: str = ".3f") -> str:
    """A number for a table cell; '–' when missing."""
    return "–" if x is None else format(x, spec)


def markdown(entries: list[dict], speed: dict, args, load: tuple[float, float]) -> str:
    """The report: conclusions-first summary, per-video tables, speed."""
    with_ref = [e for e in entries if "reference" in e]
    lines = [header("Silhouette extraction on real video"),
             f"Load average at start / end (shared machine): {load[0]:.1f} / {load[1]:.1f}. "
             f"{len(entries)} videos, {sum(e['frames'] for e in entries)} frames.", ""]
    if with_ref:
        lines += ["### Against the dataset's own silhouettes (pooled over every reference frame)", "",
                  "| method | videos | reference frames | share with a silhouette | mean IoU (64x64) | median | "
                  f"share of reference frames at IoU >= {GOOD_IOU} |", "|---|---:|---:|---:|---:|---:|---:|"]
        for m in ("learned", "background", SCENE):
            p = pooled(entries, m)
            if p:
                lines.append(f"| {m} | {p['videos']} | {p['frames']} | {p['coverage']:.3f} | {fmt(p['iou_mean'])} | "
                             f"{fmt(p['iou_median'])} | {p['good_share']:.3f} |")
        lines += ["", "Per video (offset = video frame of the first reference frame, shared by the methods; "
                  "score = their mean IoU there, second = the best other offset's):", "",
                  "| video | frames | reference frames | offset (score / second) | own offsets L/B | learned: share, "
                  "IoU | background: share, IoU | background + scene: share, IoU |", "|---|---:|---:|---|---|---|---|---|"]
        for e in with_ref:
            r = e["reference"]
            ms = r["methods"]

            def cell(m: str, ms=ms) -> str:
                return f"{ms[m]['coverage']:.2f}, {fmt(ms[m]['iou_mean'])}" if m in ms else "–"

            lines.append(f"| {Path(e['video']).name} | {e['frames']} | {ms['learned']['frames']} | {r['offset']} "
                         f"({r['score']:.3f} / {r['second_score']:.3f}) | {r['own_offsets']['learned']}/"
                         f"{r['own_offsets']['background']} | {cell('learned')} | {cell('background')} | "
                         f"{cell(SCENE)} |")
        lines.append("")
    else:
        lines += ["**No ground truth**: no reference silhouettes were given for these videos, so the numbers below "
                  "say how far the two methods agree, not how accurate either is.", ""]
    lines += ["### Learned vs background subtraction (agreement, not accuracy)", "",
              "| video | frames | kept: learned / background | both | mean IoU | median | min | empty: learned / "
              "background | edge: learned / background |", "|---|---:|---|---:|---:|---:|---:|---|---|"]
    for e in entries:
        a, ml, mb = e["agreement"], e["methods"]["learned"], e["methods"]["background"]
        lines.append(f"| {Path(e['video']).name} | {e['frames']} | {ml['kept']} / {mb['kept']} | {a['frames']} | "
                     f"{fmt(a['iou_mean'])} | {fmt(a['iou_median'])} | {fmt(a['iou_min'])} | {ml['empty']} / "
                     f"{mb['empty']} | {ml['edge']} / {mb['edge']} |")
    all_ious = [x for e in entries for x in e["agreement"]["ious"]]
    if all_ious:
        lines += ["", f"Pooled over {len(all_ious)} frames both kept: mean IoU {np.mean(all_ious):.3f}, "
                  f"median {np.median(all_ious):.3f}, share >= {GOOD_IOU}: {np.mean(np.array(all_ious) >= GOOD_IOU):.3f}."]
    if speed:
        threads = [int(t) for t in args.threads.split(",")]
        lines += ["", "### Speed (segmentation + pretreatment, decoding excluded; a process pinned to N cores)", "",
                  SPEED_NOTE, "",
                  "| video | frames | method | " + " | ".join(f"frames/s, {t} core{'s' * (t > 1)}" for t in threads)
                  + " |", "|---|---:|---|" + "---:|" * len(threads)]
        for video, row in speed.items():
            for m, r in row.items():
                cells = [speed_cell(r[f"fps_{t}"]) for t in threads]
                n = next((r[f"fps_{t}"]["frames"] for t in threads if "frames" in r[f"fps_{t}"]), "–")
                lines.append(f"| {Path(video).name} | {n} | {m} | " + " | ".join(cells) + " |")
    lines += ["", f"Contact sheets: `{Path(args.out) / 'sheets'}/` (rows: frame, learned mask, background mask, "
              "pretreated learned | background | reference)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every video, write report.md / report.json / sheets/ under --out."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("videos", nargs="+", help="videos or folders of videos")
    ap.add_argument("--reference", help="OpenGait tree of the dataset's own silhouettes (CASIA-B names)")
    ap.add_argument("--out", default="work/extraction_real_video", help="report folder (keep it out of git)")
    ap.add_argument("--speed-videos", type=int, default=3, help="time this many videos on 1 and 2 cores (0: none)")
    ap.add_argument("--threads", default="1,2", help="core counts to time (default 1,2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per speed measurement; the median is kept")
    args = ap.parse_args()
    out = Path(args.out)
    load0 = os.getloadavg()[0]
    try:
        videos = [v for src in args.videos for v in find_videos(src) if "-bkgrd-" not in v.name]
        learned = MediaPipePose()
    except GaitCraftError as e:
        raise SystemExit(f"extraction_real_video: error: {e}") from None
    ref_root = Path(args.reference) if args.reference else None
    entries = []
    for video in videos:
        try:
            entries.append(one_video(video, ref_root, learned, out / "sheets"))
        except GaitCraftError as e:
            print(f"extraction_real_video: error: {e}", file=sys.stderr)
            continue
        e = entries[-1]
        ref = e.get("reference", {}).get("methods", {})
        log(f"{video.name}: agreement {fmt(e['agreement']['iou_mean'])}; vs reference: "
            + ", ".join(f"{k} {v['coverage']:.2f} / {fmt(v['iou_mean'])}" for k, v in ref.items()))
    speed = {}
    for video in videos[: args.speed_videos]:
        speed[str(video)] = {m: {f"fps_{t}": thread_fps(video, m, int(t), args.repeats)
                                 for t in args.threads.split(",")} for m in ("learned", "background")}
        log(f"speed {video.name}: {json.dumps(speed[str(video)])}")
    load = (load0, os.getloadavg()[0])
    atomic_write_text(out / "report.json", json.dumps({"videos": entries, "speed": speed, "load_average": load,
                                                       "pooled": {m: pooled(entries, m) for m in
                                                                  ("learned", "background", SCENE)}},
                                                      indent=1, sort_keys=True) + "\n")
    text = markdown(entries, speed, args, load)
    atomic_write_text(out / "report.md", text)
    print(text)
    print(f"wrote {out / 'report.md'}, {out / 'report.json'} and {len(entries)} contact sheets")


if __name__ == "__main__":
    main()
