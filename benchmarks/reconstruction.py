"""Reconstruction benchmark on held-out procedural subjects (the dataset's TEST_SET):

- accuracy: MPJPE and PA-MPJPE (mm) per view, given the view label, plus overall with the model's own view;
- novel views: reconstruct from 90 deg, render at the other 10 views, mean IoU vs the true silhouettes,
  beside the trivial baseline that reuses the input view;
- speed: sequences/s of `reconstruct_sequence` (network only, and with the anny mesh);
- fused recognition: cross-view rank-1 of the fused recognizer beside silhouette-only GaitBase, same config,
  data and steps (trained on TRAIN_SET, evaluated on TEST_SET).

    python benchmarks/reconstruction.py --data ROOT --model RUN [--sections accuracy,novel,speed,fused]
        [--recognizer-config configs/reconstruction/fused_small.yaml] [--work DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402

SECTIONS = ("accuracy", "novel", "speed", "fused")


def accuracy(model, test: DatasetIndex) -> list[str]:
    """MPJPE / PA-MPJPE per view, of what `reconstruct_sequence` returns (mirrored where the tree was filmed from
    the other side than the model's training walkers)."""
    from mesh.reconstruction.evaluate import joint_errors

    lab, own = joint_errors(model, test, mirror=True), joint_errors(model, test, use_view_label=False, mirror=True)
    lines = ["### Accuracy (held-out subjects, every frame; body frame, root-relative)", "",
             "| view | sequences | MPJPE mm | PA-MPJPE mm | MPJPE mm, own view estimate | view error deg |",
             "|---|---|---|---|---|---|"]
    for v, r in lab["per_view"].items():
        o = own["per_view"][v]
        lines.append(f"| {v:03.0f} | {r['sequences']} | {r['mpjpe_mm']:.1f} | {r['pa_mpjpe_mm']:.1f} | "
                     f"{o['mpjpe_mm']:.1f} | {o['view_err_deg']:.1f} |")
    lines.append(f"| **all** | | **{lab['mpjpe_mm']:.1f}** | **{lab['pa_mpjpe_mm']:.1f}** | {own['mpjpe_mm']:.1f} | |")
    return lines + [""]


def novel(model, test: DatasetIndex, types: list[str]) -> list[str]:
    """Novel-view IoU from 90 deg."""
    from mesh.reconstruction.evaluate import novel_view_iou

    res = novel_view_iou(model, test.filter(seq_types=types))
    lines = [f"### Novel views (input 090, types {', '.join(types)}; IoU of pretreated 64x64 silhouettes)", "",
             "| view | walks | IoU, reconstruction | IoU, reuse the input view |", "|---|---|---|---|"]
    for v, r in res["per_view"].items():
        lines.append(f"| {v:03.0f} | {r['walks']} | {r['iou']:.3f} | {r['baseline_iou']:.3f} |")
    lines.append(f"| **mean** | | **{res['mean_iou']:.3f}** | {res['mean_baseline_iou']:.3f} |")
    return lines + [""]


def speed(model, test: DatasetIndex, n: int) -> list[str]:
    """Sequences/s, network only and with the mesh."""
    from mesh.reconstruction.api import reconstruct_sequence
    from mesh.view_convention import tree_camera_side

    recs = test.filter(views=[90.0]).records[:n]
    seqs = [r.load() for r in recs]
    side = tree_camera_side(test.root)  # what the labels of the tree mean
    reconstruct_sequence(model, seqs[0], 90.0, side=side, mesh=False, heatmaps=False)  # warm-up
    rows = []
    for name, kw in (("joints + markers", {"mesh": False, "heatmaps": False}),
                     ("+ body-frame heatmaps + anny mesh", {"mesh": True, "heatmaps": True})):
        t0 = time.perf_counter()
        for s in seqs:
            reconstruct_sequence(model, s, 90.0, side=side, **kw)
        dt = time.perf_counter() - t0
        rows.append(f"| {name} | {len(seqs)} | {np.mean([len(s) for s in seqs]):.0f} | {len(seqs) / dt:.2f} |")
    return ["### Speed (one sequence at a time; bf16 autocast only where bf16 is fast)", "",
            "| outputs | sequences | frames/seq | sequences/s |", "|---|---|---|---|", *rows, ""]


def fused(root: Path, model_path: str, config: str, work: Path, steps: int | None) -> list[str]:
    """Fused vs silhouette-only recognizers, same config/data/steps."""
    from eval.evaluation.protocols import casia_b
    from eval.evaluation.recognizer import embed_checkpoint
    from eval.training.recognizer_config import RecognizerConfig
    from eval.training.train_fused import train_fused
    from eval.training.train_recognizer import train as train_gaitbase
    from gaitcraft.training import load_config

    cfg = load_config(config, RecognizerConfig)  # fused_small: one recipe for both recognizers
    index = DatasetIndex.open(root)
    train_idx, test_idx = index.split(root / "partition.json")
    t0 = time.perf_counter()
    train_gaitbase(dataclasses.replace(cfg, kind="recognizer"), train_idx, work / "silhouette", max_steps=steps)
    t_sil = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_fused(dataclasses.replace(cfg, kind="fused_recognizer"), train_idx, work / "fused", model_path,
                max_steps=steps)
    t_fused = time.perf_counter() - t0
    gallery = ("nm-01", "nm-02")
    probes = {"NM": ("nm-03", "nm-04"), "BG": ("bg-01",), "CL": ("cl-01",)}
    types = sorted(set(test_idx.values("seq_type")))
    probes = {k: v for k, v in probes.items() if set(v) <= set(types)}
    # only the gallery and probe types are scored, so only they are embedded (and their 3D keypoints cached)
    test_idx = test_idx.filter(seq_types=sorted({*gallery, *(t for v in probes.values() for t in v)}))
    es_sil, _ = embed_checkpoint(work / "silhouette", test_idx, cache=False)
    es_fused, _ = embed_checkpoint(work / "fused", test_idx, cache=False)
    res = {name: casia_b(es, gallery_types=gallery, probe_sets=probes) for name, es in
           (("silhouette-only (GaitBase)", es_sil), ("fused (silhouette + 3D heatmaps)", es_fused))}
    lines = [f"### Fused recognition (cross-view rank-1 %, identical views excluded; gallery {', '.join(gallery)})",
             "", f"config `{config}`, {steps or cfg.train.total_steps} steps each; training {t_sil / 60:.0f} min "
             f"(silhouette-only) and {t_fused / 60:.0f} min (fused, incl. caching 3D keypoints)", "",
             "| model | " + " | ".join(probes) + " |", "|---|" + "---|" * len(probes)]
    for name, r in res.items():
        lines.append(f"| {name} | " + " | ".join(f"{r['probe_sets'][p]['mean']:.1f}" for p in probes) + " |")
    (work / "fused_results.json").write_text(json.dumps(res, indent=1, default=str))
    return lines + [""]


def main() -> None:
    """Run the chosen sections and write the markdown report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="procedural dataset root (with groundtruth/)")
    ap.add_argument("--model", required=True, help="reconstructor run folder")
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--novel-types", default="nm-01,nm-02", help="sequence types for the novel-view test")
    ap.add_argument("--speed-sequences", type=int, default=10)
    ap.add_argument("--test-subjects", type=int, default=None,
                    help="use only the first N TEST_SET subjects for accuracy / novel views / speed (default all)")
    ap.add_argument("--recognizer-config", default="configs/reconstruction/fused_small.yaml")
    ap.add_argument("--fused-steps", type=int, default=None, help="override the config's total_steps")
    ap.add_argument("--work", type=Path, default=Path("work/bench_reconstruction"))
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/reconstruction.md"))
    args = ap.parse_args()
    sections = args.sections.split(",")
    bad = sorted(set(sections) - set(SECTIONS))
    if bad:
        ap.error(f"unknown sections {bad}; valid: {', '.join(SECTIONS)}")
    from mesh.reconstruction.api import load_reconstructor

    model = load_reconstructor(args.model)
    test = DatasetIndex.open(args.data).split(args.data / "partition.json")[1]
    if args.test_subjects:
        test = test.filter(subjects=test.subjects[: args.test_subjects])
    lines = [header("Silhouette -> 3D reconstruction"), f"- model: `{args.model}` ({model.meta.get('step')} steps, "
             f"{sum(p.numel() for p in model.net.parameters()) / 1e6:.2f} M parameters)",
             f"- data: `{args.data}`, test subjects {', '.join(test.subjects)}", ""]
    if "accuracy" in sections:
        lines += accuracy(model, test)
    if "novel" in sections:
        lines += novel(model, test, args.novel_types.split(","))
    if "speed" in sections:
        lines += speed(model, test, args.speed_sequences)
    if "fused" in sections:
        lines += fused(args.data, args.model, args.recognizer_config, args.work, args.fused_steps)
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
