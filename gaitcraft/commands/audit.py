"""`gaitcraft audit --pairs FILE --gallery DIR --out REPORT [--recognizer ours|opengait|gei --checkpoint ...]`:
the biometric-fidelity audit of generative animation models (implementation in `eval/audit/`)."""

from __future__ import annotations

import argparse

DESCRIPTION = """Audit a generative animation model for biometric fidelity.

The pairs file (CSV with a header, or JSONL) lists one pair per row: `reference` and `generated` clips (a video,
a folder of frames, an OpenGait .pkl or a .npy), `motion_id` and `appearance_id` (gallery subject ids: equal
for restoration, different for identity transfer), and optional `view`, `background` (a clip or image of the
empty scene) and `pair_id`. Relative paths are relative to the pairs file.

RGB clips become silhouettes through the extractor (median-background subtraction by default), then the
OpenGait pretreatment; mask clips are used as given. Frames where extraction failed (empty mask, mask on
the frame edge) are counted in the report, never dropped silently.

Restoration: SSIM, PSNR and silhouette IoU against the reference; rank-1 of the generated clip against the
gallery, and its distance to the reference against the recognizer's FAR=1% threshold (set on the gallery).
Transfer: the share of clips the recognizer attributes to the motion source and to the appearance source.

REPORT is a folder: report.md, report.html, report.json (every number), scatter.png, worst/*.gif."""


def add_parser(sub, name: str, summary: str):
    """Register `audit`."""
    p = sub.add_parser(name, help=summary, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", required=True, help="pairs manifest (.csv or .jsonl)")
    p.add_argument("--gallery", required=True, help="real sequences of the identities (OpenGait/GaitCraft tree)")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--recognizer", default="ours", choices=("ours", "opengait", "gei"),
                   help="ours: a run folder from `gaitcraft recognizer train`; opengait: a GaitBase .pt "
                        "checkpoint; gei: a training-free gait-energy-image baseline (default: ours)")
    p.add_argument("--checkpoint", help="the run folder (ours) or .pt file (opengait)")
    p.add_argument("--extractor", default="background",
                   help="RGB->silhouette: 'background' (default), 'learned' (MediaPipe pose segmentation, the segment "
                        "extra), 'auto' (learned unless a background is given), 'mediapipe-selfie', or "
                        "'module:function' naming a local function rgb[t,h,w,3] -> masks[t,h,w]")
    p.add_argument("--far", type=float, default=0.01, help="false-accept rate of the threshold (default 0.01)")
    p.add_argument("--min-frames", type=int, default=10, help="shortest usable clip (default 10)")
    p.add_argument("--worst", type=int, default=4, help="side-by-side GIFs of this many worst pairs (default 4)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def run(args) -> int:
    """Run the audit and write the report; prints the verdicts and where the report is."""
    from eval.audit.files import audit_files, summary_lines

    result, paths = audit_files(args.pairs, args.gallery, args.out, args.recognizer, args.checkpoint, args.extractor,
                                args.far, args.min_frames, args.worst, progress=not args.quiet)
    print("\n".join(summary_lines(result)))
    print(f"wrote {paths['markdown']}, {paths['html']} and {paths['json']}")
    return 0
