"""How much of each carried object a silhouette shows, view by view: the information ceiling of carry control.

For procedural subjects of the default dataset's recipe, one walk each is posed once and dressed four times with
the same size jitter: no bag, backpack, shoulder bag, handbag. Each is rendered in the 11 CASIA-B views with the
dataset's cameras (framed on the bare body, so a bag cannot change the scale). Per view it reports the pixels the
bag adds to the bare silhouette, as a share of the bare silhouette's area, averaged over frames, and the share of
frames where the bag adds no pixel at all. With `--data`, the same table gets the shipped carry classifier's
per-class accuracy on that dataset's real held-out walks of each view, read in the same run.

A bag that adds no pixel in a view cannot be told from no bag there, by any classifier or generator; this
bounds what the carry accuracy of generated (or real) silhouettes can reach.

    python benchmarks/carry_visibility.py [--subjects 10] [--frames 30] [--data work/data/procedural50] \\
        [--classifiers assets/models/classifiers] [--out benchmarks/results/carry_visibility.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.vocab import BAGS  # noqa: E402
from synth_datasets.procedural.build import FPS  # noqa: E402


def bag_pixels(subjects: int, frames: int, views: list[float], seed: int) -> dict[str, np.ndarray]:
    """Per bag: [subjects, views, 3] of (mean added pixels as % of the bare area, mean added pixels, % of frames
    with no added pixel)."""
    from mesh.accessories import dress
    from mesh.body_model import AnnyBody
    from mesh.gait_style import session_variation
    from mesh.render import render_dressed
    from mesh.subjects import sample_subject, subject_rng
    from mesh.walk_render import pose_walk

    body_model = AnnyBody()
    out = {b: np.zeros((subjects, len(views), 3)) for b in BAGS}
    for s in tqdm(range(subjects), desc="subjects", unit="subject"):
        recipe = sample_subject(seed, s)
        rng = subject_rng(seed, s, zlib.crc32(b"bg-01"))
        _, body = pose_walk(recipe.phenotypes, recipe.style, session_variation(recipe.style, rng), frames, body_model)
        jitter_seed = int(rng.integers(2**31))
        bare, _ = render_dressed(dress(body, body_model, "normal", "none", fps=FPS, rng=np.random.default_rng(jitter_seed)),
                                 views)  # [V, T, H, W]; same garment jitter as the bagged renders
        bare = bare > 0
        area = bare.sum((2, 3)).astype(float)  # [V, T]
        for bag in BAGS:
            dressed = dress(body, body_model, "normal", bag, fps=FPS, rng=np.random.default_rng(jitter_seed))
            masks, _ = render_dressed(dressed, views)
            added = ((masks > 0) & ~bare).sum((2, 3))  # [V, T] pixels the bag adds
            out[bag][s, :, 0] = (added / np.maximum(area, 1)).mean(1) * 100
            out[bag][s, :, 1] = added.mean(1)
            out[bag][s, :, 2] = (added == 0).mean(1) * 100
    return out


def classifier_by_view(data: str, classifiers: str, views: list[float]) -> dict[float, dict[str, float | None]]:
    """Per view: the carry classifier's per-class accuracy (%) on the real held-out bg walks of `data`."""
    from eval.evaluation.classifiers import evaluate_classifiers
    from gaitcraft.splits import open_split

    held_out = open_split(data, "test").filter(seq_types=["bg-"])
    result = {}
    for v in tqdm(views, desc="classify", unit="view"):
        carry = evaluate_classifiers(classifiers, held_out.filter(views=[v]), progress=False)["attributes"]["carry"]
        result[v] = carry["per_class"]
    return result


def main() -> None:
    """Render, measure, write the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subjects", type=int, default=10, help="procedural subjects to dress (default 10)")
    ap.add_argument("--frames", type=int, default=30, help="frames per walk (default 30)")
    ap.add_argument("--seed", type=int, default=0, help="procedural recipe seed (default 0, the default dataset's)")
    ap.add_argument("--data", default=None, help="procedural tree whose held-out bg walks the classifier reads")
    ap.add_argument("--classifiers", default="assets/models/classifiers")
    ap.add_argument("--out", default="benchmarks/results/carry_visibility.md")
    args = ap.parse_args()

    views = [float(v) for v in range(0, 181, 18)]
    log(f"dressing {args.subjects} subjects x {len(BAGS)} bags, {args.frames} frames, {len(views)} views")
    px = bag_pixels(args.subjects, args.frames, views, args.seed)
    acc = classifier_by_view(args.data, args.classifiers, views) if args.data else None

    cols = [f"{b}: added % of body / px / % of frames with none" for b in BAGS]
    if acc:
        cols += [f"classifier on real {b} (%)" for b in BAGS]
    lines = [header("Carried objects in the silhouette, by view"), "",
             f"{args.subjects} subjects, one {args.frames}-frame walk each, bare and dressed with each bag "
             "(same pose, same size jitter), 128 px renders.", "",
             "| view | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for i, v in enumerate(views):
        cells = [f"{px[b][:, i, 0].mean():.1f} / {px[b][:, i, 1].mean():.0f} / {px[b][:, i, 2].mean():.0f}" for b in BAGS]
        if acc:
            cells += ["–" if acc[v].get(b) is None else f"{acc[v][b]:.0f}" for b in BAGS]
        lines.append(f"| {v:.0f}° | " + " | ".join(cells) + " |")
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
