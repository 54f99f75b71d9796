"""Audit benchmark: RGB->silhouette extraction IoU and frames/s on composited walker videos, the procedural
known-answer cases (restoration same/swapped, transfer A-on-B) with the training-free GEI baseline on masks
and on RGB video, and the slow path through a real GaitBase recognizer.

    GAITCRAFT_CACHE=.cache python benchmarks/audit.py [--subjects 4] [--views 0,36,90,126] [--frames 50]
        [--segmenter background|learned|auto] [--recognizer ours|opengait --checkpoint RUN|FILE.pt]
        [--out benchmarks/results/audit.md]

Without --checkpoint the recognizer section loads a randomly initialised GaitBase written as an OpenGait `.pt`:
it exercises the checkpoint -> embedding -> audit path and its speed, and its fidelity numbers mean nothing.
Extraction: each walker is composited onto a textured static scene (320x240, body ~100 px tall), written as
mp4 (libx264), decoded, and extracted; "across" = walks through the frame, the clip's own median is the
background; "centred + background" = stays in place, the empty scene is given. frames/s counts extraction only.
--segmenter picks the extractor of both the extraction check and the RGB known-answer cases (`learned` needs the
`segment` extra; it ignores the given scene, so its two columns differ only by the walker's path).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GAITCRAFT_CACHE", str(Path(__file__).resolve().parent.parent / ".cache"))

from benchmarks._machine import header  # noqa: E402
from eval.audit.audit import run_audit  # noqa: E402
from eval.audit.extraction_check import extraction_iou  # noqa: E402
from eval.audit.pairs import read_pairs  # noqa: E402
from eval.audit.recognizers import Recognizer, gei_embedding, load_audit_recognizer  # noqa: E402
from eval.audit.segmenters import make_extractor  # noqa: E402
from eval.audit.validation import render_cases, summarize_cases, write_cases  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402


def extraction_table(cases, views: list[float], extractor=None) -> tuple[list[str], dict]:
    """Per view: IoU walking across (clip median), IoU centred with the scene given, pretreated IoU, frames/s
    (`extractor`: background subtraction when None)."""
    lines = ["| view | clips | IoU across | min | IoU centred + bg | min | IoU 64x64 (across) | frames/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    all_r = {"across": [], "centred": []}
    for v, view in enumerate(views):
        rs = {"across": [], "centred": []}
        for k, sid in enumerate(cases.subjects):
            masks = cases.masks[f"{sid}/ref"][v]
            rs["across"].append(extraction_iou(masks, extractor, seed=100 * v + k))
            rs["centred"].append(extraction_iou(masks, extractor, seed=100 * v + k, walk_across=False,
                                                give_background=True))
        a, c = rs["across"], rs["centred"]
        fps = sum(r["frames"] for r in a + c) / sum(r["seconds"] for r in a + c)
        lines.append(f"| {view:g} | {len(a)} | {np.mean([r['iou'] for r in a]):.3f} | {min(r['iou_min'] for r in a):.3f} "
                     f"| {np.mean([r['iou'] for r in c]):.3f} | {min(r['iou_min'] for r in c):.3f} "
                     f"| {np.mean([r['iou_pretreated'] for r in a]):.3f} | {fps:.1f} |")
        for key in rs:
            all_r[key] += rs[key]
    return lines, all_r


def audit_cases(cases, folder: Path, recognizer: Recognizer, rgb: bool, extractor=None) -> tuple[dict, dict, float]:
    """Write the cases (masks or RGB video), audit them (RGB through `extractor`, background subtraction when
    None); returns (case summary, full result, seconds)."""
    pairs = write_cases(cases, folder, rgb=rgb)
    t0 = time.perf_counter()
    res, _ = run_audit(read_pairs(pairs), DatasetIndex.open(folder / "gallery"), recognizer, extractor)
    return summarize_cases(res), res, time.perf_counter() - t0


def case_lines(name: str, s: dict, res: dict, secs: float) -> list[str]:
    """Table rows for one audited case set."""
    out = []
    for kind in ("same", "swapped"):
        k = s[kind]
        out.append(f"| {name} | {kind} | {k['pairs']} | {k['rank1']:.0f} | {k['verified']:.0f} | "
                   f"{k['mean_distance_ratio']:.2f} | – | {secs:.1f} |")
    t = s["transfer"]
    out.append(f"| {name} | transfer A-on-B | {t['pairs']} | – | – | {t['mean_distance_ratio']:.2f} | "
               f"motion {t['motion_attribution']:.0f} / appearance {t['appearance_attribution']:.0f} "
               f"→ {t['follows']} | {secs:.1f} |")
    return out


def random_gaitbase(folder: Path) -> Path:
    """A randomly initialised GaitBase saved as an OpenGait checkpoint (`{'model': state_dict}`)."""
    from eval.models.gaitbase import GaitBase
    from eval.models.gaitbase_config import GaitBaseConfig

    torch.manual_seed(0)
    path = folder / "random_gaitbase.pt"
    torch.save({"model": GaitBase(GaitBaseConfig(class_num=8)).state_dict()}, path)
    return path


def main() -> None:
    """Run the benchmark, print the report and write it to --out."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--views", default="0,36,90,126", help="views of the extraction check (the audit uses 90, 36)")
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--segmenter", default="background", choices=("background", "learned", "auto"),
                    help="RGB -> silhouette extractor of the extraction check and the RGB cases (default background)")
    ap.add_argument("--recognizer", default="opengait", choices=("ours", "opengait"))
    ap.add_argument("--checkpoint", help="trained run folder (ours) or GaitBase .pt (opengait); default: random init")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    ap.add_argument("--out", default="benchmarks/results/audit.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    views = [float(v) for v in args.views.split(",")]
    load_avg = os.getloadavg()[0]
    t0 = time.perf_counter()
    cases = render_cases(args.subjects, views, args.frames, seed=0)
    render_s = time.perf_counter() - t0
    print(f"rendered {len(cases.masks)} walks x {len(views)} views in {render_s:.1f} s", flush=True)
    extractor = make_extractor(args.segmenter)
    ext_name = getattr(extractor, "name", args.segmenter)
    ext_lines, all_r = extraction_table(cases, views, extractor)
    print("\n".join(ext_lines), flush=True)
    audit_views = [views.index(v) for v in (90.0, 36.0) if v in views] or [0]
    sub = type(cases)({k: m[audit_views] for k, m in cases.masks.items()}, cases.subjects,
                      [views[i] for i in audit_views])
    rows = ["| recognizer, input | case | pairs | rank-1 % | verified % | distance / threshold | attribution | audit s |",
            "|---|---|---:|---:|---:|---:|---|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gei = Recognizer.per_sequence(gei_embedding, "gei")
        for rgb in (False, True):
            s, res, secs = audit_cases(sub, tmp / f"gei_{rgb}", gei, rgb, extractor)
            rows += case_lines(f"GEI baseline, {f'RGB mp4 ({ext_name})' if rgb else 'masks'}", s, res, secs)
            print("\n".join(rows[-3:]), flush=True)
        ckpt = Path(args.checkpoint) if args.checkpoint else random_gaitbase(tmp)
        kind = args.recognizer if args.checkpoint else "opengait"
        rec = load_audit_recognizer(kind, ckpt)
        s, res, secs = audit_cases(sub, tmp / "real", rec, rgb=False)
        label = f"GaitBase ({kind}: {ckpt.name})" if args.checkpoint else "GaitBase, random init (path check only)"
        rows += case_lines(label + ", masks", s, res, secs)
        print("\n".join(rows[-3:]), flush=True)
    a, c = all_r["across"], all_r["centred"]
    fps = sum(r["frames"] for r in a + c) / sum(r["seconds"] for r in a + c)
    text = "\n".join([
        header("Animation-model audit"), f"Load average at start (shared machine): {load_avg:.1f}; torch threads "
        f"{args.threads}. {args.subjects} procedural subjects, {args.frames} frames per walk; rendering "
        f"{len(cases.masks)} walks x {len(views)} views took {render_s:.1f} s (excluded below).", "",
        f"### RGB -> silhouette extraction ({ext_name}, mp4 round trip)", "",
        f"Overall: mean IoU **{np.mean([r['iou'] for r in a]):.3f}** walking across (clip median), "
        f"**{np.mean([r['iou'] for r in c]):.3f}** centred with the scene given; **{fps:.1f} frames/s** "
        "(320x240, one core). Target: mean IoU >= 0.9.", "", *ext_lines, "",
        "### Known-answer cases", "",
        f"Views {', '.join(f'{v:g}' for v in sub.views)}; gallery = walks nm-01/02 of every subject; references "
        "= a third walk; `same` = the subject rendered again (a fourth walk), `swapped` = another subject's walk labelled "
        "as the reference's identity, `transfer` = A's gait style on B's body. Threshold: FAR = 1% on gallery "
        "impostor pairs.", "", *rows, ""])
    atomic_write_text(args.out, text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
