"""Extraction speed and accuracy: frames/s of RGB -> pretreated silhouettes with the learned segmenter (MediaPipe
pose segmentation) and with background subtraction, on 1 and 2 CPU cores, on a synthetic clip whose answer is
known (the rendered walker composited onto a textured scene, mp4 round trip) and on real videos if given.

    GAITCRAFT_CACHE=.cache python benchmarks/extraction_speed.py [--frames 60] [--threads 1,2] [--repeats 3]
        [--video PATH ...] [--out benchmarks/results/extraction_speed.md]

frames/s counts what `gaitcraft extract` times: segmentation (a fresh tracker per clip for the learned one) and
the pretreatment; decoding is excluded. Each measurement runs in a child process pinned to N cores
(`sched_setaffinity`, OMP/OpenCV threads = N) after a warm-up call, and the median of --repeats runs is kept.
IoU: against the walker's own rendered silhouette, per frame at 320x240 (a frame without a silhouette scores 0)
and on the pretreated 64x64 frames both kept. The learned segmenter needs the `segment` extra; without it the
learned rows say so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GAITCRAFT_CACHE", str(ROOT / ".cache"))

METHODS = ("learned", "background")


def pin_threads(threads: int) -> None:
    """Run this process on `threads` cores (the first ones it may use) with as many library threads."""
    cpus = sorted(os.sched_getaffinity(0))
    if threads > len(cpus):
        raise SystemExit(f"asked for {threads} cores; this process may use {len(cpus)}")
    os.sched_setaffinity(0, cpus[:threads])
    import cv2

    cv2.setNumThreads(threads)


def load_rgb(path: str) -> np.ndarray:
    """`[t, h, w, 3]` uint8 frames of a `.npy` clip or a video file."""
    if path.endswith(".npy"):
        return np.load(path)
    from gaitcraft.io.video import read_video_rgb

    return read_video_rgb(path)


def worker(clip: str, method: str, threads: int, repeats: int) -> dict:
    """Time extraction of one clip in this (pinned) process: {'fps' (wall clock, median), 'fps_cpu' (frames per
    CPU-second of this process, median), 'cores_used' (CPU time / wall time), 'fps_runs', 'frames'}."""
    pin_threads(threads)
    from eval.audit.extract import pretreat_masks
    from eval.audit.segmenters import make_extractor

    rgb = load_rgb(clip)
    ext = make_extractor(method)
    ext.masks(rgb[:8])  # warm-up: libraries, the model graph, first-call allocations
    runs, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        pretreat_masks(ext.masks(rgb), ext.name)
        runs.append(len(rgb) / (time.perf_counter() - t0))
        cpu.append(len(rgb) / (time.process_time() - c0))
    return {"fps": statistics.median(runs), "fps_cpu": statistics.median(cpu),
            "cores_used": statistics.median(r / c for r, c in zip(runs, cpu)),
            "fps_runs": [round(r, 2) for r in runs], "frames": int(len(rgb))}


def thread_fps(clip: str | Path, method: str, threads: int, repeats: int = 3) -> dict:
    """frames/s of `method` on `clip` (.npy or video) in a child process pinned to `threads` cores, or
    {'error': line} when it failed (the learned segmenter not installed, ...)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", method, "--clip", str(clip),
           "--threads", str(threads), "--repeats", str(repeats)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    last = proc.stdout.strip().splitlines()[-1:] or [""]
    if proc.returncode != 0 or not last[0].startswith("{"):
        err = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith(("W0000", "I0000"))]
        return {"error": (err[-1] if err else f"exit {proc.returncode}")[:200]}
    return json.loads(last[0])


