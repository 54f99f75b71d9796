"""Diffusion benchmark, one run on this machine: our spatio-temporal UNet beside diffusers'
`UNet3DConditionModel` at a matched parameter count on the same latent input (train step and sampling
step), end-to-end sampling throughput of the pipeline, the achieved FLOP rate against the bf16 matmul
peak measured in the same run, and peak memory.

    python benchmarks/diffusion.py [--config configs/diffusion/default.yaml] [--threads 2] [--out ...]

Weights are randomly initialised: speed and memory do not depend on training.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

# Passive OpenMP waiting unless the caller chose otherwise. It must be set before torch loads OpenMP: on a
# shared machine, spinning worker threads make a 2-thread run 4-8x slower than a 1-thread one (measured here).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import PeakRSS, header, log  # noqa: E402
from conditioning import ConditionVocab  # noqa: E402
from diffusion.config import load_config  # noqa: E402
from diffusion.pipeline import GaitCraftPipeline  # noqa: E402
from diffusion.schedule import scheduler_from_config  # noqa: E402
from diffusion.training import build_models  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.precision import fast_bf16, resolve_mixed_precision  # noqa: E402

# UNet3DConditionModel candidates (block_out_channels, layers_per_block); the closest in size is used.
BASELINES = [((32, 32, 64), 1), ((32, 64, 96), 1), ((32, 64, 128), 1), ((64, 64, 128), 1), ((32, 64, 128), 2), ((64, 96, 128), 1)]



def once(fn) -> float:
    """Wall-clock seconds of one `fn()` call."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def timed(fn, repeats: int, warmup: int = 1) -> float:
    """Best wall-clock seconds of `fn()` over `repeats` runs after `warmup` runs (best-of: the least
    disturbed by other jobs on a shared machine)."""
    log(f"timing {getattr(fn, '__name__', 'fn')} x{repeats}")
    for _ in range(warmup):
        fn()
    return min(once(fn) for _ in range(repeats))


def matmul_peak(repeats: int, dtype: torch.dtype = torch.bfloat16, sizes: tuple[int, ...] = (2048, 4096)) -> float:
    """Best matmul rate in GFLOP/s over a few large square sizes (bf16 uses AMX when present)."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        best = max(best, 2 * n**3 / timed(lambda a=a, b=b: a @ b, repeats) / 1e9)
    return best


def flops(fn) -> float:
    """FLOPs (matmul, conv, attention; forward and backward) that `fn()` performs."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


def params(model: torch.nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())


def baseline_unet(target: int):
    """The `UNet3DConditionModel` whose parameter count is closest to `target`."""
    from diffusers import UNet3DConditionModel

    def make(boc, lpb):
        return UNet3DConditionModel(
            sample_size=None, in_channels=4, out_channels=4, block_out_channels=boc, layers_per_block=lpb,
            down_block_types=("CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"),
            up_block_types=("UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"),
            cross_attention_dim=128, attention_head_dim=32, norm_num_groups=32)

    return min((make(*c) for c in BASELINES), key=lambda m: abs(params(m) - target))


