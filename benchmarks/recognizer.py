"""Recognizer speed on this machine: embedding extraction (sequences/s) and training (steps/s), fp32 beside
bf16 autocast in the same run, for the narrow CPU preset and the full GaitBase.

    .venv/bin/python benchmarks/recognizer.py [--configs gaitbase_cpu_small,gaitbase_casiab] [--out FILE]

Training steps run the real step (accelerate-prepared model, channels-last, triplet + CE, SGD) on an
in-memory batch of random silhouettes, so data loading is not timed. Embedding packs whole sequences of
`--seq-frames` frames into forwards of `batch_frames` frames, as `eval.evaluation.embed` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.evaluation.embed import embed_arrays  # noqa: E402
from eval.models.gaitbase import GaitBase  # noqa: E402
from eval.models.gaitbase_config import model_config  # noqa: E402
from eval.training.losses import cross_entropy_loss, triplet_loss  # noqa: E402
from eval.training.recognizer_config import RecognizerConfig  # noqa: E402
from gaitcraft.precision import make_accelerator  # noqa: E402
from gaitcraft.training import load_config  # noqa: E402


def cpu_name() -> str:
    """The `Model name` line of lscpu (falls back to platform.processor())."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "unknown")


def random_sils(n: int, t: int, w: int, seed: int) -> np.ndarray:
    """Blob-like binary silhouettes `[n, t, 64, w]` uint8 (a body rectangle with jitter)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, t, 64, w), np.uint8)
    for i in range(n):
        half = int(rng.integers(5, 10))
        x[i, :, 6:62, w // 2 - half : w // 2 + half] = 255
    x[rng.random(x.shape) < 0.05] ^= 255
    return x


def time_training(cfg, precision: str, steps: int, p: int, k: int, classes: int = 74) -> float:
    """Seconds per training step (median of `steps` after one warm-up step)."""
    acc = make_accelerator(precision)
    torch.manual_seed(0)
    model = GaitBase(model_config(cfg, classes)).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model, opt = acc.prepare(model, opt)
    x = torch.from_numpy(random_sils(p * k, cfg.train.frames, 44, 0))  # [p*k, 30, 64, 44]
    y = torch.arange(p).repeat_interleave(k)
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        out = model(x)
        loss = triplet_loss(out["embeddings"], y)[0] + cross_entropy_loss(out["logits"], y)[0]
        opt.zero_grad(set_to_none=True)
        acc.backward(loss)
        opt.step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def time_embedding(cfg, bf16: bool, n_seq: int, frames: int) -> float:
    """Sequences per second for whole-sequence embedding of `n_seq` sequences of `frames` frames."""
    torch.manual_seed(0)
    model = GaitBase(model_config(cfg, 74)).to(memory_format=torch.channels_last).eval()
    seqs = list(random_sils(n_seq, frames, 64, 1))
    embed_arrays(model, seqs[:2], batch_frames=cfg.eval.batch_frames, bf16=bf16)  # warm-up
    t0 = time.perf_counter()
    embed_arrays(model, seqs, batch_frames=cfg.eval.batch_frames, bf16=bf16)
    return n_seq / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark, print the markdown report and write it to `--out`."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default="gaitbase_cpu_small,gaitbase_casiab")
    ap.add_argument("--steps", type=int, default=3, help="timed training steps per case (after 1 warm-up)")
    ap.add_argument("--pk", default=None, help="override P,K for every config, e.g. 8,4")
    ap.add_argument("--embed-seqs", type=int, default=24)
    ap.add_argument("--seq-frames", type=int, default=80, help="frames per embedded sequence (CASIA-B: 61-101)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "recognizer.md"))
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.configs.split(","):
        cfg = load_config(name, RecognizerConfig)
        p, k = map(int, args.pk.split(",")) if args.pk else (cfg.train.p, cfg.train.k)
        params = sum(v.numel() for v in GaitBase(model_config(cfg, 74)).parameters()) / 1e6
        for precision in ("no", "bf16"):
            step = time_training(cfg, precision, args.steps, p, k)
            seq_s = time_embedding(cfg, precision == "bf16", args.embed_seqs, args.seq_frames)
            label = "fp32" if precision == "no" else "bf16 autocast"
            rows.append(f"| {name} | {params:.2f} M | {label} | {p}×{k}×{cfg.train.frames} | {step:.2f} s | "
                        f"{1 / step:.3f} | {p * k / step:.1f} | {seq_s:.2f} | {seq_s * args.seq_frames:.0f} |")
            print(rows[-1], flush=True)
    cmd = " ".join([".venv/bin/python", "benchmarks/recognizer.py", *(argv if argv is not None else sys.argv[1:])])
    report = "\n".join([
        "# Recognizer speed", "",
        f"- command: `{cmd}`",
        f"- machine: {cpu_name()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        f"- date: {dt.datetime.now().isoformat(timespec='minutes')}; 1-min load average {load_before:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (other jobs share the cores when it is above ~2)",
        f"- embedding: {args.embed_seqs} sequences of {args.seq_frames} frames (64×44), whole-sequence packing; "
        f"training: one optimizer step on an in-memory batch (median of {args.steps} after a warm-up)", "",
        "| config | params | precision | batch (P×K×frames) | s / step | steps/s | clips/s | embed seq/s | embed frames/s |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|", *rows, ""])
    print(report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    return report


if __name__ == "__main__":
    main()
