"""Render benchmark: end-to-end silhouette frames/s (pose -> anny mesh -> clothing/objects -> all views ->
rasterized -> OpenGait-pretreated 64x64), GaitCraft's rasterizer beside a straightforward per-triangle
`skimage.draw.polygon` renderer in the same run, and the rasterizer's IoU against trimesh ray casting.

    GAITCRAFT_CACHE=.cache python benchmarks/render.py [--sequences 6] [--frames 30] [--baseline-frames 2]
        [--iou-images 12] [--out benchmarks/results/render.md]

One output frame = one view of one time step (the unit the speed target counts): a sequence of T poses in 11 views is 11*T
frames. Motion comes from the mocap-driven walker (`mesh.motion`) when present, else the sinusoidal demo walk.
Conditions cycle over normal, coat, backpack, shoulder bag and handbag. The anny model load is excluded.
The GaitCraft pipeline runs once in one process and once split over --workers processes (one per core).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GAITCRAFT_CACHE", str(Path(__file__).resolve().parent.parent / ".cache"))

from benchmarks._machine import header  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.pretreat import pretreat_frames  # noqa: E402
from gaitcraft.vocab import CASIA_B_VIEWS  # noqa: E402
from mesh.accessories import dress  # noqa: E402
from mesh.body_model import AnnyBody  # noqa: E402
from mesh.camera import sequence_cameras  # noqa: E402
from mesh.demo_poses import swing_walk_poses  # noqa: E402
from mesh.rasterizer import reference_polygon_mask, reference_raycast_mask  # noqa: E402
from mesh.render import combine_meshes, render_silhouettes  # noqa: E402

CONDITIONS = [("normal", "none"), ("coat", "none"), ("normal", "backpack"), ("normal", "shoulder_bag"),
              ("normal", "handbag"), ("coat", "backpack")]


def make_poses(body: AnnyBody, pheno: dict, n_frames: int, seed: int) -> tuple[torch.Tensor, str]:
    """Poses `[T, 104, 4, 4]` for one sequence: mocap-driven if that module exists, else the demo walk."""
    try:
        from mesh.gait_style import sample_style
        from mesh.motion import animate
    except ImportError:
        return swing_walk_poses(body, n_frames, phase=0.17 * seed), "sinusoidal demo walk"
    rest = body(None, pheno).joints[0].numpy()
    hip, knee, ankle = (rest[body.semantic_index(n)] for n in ("left_hip", "left_knee", "left_ankle"))
    leg = float(np.linalg.norm(hip - knee) + np.linalg.norm(knee - ankle))
    motion = animate(sample_style(np.random.default_rng(seed)), leg, n_frames)
    return motion.pose, "CMU mocap walker (mesh.motion.animate)"


def phenotypes(rng: np.random.Generator) -> dict:
    """A random adult."""
    return {"gender": float(rng.uniform()), "age": float(rng.uniform(2 / 3, 1.0)), "muscle": float(rng.uniform()),
            "weight": float(rng.uniform()), "height": float(rng.uniform(0.2, 0.8)),
            "proportions": float(rng.uniform())}


def polygon_render(dressed, views, height_px: int) -> np.ndarray:
    """The baseline renderer: same cameras, every triangle drawn with skimage.draw.polygon, one frame at a time."""
    cams = sequence_cameras(dressed.vertices, views, height_px=height_px)
    verts, faces, _ = combine_meshes(dressed.all_meshes())
    uv, _ = cams.project(verts)  # [n_views, T, P, 2]
    out = np.zeros((cams.n_views, cams.n_frames, cams.height, cams.width), np.uint8)
    for v in range(cams.n_views):
        for t in range(cams.n_frames):
            out[v, t] = reference_polygon_mask(uv[v, t], faces, cams.height, cams.width) * np.uint8(255)
    return out


def pipeline(body, pheno, poses, clothing, carry, views, height_px, renderer) -> tuple[int, dict]:
    """One sequence end to end; returns (output frames, wall seconds per stage + total CPU seconds)."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = body(poses, pheno)
    t1 = time.perf_counter()
    dressed = dress(out, body, clothing, carry)
    t2 = time.perf_counter()
    if renderer == "gaitcraft":
        masks = render_silhouettes(dressed.vertices, dressed.faces, views, dressed.extras, height_px)
    else:
        masks = polygon_render(dressed, views, height_px)
    t3 = time.perf_counter()
    n = 0
    for v in range(len(views)):
        n += len(pretreat_frames(masks[v]))
    t4 = time.perf_counter()
    return masks.shape[0] * masks.shape[1], {"anny": t1 - t0, "dress": t2 - t1, "raster": t3 - t2,
                                              "pretreat": t4 - t3, "kept": n, "cpu": time.process_time() - c0}


