"""`gaitcraft demo`: the main job on the embedded default, end to end."""

from __future__ import annotations

import time
from pathlib import Path

from gaitcraft.paths import CACHE_RULE, REPO_ROOT, cache_dir

# The reference walkers: the same seeded subjects as the shipped generator's training data (procedural seed 0,
# subjects 001-030 train, 031-050 held out), one walk each at six views: enough for the privacy audit.
REF_SUBJECTS, REF_TRAIN, REF_TYPES, REF_VIEWS = 50, 30, "nm:1", "0:180:36"
#: The procedural walker the shipped generator and classifiers were trained on: the reference walkers match it.
REF_WALKER = "v2"
SYN_TYPES, SYN_VIEWS = "nm:1,bg:1,cl:1", "0:180:36"
BATCH = 8  # sequences per generator forward pass
CLASSIFIERS = REPO_ROOT / "assets" / "models" / "classifiers"  # shipped view/clothing/carry classifiers


def add_parser(sub, name: str, summary: str):
    """Register `demo`."""
    p = sub.add_parser(name, help=summary, description=(
        "Run GaitCraft's main job on the embedded default: (1) render the procedural reference walkers (cached "
        f"in demo/ of the cache folder, {CACHE_RULE}: {REF_SUBJECTS} subjects, the generator's {REF_TRAIN} "
        "training identities and the rest held out), (2) load the shipped generator, (3) generate a synthetic "
        f"dataset of novel identities ({SYN_TYPES}, views {SYN_VIEWS}), (4) audit its privacy against the training identities "
        "(dropping re-identifiable ones) and curate it, write previews and the dataset card, (5) score its "
        "controllability with the shipped view/clothing/carry classifiers, (6) write OUT/REPORT.md (parameters, "
        "figures, timings, plots, previews) and print where everything is. Every run's report is also kept as "
        "OUT/reports/REPORT-<time>.md, so a rerun never loses the last one. Rerunning resumes: finished sequences "
        "are kept."))
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--identities", type=int, default=10, help="novel identities to generate (default 10)")
    p.add_argument("--model", help="generator folder (default: the shipped assets/models/generator)")
    p.add_argument("--frames", type=int, help="frames per sequence (default: the model's training length)")
    p.add_argument("--workers", type=int, default=2, help="rendering processes (default 2)")
    return p


def render_reference(workers: int) -> Path:
    """The cached reference walkers (rendered on first use); returns their folder."""
    from synth_datasets.grid import parse_types, parse_views
    from synth_datasets.procedural.build import build_procedural
    from synth_datasets.procedural.spec import ProceduralSpec

    data = cache_dir() / "demo" / "reference"
    spec = ProceduralSpec(subjects=REF_SUBJECTS, train_subjects=REF_TRAIN, types=tuple(parse_types(REF_TYPES)),
                          views=tuple(parse_views(REF_VIEWS)), frames_min=40, frames_max=50, seed=0,
                          walker=REF_WALKER)
    build_procedural(data, spec, workers=workers)
    return data


def controllability(synthetic: Path) -> dict | None:
    """The shipped view/clothing/carry classifiers' accuracy on the synthetic set (None when not shipped)."""
    from eval.evaluation.classifiers import evaluate_classifiers
    from gaitcraft.dataset import DatasetIndex

    if not (CLASSIFIERS / "model.safetensors").is_file():
        return None
    return evaluate_classifiers(CLASSIFIERS, DatasetIndex.open(synthetic))


