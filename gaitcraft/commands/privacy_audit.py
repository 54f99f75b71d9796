"""`gaitcraft privacy-audit`: re-identification rate of a synthetic dataset's identities (implementation in
`eval/privacy.py` and `eval/evaluation/synthetic_checks.py`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `privacy-audit`."""
    from gaitcraft.arguments import add_frames_limit_argument

    p = sub.add_parser(name, help=summary, description=(
        "For every identity of the synthetic tree, the nearest training identity (identity templates = mean "
        "recognizer embedding) and its distance against the recognizer's FAR=1% threshold, set on the "
        "reference's impostor template distances. --reference RUN (the generator's run or model folder) takes "
        "the tree the generator was trained on, its training identities (the gallery) and the identities its "
        "split held out (threshold + the rate new real people score), as recorded at training time. --reference "
        "TREE takes the TRAIN_SET / TEST_SET of --partition or of the tree's partition.json; with neither, the "
        "whole tree is both. Writes OUT/report.md, OUT/report.json and OUT/histogram.png."))
    p.add_argument("--synthetic", required=True, help="synthetic OpenGait / GaitCraft tree")
    p.add_argument("--reference", required=True, metavar="RUN|TREE",
                   help="the generator's run or model folder (its recorded training data), or a real reference tree")
    p.add_argument("--partition", metavar="FILE|NAME",
                   help="split of a --reference TREE: an OpenGait partition JSON or casia-b / oumvlp (default: the "
                        "tree's partition.json)")
    p.add_argument("--recognizer", help="recognizer run folder or OpenGait .pt (default: assets/models/recognizer)")
    add_frames_limit_argument(p, "the audit")
    p.add_argument("--out", required=True, help="report folder")
    return p


def run(args) -> int:
    """Run the audit."""
    from eval.evaluation.synthetic_checks import privacy_audit_command
    from gaitcraft.arguments import require_at_least_one

    require_at_least_one(args, "frames_limit")
    privacy_audit_command(args.synthetic, args.reference, args.recognizer, args.out, partition=args.partition,
                          frames_limit=args.frames_limit)
    return 0