def synthetic_clip(frames: int, view: float, folder: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A procedural walker at `view` composited onto a textured scene, walking across a 320x240 frame, written
    as mp4 and decoded: (rgb `[t, 240, 320, 3]` uint8, truth `[t, 240, 320]` bool)."""
    from eval.audit.walker import composite_walk, render_masks
    from gaitcraft.io.video import read_video_rgb, write_video
    from mesh.subjects import sample_subject

    r = sample_subject(seed, 0)
    masks = render_masks(r.phenotypes, r.style, (view,), frames, seed, 3)[0]  # [t, h, w]
    rgb, truth, _ = composite_walk(masks, seed=seed + 5)
    path = folder / f"walk_{view:g}.mp4"
    write_video(path, rgb)
    return read_video_rgb(path), truth


def accuracy(rgb: np.ndarray, truth: np.ndarray, method: str) -> dict:
    """IoU of one method against the rendered truth: per frame at full size, and on pretreated frames."""
    from eval.audit.extract import pretreat_masks
    from eval.audit.segmenters import make_extractor
    from eval.audit.visual_metrics import mask_iou, silhouette_iou
    from gaitcraft.errors import ConfigError

    try:
        ext = make_extractor(method)
    except ConfigError as e:
        return {"error": str(e)}
    found = ext.masks(rgb)  # [t, h, w] bool
    iou = mask_iou(found, truth)
    got, want = pretreat_masks(found, ext.name), pretreat_masks(truth)
    return {"extractor": ext.name, "iou": float(iou.mean()), "iou_min": float(iou.min()),
            "iou_pretreated": silhouette_iou(want, got)["iou"], "kept": int(len(got.kept)),
            "truth_kept": int(len(want.kept)), "frames": int(len(rgb))}


def fmt(x, spec: str = ".3f") -> str:
    """A number for a table cell; '–' when missing."""
    return "–" if x is None else format(x, spec)


SPEED_NOTE = ("Cells: wall-clock frames/s (frames per CPU-second of the process; cores it kept busy). On cores "
              "shared with other jobs the wall-clock figure understates the speed; frames per CPU-second is what "
              "one otherwise idle core would give.")


def speed_cell(f: dict) -> str:
    """'wall (per CPU-second; cores used)' of one `thread_fps` result, or why there is none."""
    if "error" in f:
        return "not installed" if "gaitcraft[segment]" in f["error"] else "failed"
    if "fps_cpu" not in f:
        return fmt(f.get("fps"), ".1f")
    return f"{f['fps']:.1f} ({f['fps_cpu']:.1f}; {f['cores_used']:.2f})"


def main() -> None:
    """Measure, print and write the report (Markdown, with a JSON twin)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=60, help="frames of the synthetic clip (default 60)")
    ap.add_argument("--views", default="90,36", help="views of the synthetic walker (default 90,36)")
    ap.add_argument("--threads", default="1,2", help="core counts to time (default 1,2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per measurement; the median is kept")
    ap.add_argument("--video", nargs="*", default=[], help="real videos to time as well (never downloaded)")
    ap.add_argument("--out", default="benchmarks/results/extraction_speed.md")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--clip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.clip, args.worker, int(args.threads), args.repeats)))
        return
    from benchmarks._machine import header, log
    from gaitcraft.io.atomic import atomic_write_text

    threads = [int(t) for t in args.threads.split(",")]
    views = [float(v) for v in args.views.split(",")]
    load = os.getloadavg()[0]
    result: dict = {"synthetic": {}, "videos": {}, "threads": threads, "load_average_start": load}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for view in views:
            log(f"rendering the synthetic walker at view {view:g} ({args.frames} frames)")
            rgb, truth = synthetic_clip(args.frames, view, tmp)
            clip = tmp / f"clip_{view:g}.npy"
            np.save(clip, rgb)
            row = {}
            for method in METHODS:
                row[method] = accuracy(rgb, truth, method)
                for t in threads:
                    row[method][f"fps_{t}"] = thread_fps(clip, method, t, args.repeats)
                log(f"view {view:g} {method}: {json.dumps(row[method])}")
            result["synthetic"][f"{view:g}"] = row
    for video in args.video:
        row = {m: {f"fps_{t}": thread_fps(video, m, t, args.repeats) for t in threads} for m in METHODS}
        log(f"{video}: {json.dumps(row)}")
        result["videos"][video] = row
    result["load_average_end"] = os.getloadavg()[0]

    def fps_cell(r: dict, t: int) -> str:
        f = r.get(f"fps_{t}", {})
        return speed_cell(f)

    lines = [header("Extraction speed: learned segmenter vs background subtraction"),
             f"Load average at start / end (shared machine): {load:.1f} / {result['load_average_end']:.1f}. "
             "frames/s = segmentation + pretreatment per clip, decoding excluded; median of "
             f"{args.repeats} runs in a process pinned to N cores. {SPEED_NOTE}", "",
             "### Synthetic clip (rendered walker on a textured scene, 320x240, mp4 round trip; truth = its "
             "rendered silhouette)", "",
             "| view | method | IoU 320x240 | min | IoU 64x64 | frames kept / truth | "
             + " | ".join(f"frames/s, {t} core{'s' * (t > 1)}" for t in threads) + " |",
             "|---|---|---:|---:|---:|---:|" + "---:|" * len(threads)]
    for view, row in result["synthetic"].items():
        for m, r in row.items():
            if "error" in r:
                lines.append(f"| {view} | {m} | {r['error']} |" + " |" * (3 + len(threads)))
                continue
            lines.append(f"| {view} | {m} ({r['extractor']}) | {fmt(r['iou'])} | {fmt(r['iou_min'])} | "
                         f"{fmt(r['iou_pretreated'])} | {r['kept']} / {r['truth_kept']} | "
                         + " | ".join(fps_cell(r, t) for t in threads) + " |")
    if result["videos"]:
        lines += ["", "### Real videos", "", "| video | method | "
                  + " | ".join(f"frames/s, {t} core{'s' * (t > 1)}" for t in threads) + " |",
                  "|---|---|" + "---:|" * len(threads)]
        for video, row in result["videos"].items():
            for m, r in row.items():
                lines.append(f"| {Path(video).name} | {m} | " + " | ".join(fps_cell(r, t) for t in threads) + " |")
    out = Path(args.out)
    atomic_write_text(out, "\n".join(lines) + "\n")
    atomic_write_text(out.with_suffix(".json"), json.dumps(result, indent=1, sort_keys=True) + "\n")
    print("\n".join(lines))
    print(f"wrote {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
