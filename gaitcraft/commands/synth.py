"""`gaitcraft synth`: a synthetic gait dataset at scale from a trained generator (implementation in
`synth_datasets/generated/build.py`; the privacy audit and curation it runs are `eval/evaluation/synthetic_checks.py`'s)."""

from __future__ import annotations

from gaitcraft.defaults import DEFAULT_GUIDANCE, DEFAULT_NOVEL_METHOD, NOVEL_METHODS, parse_guidance

#: flag name -> spec key
SPEC_FLAGS = {"identities": "identities", "types": "types", "views": "views", "frames": "frames", "seed": "seed",
              "steps": "steps", "guidance": "guidance", "bag": "bag", "method": "method", "margin": "margin",
              "separation": "separation", "prefix": "prefix"}


def add_parser(sub, name: str, summary: str):
    """Register `synth`."""
    from gaitcraft.arguments import add_frames_limit_argument

    p = sub.add_parser(name, help=summary, description=(
        "Generate N novel identities x sequence types x views from a trained generator into an OpenGait tree "
        "with manifest.jsonl (labels + provenance: model sha256, seeds, identity recipe), partition.json (all "
        "ids in TRAIN_SET), previews/ and a dataset card README.md. Batched; each sequence has its own "
        "generator seeded from (seed, id, type, view). Under `accelerate launch -m gaitcraft.cli synth ...` "
        "process r writes every world-th sequence. RESUME: rerunning the same command on a partial --out "
        "skips finished sequences and gives the files of an uninterrupted run (same --batch, machine and threads); "
        "an --out holding another spec or model is refused. With --reference, the privacy audit runs: each "
        "novel identity against the generator's training identities (the gallery), at the recognizer's FAR=1% "
        "threshold set on held-out real identities. --reference RUN (the generator's run or model folder) takes "
        "the tree, training identities and held-out identities the generator recorded when it was trained; "
        "--reference TREE takes the TRAIN_SET / TEST_SET of --reference-partition or of the tree's partition.json. "
        "--drop-reidentified removes identities under the threshold and --prune F the least informative "
        "fraction (redundancy + recognizer uncertainty). The card records both."))
    p.add_argument("--spec", help="YAML/JSON spec file (keys: " + ", ".join(SPEC_FLAGS.values()) + "); flags win")
    p.add_argument("--model", help="model folder (default: the shipped assets/models/generator)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--identities", type=int, help="number of novel identities (default 10)")
    p.add_argument("--types", help="sequence types per identity, e.g. nm:2,bg:1,cl:1 (the default)")
    p.add_argument("--views", help="views: '0:180:18' or casia-b (CASIA-B's 11 views, the default), or '0,90'")
    p.add_argument("--frames", type=int, help="frames per sequence (default 30)")
    p.add_argument("--seed", type=int, help="master seed (default 0)")
    p.add_argument("--steps", type=int, help="sampler steps (default 15)")
    p.add_argument("--guidance", type=parse_guidance,
                   help=f"classifier-free guidance: one scale (default {DEFAULT_GUIDANCE:g}) or per factor, e.g. "
                        "identity=8,view=4,carry=6 (factors left out get 1), or a joint base with factors set apart, e.g. "
                        "all=4,identity=8; add rescale=0.7 to temper large scales (diffusers guidance rescale)")
    p.add_argument("--bag", help="carry value of bg types, or several comma-separated, cycled over identities (default auto: every "
                   "one of shoulder_bag, backpack, handbag the model knows, else bag)")
    p.add_argument("--method", help="novel-identity sampling: " + "; ".join(
        f"{m}{' (default)' if m == DEFAULT_NOVEL_METHOD else ''}: {d}" for m, d in NOVEL_METHODS.items()))
    p.add_argument("--margin", type=float, help="min distance to training identities, x median NN distance (default 0.5)")
    p.add_argument("--separation", type=float, help="min distance between novel identities, same unit (default 0)")
    p.add_argument("--prefix", help="subject id prefix (default syn -> syn0001)")
    p.add_argument("--batch", type=int, default=4, help="sequences per forward pass (default 4; does not change "
                                                        "the output for a given --batch)")
    p.add_argument("--reference", metavar="RUN|TREE",
                   help="what the privacy audit compares with: the generator's run or model folder (its recorded "
                        "training tree and split), or a real tree (the generator's training data)")
    p.add_argument("--reference-partition", metavar="FILE|NAME",
                   help="split of a --reference TREE: an OpenGait partition JSON or casia-b / oumvlp (default: "
                        "the tree's partition.json; with none, the whole tree is gallery and threshold set)")
    p.add_argument("--recognizer", help="recognizer run folder (default: assets/models/recognizer)")
    add_frames_limit_argument(p, "the privacy audit and curation")
    p.add_argument("--drop-reidentified", action="store_true", help="drop identities under the FAR=1%% threshold")
    p.add_argument("--prune", type=float, nargs="?", const=0.2, default=None, metavar="F",
                   help="prune the least informative fraction F of sequences (default 0.2 when given), ranked by "
                        "embedding redundancy plus recognizer uncertainty. Caution: on one measured seed, pruning "
                        "0.2 cut the augmentation gain from +4.0 to +1.5 (it removed most cl walks); see BENCHMARKS.md")
    return p


def spec_from_args(args):
    """The `GeneratedSpec` of a spec file overridden by flags."""
    from synth_datasets.generated.spec import GeneratedSpec, read_spec_file

    raw = read_spec_file(args.spec) if args.spec else {}
    raw.update({key: getattr(args, flag) for flag, key in SPEC_FLAGS.items() if getattr(args, flag) is not None})
    return GeneratedSpec.from_json(raw, where=args.spec or "flags")


def run(args) -> int:
    """Check, then generate, audit/curate and finalize (`synth_datasets.generated.build.build`)."""
    from gaitcraft.arguments import require_at_least_one
    from gaitcraft.errors import ConfigError
    from synth_datasets.generated.build import build

    require_at_least_one(args, "frames_limit")
    spec = spec_from_args(args)
    checks = None
    if args.reference is not None or args.prune is not None or args.recognizer is not None:
        from eval.evaluation.synthetic_checks import dataset_checks

        checks = dataset_checks(args.reference, args.recognizer, args.prune or 0.0, args.drop_reidentified,
                                partition=args.reference_partition, frames_limit=args.frames_limit)
    elif args.frames_limit is not None:
        raise ConfigError("--frames-limit sets what the recognizer reads in the privacy audit and curation: give "
                          "--reference, --recognizer or --prune with it")
    build(spec, args.model, args.out, args.batch, checks=checks)
    return 0
