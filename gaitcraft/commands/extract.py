"""`gaitcraft extract VIDEO_OR_DIR --out TREE [--segmenter auto|learned|background] [--pose]`: a user's own
videos to an OpenGait tree of pretreated silhouettes (implementation in `eval/audit/video_job.py`)."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """Turn videos of people walking into an OpenGait tree: TREE/<id>/<type>/<view>/<view>.pkl
(uint8 [t, 64, 64], pretreated exactly as `gaitcraft pretreat` does it), plus TREE/manifest.jsonl: one row per
sequence with its labels and, under provenance, the source video (path, SHA-256), the segmenter, frame
counts and a finding when frames gave no silhouette or touch the frame edge.

VIDEO_OR_DIR is one video or a folder searched recursively. CASIA-B names (ID-TYPE-SEQ-VIEW.avi, e.g.
001-nm-01-090.avi) give the subject, sequence type and view; any other video becomes subject = its path under
the folder, with type and view 'unknown'.

Segmenters: 'background' subtracts the per-pixel median of the clip (a static camera the person walks
through); 'learned' is MediaPipe's pose model with its person-segmentation head (CPU; needs
`pip install 'gaitcraft[segment]'`, whose wheel holds the model: nothing is downloaded); 'auto' uses the
learned one when it is installed (a video brings no clean background frame), background subtraction otherwise.
--pose (learned only) also writes COCO-17 keypoints [t, 17, 3] float32 (x px, y px, visibility), frame for
frame with the silhouettes, into a parallel tree.

Rerunning skips sequences already written (resumable; the manifest is rebuilt at the end of every run). A
video that cannot be decoded is reported in one line and the others go on. Exit status: 0 when every video
was written, 1 when some failed, 2 when all failed."""


def add_parser(sub, name: str, summary: str):
    """Register `extract`."""
    p = sub.add_parser(name, help=summary, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", metavar="VIDEO_OR_DIR", help="a video, or a folder of videos")
    p.add_argument("--out", required=True, help="output OpenGait tree")
    p.add_argument("--segmenter", default="auto", choices=("auto", "learned", "background"),
                   help="how RGB frames become silhouettes (default auto)")
    p.add_argument("--pose", action="store_true", help="also write COCO-17 2D poses (learned segmenter)")
    p.add_argument("--pose-out", help="tree for the poses (default: TREE-pose beside TREE)")
    p.add_argument("--drop-edge-frames", action="store_true",
                   help="leave out frames whose silhouette touches the frame border (a body cut off there is "
                        "stretched to full height by the pretreatment; CASIA-B's own silhouettes have no such "
                        "frames). Default: keep them, flagged in the manifest")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    """Extract every video, print each problem as it happens and a summary; the exit status counts failures."""
    from eval.audit.segmenters import learned_available, make_extractor
    from eval.audit.video_job import extract_videos
    from gaitcraft.errors import ConfigError

    if args.pose and not (args.segmenter == "learned" or (args.segmenter == "auto" and learned_available())):
        raise ConfigError("--pose needs the learned segmenter (--segmenter learned, with "
                          "pip install 'gaitcraft[segment]')")
    extractor = make_extractor(args.segmenter)
    pose_out = (args.pose_out or f"{str(args.out).rstrip('/')}-pose") if args.pose else None
    problem = lambda line: print(f"gaitcraft extract: error: {line}", file=sys.stderr)  # noqa: E731
    rep = extract_videos(args.src, args.out, extractor, pose_out, progress=not args.quiet, on_problem=problem,
                         drop_edge=args.drop_edge_frames)
    used = ", ".join(sorted(rep.extractors)) or "none"
    print(f"extracted {rep.written} videos ({rep.frames_in} frames in, {rep.frames_out} kept, "
          f"{rep.fps:.1f} frames/s, extractor {used}); {rep.skipped_existing} already done; {rep.failed} failed")
    if not rep.failed:
        return 0
    # sequences a previous run wrote count as done: 2 only when no video of the input has silhouettes
    return 2 if rep.written + rep.skipped_existing == 0 else 1
