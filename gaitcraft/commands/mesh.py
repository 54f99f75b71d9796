"""`gaitcraft mesh reconstruct|train|convert-smpl`: silhouettes -> 3D (implementation in `mesh/reconstruction/`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `mesh` with its `reconstruct`, `train` and `convert-smpl` actions."""
    from gaitcraft.arguments import add_partition_arguments
    from mesh.reconstruction.export import MESH_FORMATS

    p = sub.add_parser(name, help=summary, description=(
        "Mesh-Gait-style 3D from silhouettes: `reconstruct` writes 3D joints, meshes, heatmap and overlay GIFs "
        "(and novel views); `train` trains a reconstructor on a procedural dataset's 3D ground truth."))
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = acts.add_parser("reconstruct", help="reconstruct 3D joints, meshes and heatmaps from silhouettes", description=(
        "Reconstruct 3D from silhouettes: per sequence write joints.npz (body frame: root-relative, walking "
        "along -Y, Z up, metres), meshes/frame_NNNN.ply (the fitted anny body), heatmaps.gif (3D heatmaps, "
        "max-projected over three axes), overlay.gif (skeleton and mesh over the input) and, with "
        "--novel-views, novel_views.gif (the body rendered at the 11 CASIA-B views). INPUT is one .pkl "
        "sequence, a video, a folder of frames, or a dataset (one output folder per <id>/<type>/<view>)."))
    r.add_argument("--input", required=True, help="sequence (.pkl, video, frame folder) or dataset folder")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--model", default=None, help="reconstructor run folder (default: the shipped model)")
    r.add_argument("--view", default=None, help="view label in degrees, read as the input's own labels are "
                   "(a procedural tree's walker camera side, else CASIA-B's), or 'auto' for the model's "
                   "estimate (default: the dataset's view label, else auto)")
    r.add_argument("--meshes", choices=MESH_FORMATS, default="ply", help="per-frame mesh format (default ply)")
    r.add_argument("--novel-views", action="store_true", help="also render the body at the 11 CASIA-B views")
    r.add_argument("--no-heatmaps", action="store_true", help="skip the heatmap GIF")
    r.add_argument("--smpl", default=None, help="SMPL model .npz (see `gaitcraft mesh convert-smpl`): also fit "
                   "SMPL to the joints and write smpl.npz (pose, betas) and smpl_meshes/")
    r.add_argument("--limit", type=int, default=None, help="at most this many sequences of a dataset")
    t = acts.add_parser("train", help="train a reconstructor", description=(
        "Train a reconstructor on a procedural dataset (its groundtruth/ sidecars; the TRAIN_SET of its split) "
        "under accelerate with bf16 autocast; resumable. RUN/model is what --model takes."))
    t.add_argument("--data", required=True, help="procedural dataset root (with groundtruth/)")
    t.add_argument("--out", required=True, help="run folder")
    t.add_argument("--config", default="small",
                   help="configs/reconstruction/<NAME>.yaml or a YAML file (default small)")
    add_partition_arguments(t)
    t.add_argument("--max-steps", type=int, help="stop after this many steps (default: the config's total_steps)")
    c = acts.add_parser("convert-smpl", help="convert an official SMPL .pkl to the .npz that --smpl takes",
                        description="Convert an official SMPL model .pkl (Python 2 pickle with chumpy objects) to a "
                        "plain .npz, without chumpy and without running pickled code: only numpy arrays and "
                        "scipy sparse matrices are rebuilt, any other pickled global is refused.")
    c.add_argument("--input", required=True, help="official SMPL model .pkl (e.g. SMPL_NEUTRAL.pkl)")
    c.add_argument("--out", required=True, help="output .npz")
    return p


def run(args) -> int:
    """Dispatch to `mesh.reconstruction` (and `mesh.smpl_convert`)."""
    if args.action == "reconstruct":
        from mesh.reconstruction.batch import reconstruct_path

        for folder, result in reconstruct_path(args.input, args.out, args.model, args.view, args.meshes,
                                               args.novel_views, not args.no_heatmaps, args.smpl, args.limit):
            print(f"{folder}: {len(result['joints'])} frames, view {result['view_deg']:.0f} deg "
                  f"(estimated {result['view_pred_deg']:.0f})")
        return 0
    if args.action == "convert-smpl":
        from mesh.smpl_convert import convert_smpl

        print(f"wrote {convert_smpl(args.input, args.out)}")
        return 0
    from mesh.reconstruction.train import train

    summary = train(args.config, args.data, args.out, max_steps=args.max_steps, partition=args.partition,
                    allow_test_ids=args.allow_test_ids)
    print(f"trained {summary.get('steps')} steps -> {args.out}  (use: gaitcraft mesh reconstruct --model {args.out} ...)")
    return 0
