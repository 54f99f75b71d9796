"""Biometric-fidelity audit of GaitCraft's own generator used as an "animation model": each generated sequence
of a training identity (restoration) against the real procedural sequence with the same subject, type and view,
through `gaitcraft audit`'s code path (visual SSIM / PSNR / IoU, rank-1 against a real gallery, distance to the
reference against the recognizer's FAR threshold).

    python benchmarks/audit_generator.py --generated work/bench/generator_quality/train_ids \\
        --reference work/data/procedural50 [--gallery-types nm-01,nm-02,nm-03,nm-04] [--out work/bench/audit_generator]

The generated tree is the one `benchmarks/generator_quality.py` writes (its `train_ids` folder). The gallery is
every training identity's sequences of --gallery-types in the reference tree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header  # noqa: E402
from eval.audit.audit import run_audit  # noqa: E402
from eval.audit.pairs import read_pairs  # noqa: E402
from eval.audit.recognizers import load_audit_recognizer  # noqa: E402
from eval.audit.report import write_report  # noqa: E402
from eval.audit.restoration import fidelity_verdict  # noqa: E402
from eval.audit.segmenters import make_extractor  # noqa: E402
from eval.audit.tree_pairs import write_tree_pairs  # noqa: E402
from eval.evaluation.privacy import resolve_recognizer  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.splits import open_split  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generated", default="work/bench/generator_quality/train_ids")
    ap.add_argument("--reference", default="work/data/procedural50", help="real tree with partition.json")
    ap.add_argument("--gallery-types", default="nm-01,nm-02,nm-03,nm-04")
    ap.add_argument("--recognizer", help="recognizer run (default: the shipped one)")
    ap.add_argument("--out", default="work/bench/audit_generator", help="report folder")
    ap.add_argument("--summary", default="benchmarks/results/audit_generator.md")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = write_tree_pairs(args.reference, args.generated, out / "pairs.csv")
    gallery = open_split(args.reference, "train").filter(seq_types=args.gallery_types.split(","))
    recognizer = load_audit_recognizer("ours", resolve_recognizer(args.recognizer), progress=True)
    t0 = time.perf_counter()
    result, prepared = run_audit(read_pairs(out / "pairs.csv"), gallery, recognizer, make_extractor("background"),
                                 progress=True)
    seconds = time.perf_counter() - t0
    paths = write_report(out, result, prepared)
    text = "\n".join([header("Audit of the default generator as an animation model (restoration)"),
                      f"- {n} pairs; gallery: {len(gallery)} real sequences ({args.gallery_types}) of "
                      f"{len(gallery.subjects)} training identities; {seconds:.0f} s",
                      f"- full report: `{paths['markdown']}` (scatter plot, worst-case GIFs, JSON)", "",
                      fidelity_verdict(result["restoration"]), ""])
    atomic_write_text(Path(args.summary), text)
    print(text)
    print(Path(paths["markdown"]).read_text()[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
