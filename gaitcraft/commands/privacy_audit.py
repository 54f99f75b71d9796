"""`gaitcraft privacy-audit`: re-identification rate of a synthetic dataset's identities (implementation in
`eval/privacy.py` and `eval/evaluation/synthetic_checks.py`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `privacy-audit`."""
    p = sub.add_parser(name, help=summary, description=(
        "For every identity of the synthetic tree, the nearest training identity (identity templates = mean "
        "recognizer embedding) and its distance against the recognizer's FAR=1% threshold, set on the "
        "reference tree's impostor template distances. The reference's partition.json TRAIN_SET are the "
        "generator's training identities and TEST_SET held-out ones (threshold + the rate new real people "
        "score); without a partition the whole reference is both. Writes OUT/report.md, OUT/report.json and "
        "OUT/histogram.png."))
    p.add_argument("--synthetic", required=True, help="synthetic OpenGait / GaitCraft tree")
    p.add_argument("--reference", required=True, help="real reference tree (the generator's training data)")
    p.add_argument("--recognizer", help="recognizer run folder or OpenGait .pt (default: assets/models/recognizer)")
    p.add_argument("--out", required=True, help="report folder")
    return p


def run(args) -> int:
    """Run the audit."""
    from eval.evaluation.synthetic_checks import privacy_audit_command

    privacy_audit_command(args.synthetic, args.reference, args.recognizer, args.out)
    return 0
