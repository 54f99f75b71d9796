"""`gaitcraft demo`: the main job on the embedded default, end to end."""

from __future__ import annotations

import time
from pathlib import Path

from gaitcraft.paths import cache_dir

# The reference walkers: the same seeded subjects as the shipped generator's training data (procedural seed 0,
# subjects 001-030 train, 031-050 held out), one walk each at six views: enough for the privacy audit.
REF_SUBJECTS, REF_TRAIN, REF_TYPES, REF_VIEWS = 50, 30, "nm:1", "0:180:36"
#: The procedural walker the shipped generator and classifiers were trained on: the reference walkers match it.
REF_WALKER = "v1"
SYN_TYPES, SYN_VIEWS = "nm:1,bg:1,cl:1", "0:180:36"


def add_parser(sub, name: str, summary: str):
    """Register `demo`."""
    p = sub.add_parser(name, help=summary, description=(
        "Run GaitCraft's main job on the embedded default: (1) render the procedural reference walkers (cached "
        f"under $GAITCRAFT_CACHE/demo: {REF_SUBJECTS} subjects, the generator's {REF_TRAIN} training identities "
        "and the rest held out), (2) load the shipped generator, (3) generate a synthetic dataset of novel "
        f"identities ({SYN_TYPES}, views {SYN_VIEWS}), (4) audit its privacy against the training identities "
        "(dropping re-identifiable ones) and curate it, (5) write previews, the dataset card and a report, and "
        "print where everything is. Rerunning resumes: finished sequences are kept."))
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--identities", type=int, default=10, help="novel identities to generate (default 10)")
    p.add_argument("--model", help="generator folder (default: the shipped assets/models/generator)")
    p.add_argument("--frames", type=int, help="frames per sequence (default: the model's training length)")
    p.add_argument("--workers", type=int, default=2, help="rendering processes (default 2)")
    return p


def render_reference(workers: int) -> Path:
    """The cached reference walkers (rendered on first use); returns their folder."""
    from synth_datasets.procedural import build_procedural
    from synth_datasets.spec import ProceduralSpec, parse_types, parse_views

    data = cache_dir() / "demo" / "reference"
    spec = ProceduralSpec(subjects=REF_SUBJECTS, train_subjects=REF_TRAIN, types=tuple(parse_types(REF_TYPES)),
                          views=tuple(parse_views(REF_VIEWS)), frames_min=40, frames_max=50, seed=0,
                          walker=REF_WALKER)
    build_procedural(data, spec, workers=workers)
    return data


def run(args) -> int:
    """Run the steps and print the locations."""
    from diffusion import SpatioTemporalUNet
    from eval.privacy import resolve_recognizer
    from eval.synth_checks import run_checks
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.io.atomic import atomic_write_text
    from gaitcraft.io.preview import caption, write_contact_sheet
    from synth_datasets.model_info import model_dir
    from synth_datasets.spec import parse_types, parse_views
    from synth_datasets.synth_build import build_synthetic
    from synth_datasets.synth_finalize import finalize_synthetic
    from synth_datasets.synth_spec import SynthSpec

    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = model_dir(args.model)
    recognizer = resolve_recognizer(None)  # fail before any work when a shipped model is missing
    frames = args.frames or SpatioTemporalUNet.load_config(model, subfolder="unet")["num_frames"]
    spec = SynthSpec(identities=args.identities, types=tuple(parse_types(SYN_TYPES)),
                     views=tuple(parse_views(SYN_VIEWS)), frames=frames, seed=0)

    print(f"[1/5] reference walkers -> {cache_dir() / 'demo' / 'reference'}")
    reference = render_reference(args.workers)
    ref_index = DatasetIndex.open(reference)
    side = ref_index.filter(views=[72], subjects=[f"{i:03d}" for i in range(1, 9)])
    real_sheet = out / "real_walkers.png"
    write_contact_sheet(real_sheet, [r.load() for r in side], [caption(r.labels) for r in side], frames_per_row=10)

    print(f"[2/5] generator: {model}")
    print(f"[3/5] synthetic dataset: {spec.identities} novel identities x {len(spec.types)} types x "
          f"{len(spec.views)} views, {frames} frames -> {out / 'synthetic'}")
    synthetic = out / "synthetic"
    done = build_synthetic(spec, model, synthetic, batch_size=8)
    print(f"      generated {done['generated']} sequences ({done['skipped']} already done) in {done['seconds']:.0f} s")

    print(f"[4/5] privacy audit against the training identities ({recognizer}) and curation")
    checks = run_checks(synthetic, reference, recognizer, prune=0.0, drop_reidentified=True)
    if "privacy" in checks:
        p = checks["privacy"]
        print(f"      re-identification rate {p['rate']:.1f}% at FAR 1% (held-out real people: "
              f"{p.get('null_rate', float('nan')):.1f}%); dropped {len(p['dropped'])} identities")

    print("[5/5] previews, dataset card and report")
    final = finalize_synthetic(synthetic)
    report = out / "REPORT.md"
    atomic_write_text(report, "\n".join([
        "# GaitCraft demo", "",
        f"- generator: `{model}`",
        f"- synthetic dataset: `{synthetic}`: {final['sequences']} sequences of {final['subjects']} novel "
        f"identities ({final['excluded']} sequences or identities excluded); card `{final['card']}`",
        f"- privacy: see the card; histogram `{synthetic / 'previews' / 'privacy_histogram.png'}`",
        f"- reference walkers: `{reference}`; sheet `{real_sheet}`",
        f"- wall time: {time.time() - t0:.0f} s", ""]))
    print(f"\ndone in {time.time() - t0:.0f} s. Outputs:")
    print(f"  synthetic dataset (OpenGait pkl + partition + manifest): {synthetic}")
    print(f"  dataset card (counts, generator, seeds, privacy, curation): {final['card']}")
    print(f"  previews (contact sheets, GIFs, privacy histogram):     {synthetic / 'previews'}")
    print(f"  real reference walkers and their sheet:                  {reference}, {real_sheet}")
    print(f"  report:                                                  {report}")
    return 0
