"""`gaitcraft classifiers train|eval`: view / clothing / carry classifiers that score controllability."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `classifiers` with its `train` and `eval` actions."""
    from gaitcraft.arguments import add_partition_arguments

    p = sub.add_parser(name, help=summary, description=(
        "Attribute classifiers (view, clothing, carried object) on the recognizer's backbone family, trained "
        "on real data. Their accuracy on generated sequences, beside their accuracy on held-out real ones, "
        "measures how controllable a generator is."))
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = acts.add_parser("train", help="train the classifiers")
    t.add_argument("--data", required=True, help="OpenGait / GaitCraft tree")
    t.add_argument("--out", required=True, help="run folder")
    t.add_argument("--config", default="attributes_cpu_small", help="configs/recognizer/<NAME>.yaml or a file (default attributes_cpu_small)")
    add_partition_arguments(t)
    t.add_argument("--max-steps", type=int, help="stop after this many steps (default: the config's total_steps)")
    t.add_argument("--seed", type=int,
                   help="training seed: weight init, batches, frame draws (default: the config's train.seed); "
                        "rerun with other seeds into other --out folders to see how far a reseed moves the result")
    e = acts.add_parser("eval", help="evaluate the classifiers")
    e.add_argument("--data", required=True, help="OpenGait / GaitCraft tree")
    e.add_argument("--checkpoint", required=True, help="run folder")
    e.add_argument("--json", dest="json_out", help="write every number as JSON here")
    add_partition_arguments(e, training=False)
    e.add_argument("--split", choices=("test", "all"), default="test",
                   help="which subjects (default test; use all for generated data)")
    return p


def run(args) -> int:
    """Dispatch to `eval.commands`."""
    from eval.commands import classifiers_eval, classifiers_train

    if args.action == "train":
        classifiers_train(args.data, args.out, args.config, args.partition, args.max_steps,
                          allow_test_ids=args.allow_test_ids, seed=args.seed)
    else:
        classifiers_eval(args.data, args.checkpoint, args.json_out, args.partition, args.split)
    return 0
