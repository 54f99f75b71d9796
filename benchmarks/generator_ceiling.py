"""What caps the generator's controllability and identity scores before the UNet does: the 30-frame clip, the
64x44 frame and the silhouette autoencoder.

The same real sequences that `generator_quality.py` mirrors (training ids' nm-01 / bg-01 / cl-01 x 11 views)
and the real held-out ones (test ids, same types) are scored by the shipped classifiers and recognizer as:

- full: the stored sequence (60-90 frames);
- clip30: its middle 30 frames, the length the generator draws;
- cut44: those 30 frames with the 10 outer columns on each side blanked (the model's 64x44 frame);
- autoencoder: cut44 encoded and decoded by the generator's autoencoder, thresholded at 0.5.

A perfect UNet can at best reach the autoencoder row, so it is the ceiling the generator's quality targets are
really measured against on this architecture.

    python benchmarks/generator_ceiling.py --model assets/models/generator --data work/data/procedural50 \\
        [--work work/bench/generator_ceiling] [--out benchmarks/results/generator_ceiling.md]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from benchmarks.generator_quality import (  # noqa: E402
    GEN_TYPES,
    REAL_PROBE_TYPES,
    check_exact_labels,
    classify,
    rows,
    scoring_parser,
    write_results,
)
from diffusion.autoencoder import SilhouetteAutoencoder  # noqa: E402
from diffusion.data import CUT, to_model_frames, to_uint8_64  # noqa: E402
from diffusion.loading import load_model  # noqa: E402
from eval.evaluation.generation_metrics import identity_retention  # noqa: E402
from eval.evaluation.privacy import resolve_recognizer  # noqa: E402
from eval.evaluation.recognizer import embed  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.io.opengait_tree import write_opengait_sequence  # noqa: E402
from gaitcraft.splits import open_split  # noqa: E402
from synth_datasets.generated.finalize import assemble  # noqa: E402
from synth_datasets.generated.store import is_done, write_row  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FRAMES = 30
VARIANTS = ("clip30", "cut44", "autoencoder")
# nm-01 is itself a probe here, so the gallery leaves it out (generator_quality.py's keeps it: its probes are generated)
GALLERY_TYPES = ("nm-02", "nm-03", "nm-04")


def middle_clip(frames: np.ndarray, n: int = FRAMES) -> np.ndarray:
    """The middle `n` frames of `[t, 64, 64]` (looped when shorter)."""
    start = max(0, (len(frames) - n) // 2)
    return frames[(start + np.arange(n)) % len(frames)]


@torch.no_grad()
def variants(frames: np.ndarray, ae: SilhouetteAutoencoder) -> dict[str, np.ndarray]:
    """{variant: uint8 0/255 `[30, 64, 64]`} of one stored sequence `[t, 64, 64]`."""
    clip = middle_clip(frames)
    cut = np.zeros_like(clip)
    cut[..., CUT:-CUT] = clip[..., CUT:-CUT]
    x = to_model_frames(clip[None])  # [1, 30, 64, 44]
    rec = to_uint8_64(ae.decode_video(ae.encode_video(x)))[0]  # [30, 64, 64]
    return {"clip30": clip, "cut44": cut, "autoencoder": rec}


def write_variants(index: DatasetIndex, ae: SilhouetteAutoencoder, work: Path, name: str) -> dict[str, DatasetIndex]:
    """Write every variant of every sequence of `index` to `work/<variant>/<name>`; resumable."""
    roots = {v: work / v / name for v in VARIANTS}
    for rec in tqdm(list(index), desc=name, unit="seq"):
        if all(is_done(r, rec.labels.key) for r in roots.values()):
            continue
        for v, arr in variants(rec.load(), ae).items():
            write_opengait_sequence(roots[v], rec.labels, arr)
            write_row(roots[v], rec.labels, len(arr))
    for r in roots.values():
        assemble(r)  # manifest.jsonl: the exact carried object, which the bg-* folder name does not say
    return {v: DatasetIndex.open(r) for v, r in roots.items()}


def main() -> int:
    ap = scoring_parser(__doc__)
    ap.add_argument("--ids", type=int, default=10, help="training identities, as in generator_quality.py")
    ap.add_argument("--work", default="work/bench/generator_ceiling")
    ap.add_argument("--out", default="benchmarks/results/generator_ceiling.md")
    args = ap.parse_args()

    work = Path(args.work)
    train, test = open_split(args.data, "train"), open_split(args.data, "test")
    ids = sorted(train.subjects)[: args.ids]
    ae = load_model(SilhouetteAutoencoder, Path(args.model) / "autoencoder", "autoencoder").eval()
    sets = {"train": train.filter(subjects=ids, seq_types=GEN_TYPES), "test": test.filter(seq_types=GEN_TYPES)}
    trees = {name: write_variants(index, ae, work, name) for name, index in sets.items()}
    check_exact_labels(*(t for v in trees.values() for t in v.values()))

    log("attribute classifiers")
    ctrl = {}
    for name, index in sets.items():
        ctrl[f"{name}/full"] = classify(Path(args.classifiers), index)
        for v in VARIANTS:
            ctrl[f"{name}/{v}"] = classify(Path(args.classifiers), trees[name][v])

    log("recognizer embeddings")
    rec = resolve_recognizer(args.recognizer)
    real_sel = train.filter(subjects=ids, seq_types=GALLERY_TYPES + REAL_PROBE_TYPES + GEN_TYPES)
    e_real = embed(rec, real_sel)
    gallery = rows(e_real, e_real.select(subjects=ids, seq_types=GALLERY_TYPES))
    probes = rows(e_real, e_real.select(subjects=ids, seq_types=REAL_PROBE_TYPES))
    full = rows(e_real, e_real.select(subjects=ids, seq_types=GEN_TYPES))
    retention = {"full": identity_retention(*full, *gallery, *probes)}
    for v in VARIANTS:
        e = embed(rec, trees["train"][v], cache=False)
        retention[v] = identity_retention(e.embeddings, e.subjects, *gallery, *probes)

    result = {"model": args.model, "training_ids": ids, "frames": FRAMES, "controllability": ctrl,
              "identity_retention": retention}
    write_results(Path(args.out), result, report)
    return 0


def report(r: dict) -> str:
    """Markdown tables of the run."""
    lines = [header("Generator ceiling: clip length, frame cut and autoencoder"), "",
             f"Model `{r['model']}`; training ids {r['training_ids'][0]}–{r['training_ids'][-1]} "
             f"({', '.join(GEN_TYPES)} x 11 views); held-out = the test split, same types.", "",
             "| sequences | form | view | clothing | carry |", "|---|---|---|---|---|"]
    for key, acc in r["controllability"].items():
        name, form = key.split("/")
        lines.append(f"| {name} | {form} | {acc['view']:.1f} | {acc['clothing']:.1f} | {acc['carry']:.1f} |")
    lines += ["", "Identity: rank-1 (%) of the training ids' nm-01 / bg-01 / cl-01 probes in each form against the "
              "real nm-02..04 gallery, and its ratio to full-length real nm-05 / bg-01 / cl-01 probes against the "
              "same gallery (the form of generator_quality.py's retention, whose gallery adds nm-01).", "",
              "| form | rank-1 | ratio |", "|---|---|---|"]
    for form, ret in r["identity_retention"].items():
        lines.append(f"| {form} | {ret['rank1_generated']:.1f} | {ret['ratio']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