def step_fns(model, forward, x: torch.Tensor, cond: torch.Tensor, precision: str):
    """(train_step, sample_step) closures on the latent batch `x` `[b, t, 4, 16, 11]` with conditions `cond` `[b, ...]`."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    t = torch.randint(0, 1000, (x.shape[0],), generator=torch.Generator().manual_seed(0))
    amp = precision == "bf16"

    def train_step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            out = forward(model, x, t, cond)
        (out.float() - x).square().mean().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def sample_step():  # one sequence with its CFG twin: batch 2
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            forward(model, x[:2], t[:2], cond[:2])

    return train_step, sample_step


def ours_forward(unet, x, t, c):
    """Our UNet on `[b, t, c, h, w]` with a `[b, cond_dim]` condition."""
    return unet(x, t, c)


def baseline_forward(unet, x, t, c):
    """UNet3DConditionModel on the same latent (its `[b, c, t, h, w]` layout) with condition tokens `[b, 4, 128]`."""
    return unet(x.permute(0, 2, 1, 3, 4), t, encoder_hidden_states=c).sample.permute(0, 2, 1, 3, 4)


def compare_unets(cases: dict[str, tuple], x: torch.Tensor, rounds: int) -> dict[str, dict[str, float]]:
    """Train-step / sampling-step seconds (best of `rounds`, the cases interleaved so they share the machine's
    load alike), FLOPs and the extra RSS of a warm-up step, for each case (model, forward, cond, precision)."""
    fns = {name: step_fns(m.train(), fwd, x, c, prec) for name, (m, fwd, c, prec) in cases.items()}
    out = {}
    for name, (train_step, sample_step) in fns.items():
        log(f"warm-up and FLOPs: {name}")
        with PeakRSS() as mem:
            train_step()
            sample_step()
        out[name] = {"params": params(cases[name][0]), "rss_mib": mem.delta_mib, "train_s": float("inf"),
                     "sample_s": float("inf"), "train_flops": flops(train_step), "sample_flops": flops(sample_step)}
    for r in range(rounds):
        log(f"round {r + 1}/{rounds}")
        for name, (train_step, sample_step) in fns.items():
            out[name]["train_s"] = min(out[name]["train_s"], once(train_step))
            out[name]["sample_s"] = min(out[name]["sample_s"], *(once(sample_step) for _ in range(3)))
    return out


def throughput(pipe: GaitCraftPipeline, ids: list[str], steps: int, guidance, repeats: int) -> tuple[float, float]:
    """(sequences/s, peak RSS MiB) of `pipe` generating `len(ids)` sequences in one call."""
    def run():
        pipe(identity=ids, clothing="normal", carry="none", view=90.0, num_inference_steps=steps,
             guidance_scale=guidance, generator=[torch.Generator().manual_seed(i) for i in range(len(ids))])

    with PeakRSS() as mem:
        sec = timed(run, repeats)
    return len(ids) / sec, mem.peak_mib


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="configs/diffusion/default.yaml")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-batch", type=int, default=4, help="clips per train step in the UNet comparison")
    ap.add_argument("--sample-batch", type=int, default=8, help="sequences per pipeline call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/diffusion.md")
    ap.add_argument("--append", action="store_true", help="add this run's report to --out instead of replacing it")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    load_before = os.getloadavg()[0]
    # Without fast bf16 (no AMX / AVX512-BF16) bf16 matmuls crawl: measure it on 2048 only, and the fp32 peak too.
    peak = matmul_peak(args.repeats, sizes=(2048, 4096) if fast_bf16() else (2048,))
    peak32 = matmul_peak(args.repeats, torch.float32)

    cfg = load_config(args.config)
    ids = [f"{i:03d}" for i in range(1, 101)]
    vocab = ConditionVocab.from_labels(identity=ids, clothing=["normal", "coat"],
                                       carry=["none", "shoulder_bag", "backpack", "handbag", "bag"])
    ae, unet, enc = build_models(cfg, vocab)
    frames, s = cfg.train.num_frames, cfg.schedule
    pipe = GaitCraftPipeline(unet.eval(), ae.eval(), enc.eval(),
                             scheduler_from_config(s))
    seq_s, pipe_rss = throughput(pipe, ids[: args.sample_batch], s.sample_steps, s.guidance_scale, args.repeats)
    seq1_s, _ = throughput(pipe, ids[:1], s.sample_steps, s.guidance_scale, args.repeats)
    per_factor = {"identity": 2.0, "clothing": 2.0, "carry": 2.0, "view": 2.0}
    seqf_s, _ = throughput(pipe, ids[: args.sample_batch], s.sample_steps, per_factor, 1)
    x = torch.randn(args.train_batch, frames, 4, 16, 11)  # [b, t, c, h, w] latent clips
    base = baseline_unet(params(unet))
    tokens = torch.randn(args.train_batch, 4, 128)  # the baseline's cross-attention condition tokens
    # The config's precision as training resolves it here: bf16 autocast only where bf16 is fast (AMX, CUDA).
    prec = "bf16" if resolve_mixed_precision(cfg.train.mixed_precision) == "bf16" else "fp32"
    cases = {"ours": (unet, ours_forward, torch.randn(args.train_batch, enc.config.cond_dim), prec),
             "base": (base, baseline_forward, tokens, prec)}
    if prec == "bf16":
        cases["base32"] = (base, baseline_forward, tokens, "fp32")
    res = compare_unets(cases, x, args.repeats)
    big = compare_unets({"ours": (unet, ours_forward, torch.randn(cfg.train.batch_size, enc.config.cond_dim), prec)},
                        torch.randn(cfg.train.batch_size, frames, 4, 16, 11), 2)["ours"]
    load_after = os.getloadavg()[0]
    report = render(args, cfg, (peak, peak32), prec, res, big, seq_s, seq1_s, seqf_s, pipe_rss, base, (load_before, load_after))
    print(report)
    if args.append and Path(args.out).is_file():
        report = Path(args.out).read_text().rstrip() + "\n\n" + report
    atomic_write_text(args.out, report)



def render(args, cfg, peak, prec, res, big, seq_s, seq1_s, seqf_s, pipe_rss, base, loads) -> str:
    """The markdown report: ours beside UNet3D at the same precision (and UNet3D fp32 when that is bf16)."""
    def rate(m, k):
        return m[f"{k}_flops"] / m[f"{k}_s"] / 1e9

    peak, peak32 = peak
    ours, bases = res["ours"], [(f"UNet3D ({prec})", res["base"])] + (
        [("UNet3D (fp32)", res["base32"])] if "base32" in res else [])

    def row(label: str, value, ratio: str = "") -> str:
        cells = [value(ours)] + [value(b) for _, b in bases]
        if ratio:
            cells += [f"**{ours[ratio] / b[ratio]:.3f}**" if i == 0 else f"{ours[ratio] / b[ratio]:.3f}"
                      for i, (_, b) in enumerate(bases)]
        else:
            cells += [""] * len(bases)
        return f"| {label} | " + " | ".join(cells) + " |"

    s, n, t = cfg.schedule, args.train_batch, cfg.train.num_frames
    bc = base.config
    lines = [
        header("Diffusion: UNet speed, sampling throughput, FLOP rate, memory"),
        f"Config `{args.config}`; latent clips `[b, {t}, 4, 16, 11]` (64x44 silhouettes through the autoencoder); "
        f"random weights. Matmul peaks measured in this run: bf16 **{peak:.1f} GFLOP/s**, fp32 **{peak32:.0f} "
        f"GFLOP/s** (square 2048/4096, best). Precision of our rows: {prec} (the config's `mixed_precision: "
        f"{cfg.train.mixed_precision}` on this CPU). "
        f"Load average before / after: {loads[0]:.1f} / {loads[1]:.1f} (the 2 cores are shared, so times are "
        f"upper bounds; each time is the best of {args.repeats} interleaved rounds). "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}. Baseline: `UNet3DConditionModel(block_out_channels={tuple(bc.block_out_channels)}, "
        f"layers_per_block={bc.layers_per_block}, cross_attention_dim=128)` with 4 condition tokens.\n",
        f"| measure | ours ({prec}) | " + " | ".join(n for n, _ in bases) + " | "
        + " | ".join(f"ours / {n}" for n, _ in bases) + " |",
        "|---|---|" + "---|" * (2 * len(bases)),
        row("parameters", lambda m: f"{m['params'] / 1e6:.2f} M"),
        row(f"train step (fwd+bwd+AdamW), b={n} x {t} frames", lambda m: f"{m['train_s']:.3f} s", "train_s"),
        row("sampling step (1 sequence + CFG twin, b=2)", lambda m: f"{m['sample_s'] * 1e3:.1f} ms", "sample_s"),
        row("achieved rate, train step", lambda m: f"{rate(m, 'train'):.0f} GFLOP/s"),
        row("achieved rate, sampling step", lambda m: f"{rate(m, 'sample'):.0f} GFLOP/s"),
        row("extra RSS of one train + sampling step", lambda m: f"{m['rss_mib']:.0f} MiB"),
        "",
        "| our generator | value | target |",
        "|---|---|---|",
        f"| sampling throughput, {t} frames, {s.sampler} {s.sample_steps} steps, joint CFG {s.guidance_scale}, "
        f"{args.sample_batch} sequences per call (incl. condition encoding and decoding) | **{seq_s:.2f} seq/s** | ≥ 1 |",
        f"| same, 1 sequence per call | {seq1_s:.2f} seq/s | |",
        f"| same, per-factor CFG on all 4 factors (5 evaluations per step), {args.sample_batch} per call | "
        f"{seqf_s:.2f} seq/s | |",
        f"| UNet train step at the config batch ({cfg.train.batch_size} clips) | {big['train_s']:.2f} s "
        f"({cfg.train.batch_size / big['train_s']:.1f} clips/s) | |",
    ]
    if prec == "bf16":  # a fraction of the bf16 peak means something only where the rows ran in bf16
        lines += [
            f"| achieved FLOP rate / bf16 matmul peak, sampling step | {rate(ours, 'sample') / peak:.1%} | |",
            f"| achieved FLOP rate / bf16 matmul peak, train step | {rate(ours, 'train') / peak:.1%} | |"]
    lines += [
        f"| achieved FLOP rate / fp32 matmul peak, sampling step / train step | {rate(ours, 'sample') / peak32:.1%} / "
        f"{rate(ours, 'train') / peak32:.1%} | |",
        f"| peak RSS of the process while sampling {args.sample_batch} sequences (measured first) | {pipe_rss:.0f} MiB | |",
        f"| process max RSS over the whole run (all models) | "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB | |",
        "",
        "FLOPs are counted with `torch.utils.flop_counter` (matmuls, convolutions, attention; forward + backward);",
        "elementwise work (norms, activations) is not counted, so the achieved rates are lower bounds.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
