"""`gaitcraft procedural --subjects N --out DIR`."""

from __future__ import annotations

import time

from gaitcraft.errors import ConfigError
from mesh.subjects import DEFAULT_WALKER, WALKERS


def add_parser(sub, name: str, summary: str):
    """Register `procedural`."""
    p = sub.add_parser(name, help=summary, description=(
        "Render the procedural walker dataset: adult anny bodies (random phenotypes) walking with retargeted "
        "CMU motion capture (each subject's own blended gait style), in CASIA-B naming (nm normal, bg a bag "
        "with the exact object in the labels, cl a coat), rendered at every view and pretreated exactly "
        "like real silhouettes. Writes an OpenGait tree + manifest.jsonl + partition.json + README.md card + "
        "groundtruth/<id>/<type>.npz (3D joints, pose, cameras). Deterministic per --seed; rerun the same "
        "command to resume an interrupted run."))
    p.add_argument("--subjects", type=int, required=True, help="number of subjects (ids 001, 002, ...)")
    p.add_argument("--out", required=True, help="output folder (new, or a partial run of the same spec)")
    p.add_argument("--types", default="nm:6,bg:2,cl:2", help="conditions and counts (default nm:6,bg:2,cl:2)")
    p.add_argument("--views", default="0:180:18", help="azimuths: start:stop:step or a list (default 0:180:18)")
    p.add_argument("--frames-per-seq", default="60:90",
                   help="frames per walk, N or MIN:MAX drawn per walk (default 60:90, at 25 fps); walker v4's "
                        "cameras film at most 6 m of a walk, so its faster walkers get fewer (30 at least)")
    p.add_argument("--elevation", type=float, default=0.0, help="camera elevation in degrees (default 0)")
    p.add_argument("--train-subjects", type=int, default=None,
                   help="first N subjects form TRAIN_SET in partition.json (default 60%%)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    p.add_argument("--noise", choices=("real", "clean"), default="real",
                   help="segmentation noise: real = holes, split-off fragments, ragged edges, foot shadows and flicker "
                        "drawn per sequence, calibrated on real background-subtraction silhouettes; clean = exact "
                        "renders (default real)")
    p.add_argument("--walker", choices=WALKERS, default=DEFAULT_WALKER,
                   help="walker version: v2 is calibrated on real CASIA-B (bodies, stance, clothes, camera); "
                        "v3 is v2 filmed by static cameras, so the view drifts along the walk as CASIA-B's does; "
                        "v4 is v3 walking at CASIA-B's pace (faster, longer strides, wider arm swing); "
                        "v5 is v3 with heads and tops as varied as real people's (bulky and long hair, loose tops); "
                        "v6 is v5 in slimmer trousers, nearer real people's leg widths; "
                        "v1 rebuilds datasets made with the first walker (default v2)")
    p.add_argument("--workers", type=int, default=2, help="render processes (default 2)")
    return p


def parse_frames(text: str) -> tuple[int, int]:
    """'70' -> (70, 70); '60:90' -> (60, 90)."""
    try:
        parts = [int(x) for x in text.split(":")]
    except ValueError:
        raise ConfigError(f"--frames-per-seq {text!r} must be N or MIN:MAX") from None
    if len(parts) not in (1, 2):
        raise ConfigError(f"--frames-per-seq {text!r} must be N or MIN:MAX")
    return parts[0], parts[-1]


def run(args) -> int:
    """Build the dataset and print where it is."""
    from synth_datasets.grid import parse_types, parse_views
    from synth_datasets.procedural.build import build_procedural
    from synth_datasets.procedural.spec import ProceduralSpec

    fmin, fmax = parse_frames(args.frames_per_seq)
    spec = ProceduralSpec(subjects=args.subjects, types=tuple(parse_types(args.types)),
                          views=tuple(parse_views(args.views)), frames_min=fmin, frames_max=fmax,
                          elevation=args.elevation, seed=args.seed, train_subjects=args.train_subjects,
                          noise=args.noise, walker=args.walker)
    t0 = time.time()
    out = build_procedural(args.out, spec, workers=args.workers)
    print(f"procedural dataset: {out['root']}  ({out['subjects']} subjects, {out['sequences']} sequences; "
          f"{out['rendered_units']} walks rendered, {out['resumed_units']} already done; {time.time() - t0:.0f} s)")
    print(f"  card: {out['root']}/README.md   partition: {out['root']}/partition.json")
    return 0