def run(args) -> int:
    """Run the steps, write the report and print the locations."""
    from diffusion import SpatioTemporalUNet
    from eval.evaluation.privacy import resolve_recognizer
    from eval.evaluation.synthetic_checks import dataset_checks
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.demo_report import ARCHIVE, write_report
    from gaitcraft.io.preview import caption, write_contact_sheet
    from synth_datasets.generated.build import build
    from synth_datasets.generated.generator import model_dir, model_hash
    from synth_datasets.generated.previews import pick_previews
    from synth_datasets.generated.spec import GeneratedSpec
    from synth_datasets.generated.store import read_checks
    from synth_datasets.grid import parse_types, parse_views

    started, t0 = time.time(), time.perf_counter()
    seconds: dict[str, float] = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = model_dir(args.model)
    recognizer = resolve_recognizer(None)  # fail before any work when a shipped model is missing
    frames = args.frames or SpatioTemporalUNet.load_config(model, subfolder="unet")["num_frames"]
    spec = GeneratedSpec(identities=args.identities, types=tuple(parse_types(SYN_TYPES)),
                         views=tuple(parse_views(SYN_VIEWS)), frames=frames, seed=0)

    print(f"[1/5] reference walkers -> {cache_dir() / 'demo' / 'reference'}")
    reference = render_reference(args.workers)
    ref_index = DatasetIndex.open(reference)
    by_key = {r.labels.key: r for r in ref_index}
    side = [by_key[lab.key] for lab in pick_previews([r.labels for r in ref_index], per_subject=1, subjects=8)]
    real_sheet = out / "real_walkers.png"
    write_contact_sheet(real_sheet, [r.load() for r in side], [caption(r.labels) for r in side], frames_per_row=10)
    checks = dataset_checks(reference, recognizer, prune=0.0, drop_reidentified=True)
    seconds["reference"] = time.perf_counter() - t0

    print(f"[2/5] generator: {model}")
    print(f"[3/5] synthetic dataset: {spec.identities} novel identities x {len(spec.types)} types x "
          f"{len(spec.views)} views, {frames} frames -> {out / 'synthetic'}; privacy audit against the training "
          "identities (re-identifiable ones dropped) and curation")
    synthetic = out / "synthetic"
    built = build(spec, model, synthetic, batch_size=BATCH, checks=checks, log=lambda line: print(f"      {line}"))
    final, done = built["dataset"], built["generation"]
    seconds.update(built["seconds"])

    print(f"[4/5] controllability: the shipped view/clothing/carry classifiers on {synthetic}")
    t1 = time.perf_counter()
    ctrl = controllability(synthetic)
    seconds["controllability"] = time.perf_counter() - t1
    if ctrl:
        print("      " + ", ".join(f"{a} {v['accuracy']:.1f}%" for a, v in ctrl["attributes"].items()))

    print("[5/5] report")
    recorded = read_checks(synthetic)
    seconds["total"] = time.perf_counter() - t0
    command = f"gaitcraft demo --out {args.out} --identities {args.identities} --workers {args.workers}"
    command += "".join(f" --{k} {v}" for k, v in (("model", args.model), ("frames", args.frames)) if v is not None)
    facts = {
        "started_text": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "reports": out / ARCHIVE,
        "parameters": {
            "command": command, "model": str(model), "model_sha256": model_hash(model), "spec": done["spec"].to_json(),
            "batch": BATCH, "recognizer": str(recognizer), "cache": str(cache_dir()),
            "classifiers": str(CLASSIFIERS) if ctrl else None,
            "reference": {"path": str(reference), "subjects": REF_SUBJECTS, "train": REF_TRAIN, "seed": 0,
                          "types": parse_types(REF_TYPES), "views": parse_views(REF_VIEWS)}},
        "counts": {"generated": done["generated"], "skipped": done["skipped"], "sequences": final["sequences"],
                   "subjects": final["subjects"], "excluded": final["excluded"]},
        "privacy": recorded.get("privacy"), "curation": recorded.get("curation"), "controllability": ctrl,
        "seconds": seconds,
        "figures": {"Privacy: each novel identity's distance to its nearest training identity":
                    synthetic / "previews" / "privacy_histogram.png",
                    "Synthetic walkers (contact sheet)": synthetic / final["previews"]["sheet"][0]
                    if final["previews"]["sheet"] else synthetic / "previews" / "contact_sheet.png",
                    "Reference walkers (procedural, the generator's training people and held-out ones)": real_sheet},
        "previews": [synthetic / g for g in final["previews"]["gifs"]],
        "outputs": {"dataset": synthetic, "card": final["card"], "reference": str(reference)},
    }
    report, kept = write_report(out, facts, started)
    print(f"\ndone in {time.perf_counter() - t0:.0f} s. Outputs:")
    print(f"  synthetic dataset (OpenGait pkl + partition + manifest): {synthetic}")
    print(f"  dataset card (counts, generator, seeds, privacy, curation): {final['card']}")
    print(f"  previews (contact sheets, GIFs, privacy histogram):     {synthetic / 'previews'}")
    print(f"  real reference walkers and their sheet:                  {reference}, {real_sheet}")
    print(f"  report (parameters, figures, timings, plots):            {report} (kept as {kept})")
    return 0
