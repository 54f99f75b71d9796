"""`gaitcraft mesh reconstruct|train`: silhouettes -> 3D (implementation in `mesh/reconstruction/`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `mesh` with its `reconstruct` and `train` actions."""
    from gaitcraft.partition import add_partition_arguments
    from mesh.reconstruction import cli

    p = sub.add_parser(name, help=summary, description=(
        "Mesh-Gait-style 3D from silhouettes: `reconstruct` writes 3D joints, meshes, heatmap and overlay GIFs "
        "(and novel views); `train` trains a reconstructor on a procedural dataset's 3D ground truth."))
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    cli.add_parser(acts, "reconstruct", "reconstruct 3D joints, meshes and heatmaps from silhouettes")
    t = acts.add_parser("train", help="train a reconstructor", description=(
        "Train a reconstructor on a procedural dataset (its groundtruth/ sidecars; the TRAIN_SET of its split) "
        "under accelerate with bf16 autocast; resumable. RUN/model is what --model takes."))
    t.add_argument("--data", required=True, help="procedural dataset root (with groundtruth/)")
    t.add_argument("--out", required=True, help="run folder")
    t.add_argument("--config", default="small",
                   help="configs/reconstruction/<NAME>.yaml or a YAML file (default small)")
    add_partition_arguments(t)
    t.add_argument("--max-steps", type=int, help="stop after this many steps (default: the config's total_steps)")
    return p


def run(args) -> int:
    """Dispatch to `mesh.reconstruction`."""
    if args.action == "reconstruct":
        from mesh.reconstruction import cli

        return cli.run(args)
    from mesh.reconstruction.train import train

    summary = train(args.config, args.data, args.out, max_steps=args.max_steps, partition=args.partition,
                    allow_test_ids=args.allow_test_ids)
    print(f"trained {summary.get('steps')} steps -> {args.out}  (use: gaitcraft mesh reconstruct --model {args.out} ...)")
    return 0
