"""Synthetic-dataset generation benchmark: sequences/s and peak memory of generating --count sequences beside
--small sequences in the same run (memory should stay flat: sequences stream to disk batch by batch).

    python benchmarks/synth.py [--count 1000] [--small 100] [--batch 8] [--model DIR] [--out benchmarks/results/synth.md]

Uses the shipped generator (assets/models/generator) when present, else the default-config pipeline with random
weights (speed and memory do not depend on training; the report says which). Without --out it only prints.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP (see benchmarks/diffusion.py)

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import PeakRSS, header  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.paths import REPO_ROOT  # noqa: E402
from synth_datasets.generated.build import prepare  # noqa: E402
from synth_datasets.generated.generator import DEFAULT_MODEL  # noqa: E402
from synth_datasets.generated.sampling import generate_jobs  # noqa: E402
from synth_datasets.generated.spec import GeneratedSpec  # noqa: E402
from synth_datasets.grid import parse_views  # noqa: E402


def random_model(folder: Path) -> Path:
    """Save the default-config pipeline with random weights (20 identities) into `folder`."""
    from conditioning import ConditionVocab
    from diffusion.config import load_config
    from diffusion.pipeline import GaitCraftPipeline
    from diffusion.schedule import scheduler_from_config
    from diffusion.training import build_models

    cfg = load_config(REPO_ROOT / "configs" / "diffusion" / "default.yaml")
    vocab = ConditionVocab.from_labels(identity=[f"{i:03d}" for i in range(1, 21)], clothing=["normal", "coat"],
                                       carry=["none", "bag"])
    torch.manual_seed(0)
    ae, unet, enc = build_models(cfg, vocab)
    s = cfg.schedule
    pipe = GaitCraftPipeline(unet.eval(), ae.eval(), enc.eval(),
                             scheduler_from_config(s))
    pipe.save_pretrained(folder)
    return folder


def run(model: Path, count: int, args, out_root: Path) -> dict:
    """Generate `count` sequences (novel identities x nm-01 x 11 views) into a fresh folder; time and memory."""
    views = parse_views("0:180:18")
    spec = GeneratedSpec(identities=math.ceil(count / len(views)), types=("nm-01",), views=tuple(views),
                     frames=args.frames, steps=args.steps, seed=0)
    pipe, spec, record, jobs = prepare(spec, model)
    jobs = jobs[:count]
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        generate_jobs(pipe, out_root / f"n{count}", jobs, lambda j: j.labels(0, record["model_sha256"]), spec.seed,
                      spec.frames, spec.steps, spec.guidance, args.batch, progress=False)
        seconds = time.perf_counter() - t0
    return {"count": count, "seconds": seconds, "seq_s": count / seconds, "peak_mib": mem.peak_mib,
            "delta_mib": mem.delta_mib}


def main() -> None:
    """Parse, run the small and the large generation, print (and with --out write) the report."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1000, help="sequences in the large run (default 1000)")
    p.add_argument("--small", type=int, default=100, help="sequences in the small run (default 100)")
    p.add_argument("--batch", type=int, default=8, help="sequences per forward (default 8)")
    p.add_argument("--steps", type=int, default=15, help="sampler steps (default 15)")
    p.add_argument("--frames", type=int, default=30, help="frames per sequence (default 30)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--model", help="model folder (default: the shipped generator, else random default config)")
    p.add_argument("--out", help="write the markdown report here (e.g. benchmarks/results/synth.md)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.model:
            model, kind = Path(args.model), f"`{args.model}`"
        elif DEFAULT_MODEL.is_dir():
            model, kind = DEFAULT_MODEL, "the shipped generator (`assets/models/generator`)"
        else:
            model, kind = random_model(tmp / "model"), "default config with RANDOM weights (no shipped generator)"
        rows = [run(model, n, args, tmp) for n in (args.small, args.count)]
    lines = [header("Synthetic dataset generation"), f"- model: {kind}",
             f"- {args.frames} frames per sequence, {args.steps} sampler steps, batch {args.batch}, "
             "nm-01 x 11 views per novel identity, written to disk (pkl + manifest rows)", "",
             "| sequences | seconds | sequences/s | peak RSS (MiB) | peak above start (MiB) |", "|---|---|---|---|---|"]
    lines += [f"| {r['count']} | {r['seconds']:.1f} | {r['seq_s']:.2f} | {r['peak_mib']:.0f} | {r['delta_mib']:.0f} |"
              for r in rows]
    lines += ["", f"- process max RSS (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
              "- flat memory: the large run's peak above start should match the small run's (batches stream to disk)",
              ""]
    report = "\n".join(lines)
    print(report)
    if args.out:
        atomic_write_text(args.out, report)


if __name__ == "__main__":
    main()
