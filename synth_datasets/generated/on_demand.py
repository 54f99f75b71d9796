"""`gaitcraft generate`: sample sequences of one training identity or of N novel identities into an OpenGait
tree with manifest.jsonl, one GIF per sequence and a contact sheet. The same arguments give identical files.

Subject ids carry a prefix that no real dataset uses ('gen001' for training identity '001', 'novel001s0' for
novel ones), recorded as `provenance.subject_prefix`, so a generated tree merges with real ones without id
clashes. A sequence already in `--out` is never replaced unless asked (`overwrite`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conditioning.identity import IdentityRecipe
from conditioning.vocab import check_views
from diffusion.guidance import Guidance, guidance_variants
from gaitcraft.defaults import DEFAULT_GUIDANCE
from gaitcraft.errors import ConfigError
from gaitcraft.factors import factor, factors
from gaitcraft.io.atomic import atomic_write_text, remove_stale_temps
from gaitcraft.io.manifest import manifest_row, write_manifest
from gaitcraft.io.opengait_tree import write_partition
from gaitcraft.types import SequenceLabels
from gaitcraft.vocab import casia_b_condition, check_condition_name, condition_name, model_value
from synth_datasets.generated.generator import load_generator, model_dir, model_hash
from synth_datasets.generated.plan import SeqJob
from synth_datasets.generated.previews import write_previews
from synth_datasets.generated.sampling import generate_jobs
from synth_datasets.generated.store import META, pkl_path, read_rows

RUN_FILE = "generate.json"
#: Subject-id prefixes of generated sequences: training identity '001' -> 'gen001'; novel ones -> 'novel001s0'.
TRAINED_PREFIX, NOVEL_PREFIX = "gen", "novel"


def seq_type_for(conditions: dict[str, str]) -> str:
    """CASIA-B style type folder of `{factor: value}`: 'cl-01' for a coat, else 'bg-01' when carrying, else 'nm-01'."""
    return f"{condition_name(conditions)}-01"


def model_values(known: dict[str, tuple[str, ...]], condition: str | None, asked: dict[str, str | None]
                 ) -> dict[str, str]:
    """The categorical values {factor: value} to generate, for a model knowing `known` ({factor: values}): the
    CASIA-B `condition` ('nm', 'bg', 'cl') when given, with each value of `asked` that is not None in place of
    its factor's (a value, or its CASIA-B name: `cl`, `bg`), and each factor's default for the rest. Values the
    model does not know, and asked values that contradict `condition`, are one-line `ConfigError`s."""
    base = casia_b_condition(condition, known) if condition is not None else {
        f.name: f.default for f in factors("categorical")}
    given = {name: model_value(name, value, known) for name, value in asked.items() if value is not None}
    values = {name: given.get(name) or model_value(name, base[name], known) for name in base}
    if condition is not None and condition_name(values) != condition:
        shown = ", ".join(f"{k} {v}" for k, v in given.items())
        raise ConfigError(f"condition {condition!r} contradicts {shown} (that is CASIA-B {condition_name(values)!r}); "
                          "give the condition or the values, not both")
    return values


def check_out(root: Path) -> None:
    """`--out` must be new, empty, or an earlier `gaitcraft generate` output (sequences are added to it)."""
    if root.exists() and any(root.iterdir()) and not (root / META / RUN_FILE).is_file():
        raise ConfigError("output folder is not empty and is no earlier `gaitcraft generate` output; "
                          "choose another --out", root)


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Which fields of two manifest rows differ: label names, 'provenance.<key>' and 'frames'."""
    a, b = old["labels"], new["labels"]
    out = [k for k in sorted(set(a) | set(b)) if k != "provenance" and a.get(k) != b.get(k)]
    pa, pb = a.get("provenance") or {}, b.get("provenance") or {}
    out += [f"provenance.{k}" for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)]
    return out + (["frames"] if old.get("frames") != new.get("frames") else [])


