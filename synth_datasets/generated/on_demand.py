"""`gaitcraft generate`: sample sequences of one training identity or of N novel identities into an OpenGait
tree with manifest.jsonl, one GIF per sequence and a contact sheet. The same arguments give identical files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conditioning.identity import IdentityRecipe
from conditioning.vocab import check_views
from diffusion.guidance import Guidance, guidance_variants
from gaitcraft.defaults import DEFAULT_GUIDANCE
from gaitcraft.errors import ConfigError
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.io.manifest import write_manifest
from gaitcraft.io.opengait_tree import write_partition
from gaitcraft.types import SequenceLabels
from synth_datasets.generated.generator import load_generator, model_dir, model_hash
from synth_datasets.generated.plan import SeqJob
from synth_datasets.generated.previews import write_previews
from synth_datasets.generated.sampling import generate_jobs
from synth_datasets.generated.store import META, read_rows, remove_stale_temps

RUN_FILE = "generate.json"


def seq_type_for(clothing: str, carry: str) -> str:
    """CASIA-B style type folder: 'cl-01' for a coat, else 'bg-01' when carrying, else 'nm-01'."""
    if clothing == "coat":
        return "cl-01"
    return "nm-01" if carry == "none" else "bg-01"


def check_out(root: Path) -> None:
    """`--out` must be new, empty, or an earlier `gaitcraft generate` output (sequences are added/replaced)."""
    if root.exists() and any(root.iterdir()) and not (root / META / RUN_FILE).is_file():
        raise ConfigError("output folder is not empty and is no earlier `gaitcraft generate` output; "
                          "choose another --out", root)


def generate(model: str | Path | None, out: str | Path, identity: str | None = None, novel: int | None = None,
             views: list[float] | None = None, clothing: str = "normal", carry: str = "none",
             frames: int | None = None, steps: int = 15, seed: int = 0, batch_size: int = 4,
             guidance: Guidance = DEFAULT_GUIDANCE, progress: bool = True) -> dict[str, Any]:
    """Generate (identity or `novel` identities) x `views` sequences; every bad value is a one-line ConfigError."""
    if (identity is None) == (novel is None):
        raise ConfigError("give exactly one of --identity ID or --novel N")
    if novel is not None and novel < 1:
        raise ConfigError(f"--novel must be at least 1, got {novel}")
    if steps < 1 or batch_size < 1:
        raise ConfigError(f"--steps and --batch must be at least 1, got {steps} and {batch_size}")
    views = [float(v) for v in (views or [90.0])]
    check_views(views)
    guidance_variants(guidance)  # unknown factor names fail here, before any work
    root = Path(out)
    check_out(root)
    folder = model_dir(model)
    pipe = load_generator(folder)
    vocab = pipe.condition_encoder.vocab
    vocab.index("clothing", [clothing])
    vocab.index("carry", [carry])
    frames = pipe.unet.config.num_frames if frames is None else int(frames)
    try:
        pipe.unet.check_frames(frames)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if identity is not None:
        vocab.index("identity", [identity])
        subjects, recipes = [identity], [IdentityRecipe("train", (identity,))]
    else:
        recipes = pipe.condition_encoder.sample_novel(novel, seed)
        subjects = [f"novel{i:03d}s{seed}" for i in range(1, novel + 1)]
    seq_type = seq_type_for(clothing, carry)
    jobs = [SeqJob(s, seq_type, v, clothing, carry, r) for s, r in zip(subjects, recipes) for v in views]
    sha = model_hash(folder)
    run = {"model": str(folder), "model_sha256": sha, "steps": steps, "guidance": guidance, "frames": frames}
    atomic_write_text(root / META / RUN_FILE, json.dumps(run, indent=1, sort_keys=True))
    remove_stale_temps(root)
    done = generate_jobs(pipe, root, jobs, lambda j: j.labels(seed, sha, extra={"steps": steps, "guidance": guidance}),
                         seed, frames, steps, guidance, batch_size, progress, overwrite=True)
    rows = read_rows(root)
    write_manifest(root, list(rows.values()))
    labels = [SequenceLabels.from_json(json.loads(r)["labels"]) for r in rows.values()]
    write_partition(root / "partition.json", sorted({lab.subject for lab in labels}), [])
    new = [lab for lab in labels if lab.key in {j.key for j in jobs}]
    previews = write_previews(root, new, gifs=None, sheet_rows=48)
    return {**done, "root": str(root), "sequences": len(jobs), "previews": previews}
