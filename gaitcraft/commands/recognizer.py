"""`gaitcraft recognizer train|eval`: the GaitBase-compatible recognizer (implementation in `eval/`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `recognizer` with its `train` and `eval` actions."""
    from gaitcraft.arguments import add_partition_arguments

    p = sub.add_parser(name, help=summary, description=(
        "Train and evaluate a GaitBase-compatible recognizer (OpenGait parameter names, so OpenGait GaitBase "
        "checkpoints load for evaluation). Training uses TRAIN_SET of the split (--partition, or <data>/partition.json; "
        "a tree with neither is refused), "
        "P×K sampling with 30-frame clips, triplet + CE losses, bf16 autocast on CPU, atomic resumable checkpoints. "
        "Evaluation uses TEST_SET and the CASIA-B protocol (gallery nm-01..04; probes NM/BG/CL; identical views "
        "excluded) or the generic one (rank-1/5/10, mAP, mINP, EER, TAR@FAR=1%)."))
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = acts.add_parser("train", help="train a recognizer", description="Train (resumes RUN if it exists).")
    t.add_argument("--data", required=True, help="OpenGait / GaitCraft tree")
    t.add_argument("--out", required=True, help="run folder (checkpoints, model.safetensors, meta.json)")
    t.add_argument("--config", default=None,
                   help="a config NAME from configs/ or a YAML file, of kind recognizer (default gaitbase_cpu_small; "
                        "gaitbase_casiab = OpenGait's recipe) or, with --reconstructor, fused_recognizer "
                        "(default fused_small)")
    add_partition_arguments(t)
    t.add_argument("--max-steps", type=int, help="stop after this many steps (the schedule is unchanged)")
    t.add_argument("--reconstructor", metavar="RUN",
                   help="train the fused recognizer (silhouette + 3D-heatmap branches, Mesh-Gait style) on this "
                        "reconstructor's 3D keypoints, e.g. assets/models/reconstructor; eval detects fused runs")
    t.add_argument("--seed", type=int,
                   help="training seed: weight init, batches, frame draws (default: the config's train.seed); "
                        "rerun with other seeds into other --out folders to see how far a reseed moves the result")
    e = acts.add_parser("eval", help="evaluate a recognizer", description="Print the protocol table; --json writes it.")
    e.add_argument("--data", required=True, help="OpenGait / GaitCraft tree")
    e.add_argument("--checkpoint", required=True, help="run folder, or an OpenGait GaitBase .pt checkpoint")
    e.add_argument("--protocol", choices=("casia-b", "generic"), default="casia-b", help="evaluation protocol")
    e.add_argument("--json", dest="json_out", help="write every number as JSON here")
    add_partition_arguments(e, training=False)
    e.add_argument("--split", choices=("test", "all"), default="test", help="which subjects: test (TEST_SET of the split) or all (every sequence; no split needed) (default test)")
    return p


def run(args) -> int:
    """Dispatch to `eval.commands`."""
    from eval.commands import recognizer_eval, recognizer_train

    if args.action == "train":
        recognizer_train(args.data, args.out, args.config, args.partition, args.max_steps,
                         reconstructor=args.reconstructor, allow_test_ids=args.allow_test_ids, seed=args.seed)
    else:
        recognizer_eval(args.data, args.checkpoint, args.protocol, args.json_out, args.partition, args.split)
    return 0
