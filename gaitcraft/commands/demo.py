"""`gaitcraft demo`: the main job on the embedded default, end to end."""

from __future__ import annotations

import time
from pathlib import Path

from gaitcraft.paths import cache_dir

DEMO_SUBJECTS = 8
DEMO_TYPES = "nm:2,bg:1,cl:1"


def add_parser(sub, name: str, summary: str):
    """Register `demo`."""
    p = sub.add_parser(name, help=summary, description=(
        "Run GaitCraft's main job on the embedded default: render a small procedural walker set (cached "
        f"under $GAITCRAFT_CACHE/demo: {DEMO_SUBJECTS} subjects, {DEMO_TYPES}, 11 views), then write previews "
        "(contact sheets, GIFs) and a summary into --out, and print where everything is."))
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    return p


def run(args) -> int:
    """Run the steps and print the locations."""
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.info import format_info, inspect_dataset
    from gaitcraft.io.atomic import atomic_write_text
    from gaitcraft.io.preview import caption, write_contact_sheet, write_preview, write_view_type_grid
    from synth_datasets.procedural import build_procedural
    from synth_datasets.spec import ProceduralSpec, parse_types

    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = cache_dir() / "demo" / "procedural"
    spec = ProceduralSpec(subjects=DEMO_SUBJECTS, types=tuple(parse_types(DEMO_TYPES)), frames_min=50,
                          frames_max=70, seed=0)
    print(f"[1/3] procedural walkers -> {data}")
    build_procedural(data, spec, workers=args.workers)
    index = DatasetIndex.open(data)

    print("[2/3] previews")
    sheet = out / "walker_001_views_types.png"
    write_view_type_grid(sheet, index, "001", ["nm-01", "bg-01", "cl-01"])
    side = index.filter(views=[90], seq_types=["nm-01"])
    sheet_ids = out / "walkers_side_view.png"
    write_contact_sheet(sheet_ids, [r.load() for r in side], [caption(r.labels) for r in side], frames_per_row=10)
    gifs = []
    for r in index.filter(subjects=["001"], views=[90]).records:
        gif = out / f"walker_{'_'.join(r.labels.key)}.gif"
        write_preview(gif, r.load())
        gifs.append(gif)

    print("[3/3] dataset summary")
    info = format_info(inspect_dataset(data, progress=False))
    atomic_write_text(out / "dataset_info.txt", info + "\n")
    print(info)
    print(f"\ndone in {time.time() - t0:.0f} s. Outputs:")
    print(f"  dataset (OpenGait tree + manifest + card): {data}")
    print(f"  one subject, all views and types:          {sheet}")
    print(f"  all subjects at the side view:             {sheet_ids}")
    print(f"  GIFs:                                      {out}/walker_*.gif")
    print(f"  summary:                                   {out / 'dataset_info.txt'}")
    return 0