_WORKER_BODY: AnnyBody | None = None


def _worker_init() -> None:
    """Per-process setup for the multi-process run: one torch thread, the anny model loaded once."""
    global _WORKER_BODY
    torch.set_num_threads(1)
    _WORKER_BODY = AnnyBody()


def _worker_ping(_: int) -> None:
    """A short task that makes sure every worker has finished its setup before the clock starts."""
    time.sleep(0.2)


def _worker_job(job: tuple) -> tuple[int, dict]:
    """One sequence end to end in a worker process."""
    pheno, poses, clothing, carry, views, height_px = job
    return pipeline(_WORKER_BODY, pheno, poses, clothing, carry, views, height_px, "gaitcraft")


def run_workers(seqs: list, views: list, height_px: int, workers: int) -> tuple[int, float]:
    """GaitCraft's pipeline over `workers` processes (one per core); returns (frames, wall seconds)."""
    with mp.get_context("spawn").Pool(workers, initializer=_worker_init) as pool:
        pool.map(_worker_ping, range(4 * workers), chunksize=1)
        jobs = [(ph, poses, cl, ca, views, height_px) for ph, poses, cl, ca in seqs]
        t0 = time.perf_counter()
        out = pool.map(_worker_job, jobs, chunksize=1)
        wall = time.perf_counter() - t0
    return sum(n for n, _ in out), wall