def check_conflicts(root: Path, wanted: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    """Refuse (one-line ConfigError naming the first file) when `root` already holds one of the `wanted`
    sequences (key -> the manifest row it would get) made with other labels, settings or frame count."""
    rows = read_rows(root)
    clashes = [(k, _differences(json.loads(rows[k]), row)) for k, row in wanted.items() if k in rows]
    clashes = [(k, diff) for k, diff in clashes if diff]
    if clashes:
        key, diff = clashes[0]
        more = f" ({len(clashes) - 1} more sequences likewise)" if len(clashes) > 1 else ""
        raise ConfigError(f"already holds this sequence generated with other settings (differs in "
                          f"{', '.join(diff)}){more}; pass --overwrite to replace it, or choose another --out",
                          pkl_path(root, key))


def generate(model: str | Path | None, out: str | Path, identity: str | None = None, novel: int | None = None,
             views: list[float] | None = None, frames: int | None = None, steps: int = 15, seed: int = 0,
             batch_size: int = 4, guidance: Guidance = DEFAULT_GUIDANCE, progress: bool = True,
             overwrite: bool = False, condition: str | None = None, **conditions: str | None) -> dict[str, Any]:
    """Generate (identity or `novel` identities) x `views` sequences; every bad value is a one-line ConfigError.
    `conditions` gives each categorical factor's value (`clothing='coat'`, `carry='backpack'`, or CASIA-B's
    names `clothing='cl'`, `carry='bg'`; left out or None: the factor's default), and `condition` CASIA-B's name
    of them all ('nm', 'bg', 'cl'), mapped to the model's vocabulary (`model_values`). Sequences already in `out`
    with the same settings are kept as they are (same bytes); one made with other settings is an error unless
    `overwrite`."""
    categorical = factors("categorical")
    if unknown := sorted(set(conditions) - {f.name for f in categorical}):
        raise ConfigError(f"unknown conditions {unknown}; valid: {', '.join(f.name for f in categorical)}")
    if condition is not None:
        check_condition_name(condition)  # before loading the model
    if (identity is None) == (novel is None):
        raise ConfigError("give exactly one of --identity ID or --novel N")
    if novel is not None and novel < 1:
        raise ConfigError(f"--novel must be at least 1, got {novel}")
    if steps < 1 or batch_size < 1:
        raise ConfigError(f"--steps and --batch must be at least 1, got {steps} and {batch_size}")
    views = [float(v) for v in (views or [factor("view").default])]
    check_views(views)
    guidance_variants(guidance)  # unknown factor names fail here, before any work
    root = Path(out)
    check_out(root)
    folder = model_dir(model)
    pipe = load_generator(folder)
    vocab = pipe.condition_encoder.vocab
    conditions = model_values({f.name: vocab.values(f.name) for f in categorical}, condition, conditions)
    frames = pipe.unet.config.num_frames if frames is None else int(frames)
    try:
        pipe.unet.check_frames(frames)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if identity is not None:
        vocab.index("identity", [identity])
        prefix = TRAINED_PREFIX
        subjects, recipes = [f"{prefix}{identity}"], [IdentityRecipe("train", (identity,))]
    else:
        prefix = NOVEL_PREFIX
        recipes = pipe.condition_encoder.sample_novel(novel, seed)
        subjects = [f"{prefix}{i:03d}s{seed}" for i in range(1, novel + 1)]
    seq_type = seq_type_for(conditions)
    seed_subjects = [identity] if identity is not None else subjects  # the prefix leaves the walk unchanged
    jobs = [SeqJob(s, seq_type, v, r, conditions, seed_subject=ss)
            for s, r, ss in zip(subjects, recipes, seed_subjects) for v in views]
    sha = model_hash(folder)
    extra = {"steps": steps, "guidance": guidance, "subject_prefix": prefix}

    def labels_of(job: SeqJob) -> SequenceLabels:
        return job.labels(seed, sha, extra=extra)

    if not overwrite:
        check_conflicts(root, {j.key: json.loads(manifest_row(labels_of(j), frames)) for j in jobs})
    run = {"model": str(folder), "model_sha256": sha, "steps": steps, "guidance": guidance, "frames": frames}
    atomic_write_text(root / META / RUN_FILE, json.dumps(run, indent=1, sort_keys=True))
    remove_stale_temps(root)
    done = generate_jobs(pipe, root, jobs, labels_of, seed, frames, steps, guidance, batch_size, progress,
                         overwrite=overwrite)
    rows = read_rows(root)
    write_manifest(root, list(rows.values()))
    labels = [SequenceLabels.from_json(json.loads(r)["labels"]) for r in rows.values()]
    write_partition(root / "partition.json", sorted({lab.subject for lab in labels}), [])
    # the sheet and GIFs cover every sequence in the folder, so earlier runs' previews are not lost
    previews = write_previews(root, labels, gifs=None, sheet_rows=48)
    return {**done, "root": str(root), "sequences": len(jobs), "previews": previews}
