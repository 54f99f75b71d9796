"""How much a trained generator uses each of its conditions: the denoising loss on real training clips under the
true conditions, beside the loss when one condition is replaced by a wrong value (or all are nulled).

A model that reads a condition predicts better under the true value than under a wrong one, most of all at high
noise, where the noisy clip itself says little. Give several models to compare them in the same run (for
example the shipped model beside an earlier one); each is scored on its own noise schedule, on the same clips.

    python benchmarks/condition_use.py --data work/data/procedural50 --model assets/models/generator \\
        [--model OTHER_MODEL ...] [--clips 48] [--timesteps 500,800,960,999] [--out FILE]

Wrong values: view + 90 degrees, the identity of another clip in the batch, the other clothing, the next carry.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from diffusion.data import to_model_frames  # noqa: E402
from diffusion.pipeline import GaitCraftPipeline  # noqa: E402
from diffusion.schedule import swap_scheduler, training_target  # noqa: E402
from gaitcraft.dataset import ClipDataset  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.splits import open_split  # noqa: E402

VARIANTS = ("true", "wrong view", "wrong identity", "wrong clothing", "wrong carry", "all null")


def wrong_labels(labels: list, vocab) -> dict[str, dict]:
    """Condition keyword sets per variant for a batch of `SequenceLabels`."""
    true = {"identity": [lab.subject for lab in labels], "clothing": [lab.clothing for lab in labels],
            "carry": [lab.carry for lab in labels], "view": [float(lab.view) for lab in labels]}

    def other(values: tuple[str, ...], v: str) -> str:
        return values[(values.index(v) + 1) % len(values)]

    return {
        "true": true,
        "wrong view": {**true, "view": [(v + 90.0) % 360.0 for v in true["view"]]},
        "wrong identity": {**true, "identity": list(np.roll(true["identity"], len(labels) // 2))},
        "wrong clothing": {**true, "clothing": [other(vocab.values("clothing"), c) for c in true["clothing"]]},
        "wrong carry": {**true, "carry": [other(vocab.values("carry"), c) for c in true["carry"]]},
        "all null": {"identity": None, "clothing": None, "carry": None, "view": None},
    }


@torch.no_grad()
def condition_losses(model: str, sil: torch.Tensor, labels: list, timesteps: list[int], seed: int) -> dict:
    """{t: {variant: mean v/eps loss}} of `model` on clips `sil` `[b, t, 64, 44]` in {0, 1}."""
    pipe = GaitCraftPipeline.from_pretrained(model)
    unet, ae, enc = pipe.unet.float().eval(), pipe.autoencoder.float().eval(), pipe.condition_encoder.float().eval()
    noise_sched = swap_scheduler(pipe.scheduler, "ddpm")  # the model's own noise schedule
    z0 = ae.encode_video(sil)  # [b, t, c, 16, 11]
    variants = wrong_labels(labels, enc.vocab)
    out = {}
    for t in timesteps:
        noise = torch.randn(z0.shape, generator=torch.Generator().manual_seed(seed + t))
        tt = torch.full((len(labels),), t)
        noisy, target = noise_sched.add_noise(z0, noise, tt), training_target(noise_sched, z0, noise, tt)
        out[t] = {}
        for name, kw in variants.items():
            cond = enc(enc.conditions(**kw, batch_size=len(labels)))
            out[t][name] = float((unet(noisy, tt, cond) - target).square().mean())
    return out


def main() -> None:
    """Score each model and write the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="procedural dataset root (its TRAIN_SET is used)")
    ap.add_argument("--model", required=True, action="append", help="generator folder (repeat to compare)")
    ap.add_argument("--clips", type=int, default=48, help="training clips scored (drawn with --seed)")
    ap.add_argument("--timesteps", default="500,800,960,999", help="diffusion timesteps to score at")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/condition_use.md"))
    args = ap.parse_args()
    timesteps = [int(t) for t in args.timesteps.split(",")]
    train = open_split(args.data, "train")
    pick = np.random.default_rng(args.seed).choice(len(train), args.clips, replace=False)
    records = [train[int(i)] for i in pick]
    clips = ClipDataset(records, frames=30, sampling="fixed_ordered", seed=args.seed)
    sil = to_model_frames(torch.stack([clips[i]["sil"] for i in range(len(records))]))  # [b, 30, 64, 44]
    labels = [r.labels for r in records]
    lines = [header("Condition use of trained generators"), "",
             f"{args.clips} training clips of 30 frames; loss = mean squared error of the model's prediction "
             "(v or epsilon, as trained); lower is better. The ratio is the wrong-condition loss over the "
             "true-condition loss: 1.00 means the model ignores that condition.", ""]
    for model in args.model:
        log(f"scoring {model}")
        res = condition_losses(model, sil, labels, timesteps, args.seed)
        lines += [f"### `{model}`", "", "| t | " + " | ".join(VARIANTS) + " |", "|---|" + "---|" * len(VARIANTS)]
        for t, row in res.items():
            cells = [f"{row['true']:.4f}"] + [f"{row[v]:.4f} ({row[v] / row['true']:.2f})" for v in VARIANTS[1:]]
            lines.append(f"| {t} | " + " | ".join(cells) + " |")
        lines.append("")
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