def main() -> None:
    """Run the benchmark, print the table and write it to --out."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=6)
    ap.add_argument("--frames", type=int, default=30, help="poses per sequence (x 11 views)")
    ap.add_argument("--baseline-frames", type=int, default=2, help="poses per sequence for the skimage baseline")
    ap.add_argument("--iou-images", type=int, default=12, help="images checked against ray casting")
    ap.add_argument("--height-px", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2, help="torch threads of the single-process run")
    ap.add_argument("--workers", type=int, default=2, help="processes of the multi-process run (0 = skip)")
    ap.add_argument("--out", default="benchmarks/results/render.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    views = list(CASIA_B_VIEWS)
    load_avg = os.getloadavg()

    t0 = time.perf_counter()
    body = AnnyBody()
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    seqs = []
    motion_kind = ""
    for s in range(args.sequences):
        pheno = phenotypes(rng)
        poses, motion_kind = make_poses(body, pheno, args.frames, seed=s)
        seqs.append((pheno, poses, *CONDITIONS[s % len(CONDITIONS)]))
    pipeline(body, seqs[0][0], seqs[0][1][:4], "coat", "backpack", views, args.height_px, "gaitcraft")  # warm-up

    results = {}
    for name, n_frames in (("gaitcraft", args.frames), ("skimage", args.baseline_frames)):
        total_frames, stages = 0, {"anny": 0.0, "dress": 0.0, "raster": 0.0, "pretreat": 0.0, "kept": 0, "cpu": 0.0}
        for pheno, poses, clothing, carry in seqs:
            n, st = pipeline(body, pheno, poses[:n_frames], clothing, carry, views, args.height_px, name)
            total_frames += n
            for k in stages:
                stages[k] += st[k]
        secs = sum(stages[k] for k in ("anny", "dress", "raster", "pretreat"))
        results[name] = (total_frames, secs, stages)
        print(f"{name}: {total_frames} frames in {secs:.2f} s = {total_frames / secs:.1f} frames/s "
              f"({total_frames / stages['cpu']:.1f} per CPU-second)", flush=True)

    w_frames, w_secs = run_workers(seqs, views, args.height_px, args.workers) if args.workers else (0, 0.0)
    if args.workers:
        print(f"gaitcraft, {args.workers} processes: {w_frames} frames in {w_secs:.2f} s = "
              f"{w_frames / w_secs:.1f} frames/s", flush=True)

    # accuracy: the same posed meshes, ray cast through every pixel centre (and the skimage baseline)
    ious_ray, ious_poly, ray_s = [], [], 0.0
    per_seq = max(1, -(-args.iou_images // len(seqs)))
    irng = np.random.default_rng(1)
    for pheno, poses, clothing, carry in seqs:
        dressed = dress(body(poses, pheno), body, clothing, carry)
        cams = sequence_cameras(dressed.vertices, views, height_px=args.height_px)
        masks = render_silhouettes(dressed.vertices, dressed.faces, views, dressed.extras, cameras=cams)
        verts, faces, _ = combine_meshes(dressed.all_meshes())
        uv, _ = cams.project(verts)
        for _ in range(per_seq):
            if len(ious_ray) >= args.iou_images:
                break
            v, t = int(irng.integers(len(views))), int(irng.integers(len(poses)))
            got = masks[v, t] > 0
            t_ray = time.perf_counter()
            o, d = cams.pixel_rays(v, t)
            ray = reference_raycast_mask(verts[t], faces, o, d, (cams.height, cams.width))
            ray_s += time.perf_counter() - t_ray
            poly = reference_polygon_mask(uv[v, t], faces, cams.height, cams.width)
            ious_ray.append((got & ray).sum() / (got | ray).sum())
            ious_poly.append((got & poly).sum() / (got | poly).sum())

    g_frames, g_secs, g = results["gaitcraft"]
    b_frames, b_secs, b = results["skimage"]
    size = round(1.5 * args.height_px)
    rows = [
        "| renderer | output frames | wall s | frames/s (wall) | frames per CPU-s | anny s | dress s | raster s "
        "| pretreat s |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| GaitCraft, 1 process ({args.threads} torch threads) | {g_frames} | {g_secs:.2f} | "
        f"**{g_frames / g_secs:.0f}** | "
        f"{g_frames / g['cpu']:.0f} | {g['anny']:.2f} | {g['dress']:.2f} | {g['raster']:.2f} | {g['pretreat']:.2f} |",
        *([f"| GaitCraft, {args.workers} processes x 1 thread | {w_frames} | {w_secs:.2f} | "
           f"**{w_frames / w_secs:.0f}** | - | - | - | - | - |"] if args.workers else []),
        f"| per-triangle `skimage.draw.polygon` | {b_frames} | {b_secs:.2f} | {b_frames / b_secs:.1f} | "
        f"{b_frames / b['cpu']:.1f} | {b['anny']:.2f} | {b['dress']:.2f} | {b['raster']:.2f} | "
        f"{b['pretreat']:.2f} |",
        "",
        "| accuracy on the same posed meshes | images | mean IoU | min IoU |",
        "|---|---|---|---|",
        f"| vs trimesh ray casting (pixel centres) | {len(ious_ray)} | {np.mean(ious_ray):.5f} | "
        f"{np.min(ious_ray):.5f} |",
        f"| vs skimage polygon baseline | {len(ious_poly)} | {np.mean(ious_poly):.5f} | {np.min(ious_poly):.5f} |",
    ]
    notes = (
        f"\n{args.sequences} sequences x 11 views (CASIA-B 0:180:18); {args.frames} poses each for GaitCraft, "
        f"{args.baseline_frames} for the baseline; raw frames {size}x{size} with the body ~{args.height_px} px "
        f"tall, then OpenGait pretreatment to 64x64. Motion: {motion_kind}. Conditions cycle over "
        f"{', '.join('/'.join(c) for c in CONDITIONS)}. anny load (excluded): {load_s:.1f} s. "
        f"Speedup over the baseline: {(g_frames / g_secs) / (b_frames / b_secs):.0f}x. Ray casting took "
        f"{ray_s / max(len(ious_ray), 1):.1f} s per image. Load average at start (shared machine): "
        f"{load_avg[0]:.1f}; frames per CPU-second counts the process's CPU time on all its threads, so it "
        f"is what one uncontended core delivers.\n\n"
    )
    text = header("Silhouette rendering") + notes + "\n".join(rows) + "\n"
    print(text)
    atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
