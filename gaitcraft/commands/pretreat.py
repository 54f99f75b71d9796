"""`gaitcraft pretreat SRC DST`."""

from __future__ import annotations

from gaitcraft.pretreat_job import pretreat_tree


def add_parser(sub, name: str, summary: str):
    """Register `pretreat`."""
    p = sub.add_parser(name, help=summary, description=(
        "Apply OpenGait's pretreatment (datasets/pretreatment.py) to a raw silhouette tree "
        "SRC/<id>/<type>/<view>/*.png: drop near-empty frames, crop rows, resize to height 64 (OpenCV cubic), "
        "centre by column mass, cut a 64-wide window. Writes DST/<id>/<type>/<view>/<view>.pkl (uint8 "
        "[t, 64, 64]). Runs in parallel; rerunning skips sequences already written (resumable)."))
    p.add_argument("src", help="raw PNG tree (e.g. CASIA-B silhouettes)")
    p.add_argument("dst", help="output OpenGait tree")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    p.add_argument("--binary", action="store_true",
                   help="threshold the grey resize edges to 0/255 (default: bit-exact OpenGait output)")
    return p


def run(args) -> int:
    """Pretreat and print a summary with every problem."""
    rep = pretreat_tree(args.src, args.dst, workers=args.workers, binary=args.binary)
    print(f"pretreated {rep.written} sequences ({rep.frames_in} frames in, {rep.frames_out} out); "
          f"{rep.skipped_existing} already done")
    for p in rep.problems or []:
        print(f"  problem: {p}")
    return 0
