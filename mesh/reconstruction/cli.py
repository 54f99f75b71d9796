"""`gaitcraft mesh reconstruct --input SEQ_OR_DIR --out DIR`: silhouettes -> 3D joints, meshes, heatmaps,
overlays and (optionally) novel views. The lead's CLI registers `add_parser` / `run`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gaitcraft.errors import ConfigError, DataError
from gaitcraft.types import parse_view
from mesh.reconstruction.export import MESH_FORMATS, write_reconstruction


def add_parser(sub, name: str, summary: str):
    """Register the reconstruct command."""
    p = sub.add_parser(name, help=summary, description=(
        "Reconstruct 3D from silhouettes: per sequence write joints.npz (body frame: root-relative, walking "
        "along -Y, Z up, metres), meshes/frame_NNNN.ply (the fitted anny body), heatmaps.gif (3D heatmaps, "
        "max-projected over three axes), overlay.gif (skeleton and mesh over the input) and, with "
        "--novel-views, novel_views.gif (the body rendered at the 11 CASIA-B views). INPUT is one .pkl "
        "sequence, a video, a folder of frames, or a dataset (one output folder per <id>/<type>/<view>)."))
    p.add_argument("--input", required=True, help="sequence (.pkl, video, frame folder) or dataset folder")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", default=None, help="reconstructor run folder (default: the shipped model)")
    p.add_argument("--view", default=None, help="camera azimuth in degrees, or 'auto' for the model's "
                   "estimate (default: the dataset's view label, else auto)")
    p.add_argument("--meshes", choices=MESH_FORMATS, default="ply", help="per-frame mesh format (default ply)")
    p.add_argument("--novel-views", action="store_true", help="also render the body at the 11 CASIA-B views")
    p.add_argument("--no-heatmaps", action="store_true", help="skip the heatmap GIF")
    p.add_argument("--smpl", default=None, help="SMPL model .npz (see mesh.smpl_convert): also fit SMPL to the "
                   "joints and write smpl.npz (pose, betas) and smpl_meshes/")
    p.add_argument("--limit", type=int, default=None, help="at most this many sequences of a dataset")
    return p


def _inputs(path: Path, limit: int | None) -> list[tuple[str, np.ndarray | None, object, float | None]]:
    """(relative output folder, frames or None, record or None, view label or None) per input sequence."""
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.io.safe_pickle import load_array_pickle

    if not path.exists():
        raise DataError("input does not exist", path)
    if path.is_file() and path.suffix == ".pkl":
        try:
            label = parse_view(path.parent.name)
        except DataError:
            label = None
        return [(".", load_array_pickle(path), None, label)]
    index = DatasetIndex.open(path)
    tree = index.kind in ("opengait", "gaitcraft", "png-tree")
    recs = index.records[:limit] if limit else index.records
    if not tree:
        return [(".", None, r, None) for r in recs]
    return [("/".join(r.labels.key), None, r, r.labels.view) for r in recs]


def run(args) -> int:
    """Reconstruct every input sequence and write its outputs."""
    from mesh.reconstruction.api import load_reconstructor, reconstruct_sequence

    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    fixed = None
    if args.view not in (None, "auto"):
        try:
            fixed = float(args.view)
        except ValueError:
            raise ConfigError(f"--view must be degrees or 'auto', got {args.view!r}") from None
    items = _inputs(Path(args.input), args.limit)
    model = load_reconstructor(args.model)
    smpl = _load_smpl(args.smpl) if args.smpl else None
    out = Path(args.out)
    for rel, frames, rec, label in tqdm(items, desc="reconstruct", disable=len(items) < 2):
        frames = rec.load(frame_size=None) if frames is None else frames  # any size: prepare_frames pretreats it
        view = fixed if fixed is not None else (None if args.view == "auto" else label)
        try:
            result = reconstruct_sequence(model, frames, view, heatmaps=not args.no_heatmaps,
                                          mesh=args.meshes != "none" or args.novel_views)
        except DataError as e:
            raise DataError(e.reason, rec.path if rec is not None else args.input) from None
        paths = write_reconstruction(out / rel, result, meshes=args.meshes)
        if args.novel_views:
            paths["novel_views"] = _write_novel_views(out / rel / "novel_views.gif", result)
        if smpl is not None:
            _write_smpl(out / rel, result, model, smpl, args.meshes)
        print(f"{out / rel}: {len(result['joints'])} frames, view {result['view_deg']:.0f} deg "
              f"(estimated {result['view_pred_deg']:.0f})")
    return 0


def _write_novel_views(path: Path, result: dict) -> Path:
    """A GIF of the reconstructed body at the 11 CASIA-B views, side by side (pretreated, 64 x 44 each)."""
    from gaitcraft.io.video import write_video
    from gaitcraft.pretreat import cut_width
    from mesh.reconstruction.novel_view import CASIA_B_VIEWS, render_novel_views

    views, kept = render_novel_views(result["vertices"], result["faces"], CASIA_B_VIEWS)
    t = kept.shape[1]
    tiles = np.zeros((len(views), t, 64, 44), np.uint8)
    for i, (v, k) in enumerate(zip(views, kept)):
        tiles[i, np.flatnonzero(k)] = cut_width(v)
    write_video(path, np.concatenate(list(tiles), axis=2), fps=25.0)  # [t, 64, 11 * 44]
    return path


def _load_smpl(path: str):
    """The SMPL body model, or a one-line error saying why the backend is unavailable."""
    from gaitcraft.errors import GaitCraftError
    from mesh.body_model import SmplBody

    try:
        return SmplBody(path)
    except GaitCraftError:
        raise
    except (ImportError, OSError, RuntimeError, ValueError) as e:
        raise ConfigError(f"the SMPL backend is unavailable: {type(e).__name__}: {e}", path) from None


def _write_smpl(folder: Path, result: dict, model, smpl, meshes: str) -> None:
    """Fit SMPL to the reconstructed joints; write smpl.npz and (unless --meshes none) smpl_meshes/."""
    from gaitcraft.io.atomic import atomic_save
    from mesh.body_model import SEMANTIC_JOINTS
    from mesh.reconstruction.export import write_meshes
    from mesh.reconstruction.markers import ANNY_JOINTS
    from mesh.reconstruction.smpl_fit import fit_smpl

    body = model.setup.body
    cols = {n: ANNY_JOINTS.index(body.joint_names[body.semantic_index(n)]) for n in SEMANTIC_JOINTS}
    fit = fit_smpl(smpl, result["joints"], cols)
    keep = {k: fit[k] for k in ("pose", "betas")} | {"joint_error_mm": np.float32(fit["joint_error_mm"])}
    atomic_save(folder / "smpl.npz", lambda tmp: np.savez_compressed(tmp, **keep))
    if meshes != "none":
        write_meshes(folder / "smpl_meshes", fit["vertices"], fit["faces"], meshes)
