"""`gaitcraft pretreat SRC DST`."""

from __future__ import annotations

import sys

from gaitcraft.pretreat_job import MIN_FRAMES_WARNING, pretreat_tree


def add_parser(sub, name: str, summary: str):
    """Register `pretreat`."""
    p = sub.add_parser(name, help=summary, description=(
        "Apply OpenGait's pretreatment (datasets/pretreatment.py) to a raw silhouette tree "
        "SRC/<id>/<type>/<view>/*.png: drop near-empty frames, crop rows, resize to height 64 (OpenCV cubic), "
        "centre by column mass, cut a 64-wide window. Writes DST/<id>/<type>/<view>/<view>.pkl (uint8 "
        "[t, 64, 64]). Runs in parallel; rerunning skips sequences already written (resumable). A sequence "
        "that fails (unreadable frame, every frame dropped) is listed and the others go on. Exit status: 0 when "
        "every sequence was written, 1 when some failed, 2 when all failed."))
    p.add_argument("src", help="raw PNG tree (e.g. CASIA-B silhouettes)")
    p.add_argument("dst", help="output OpenGait tree")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    p.add_argument("--binary", action="store_true",
                   help="threshold the grey resize edges to 0/255 (default: bit-exact OpenGait output)")
    return p


def run(args) -> int:
    """Pretreat, print every problem and a summary line; the exit status says whether any sequence failed."""
    rep = pretreat_tree(args.src, args.dst, workers=args.workers, binary=args.binary)
    for p in rep.problems or []:
        print(f"  problem: {p}")
    short = f", {rep.short} with fewer than {MIN_FRAMES_WARNING} frames" if rep.short else ""
    print(f"pretreated {rep.written} sequences ({rep.frames_in} frames in, {rep.frames_out} out{short}); "
          f"{rep.skipped_existing} already done; {rep.failed} failed")
    tried = rep.written + rep.failed
    if not rep.failed:
        return 0
    print(f"gaitcraft pretreat: error: {args.src}: {rep.failed} of {tried} sequences failed (listed above)",
          file=sys.stderr)
    return 2 if rep.failed == tried else 1
