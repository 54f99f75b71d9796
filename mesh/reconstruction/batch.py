"""Reconstruct every sequence of an input path (a sequence, a video, a frame folder or a dataset) and write, per
sequence, 3D joints, meshes, heatmap and overlay GIFs and optionally novel views and an SMPL fit (what
`gaitcraft mesh reconstruct` runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gaitcraft.errors import ConfigError, DataError
from gaitcraft.types import parse_view
from mesh.camera import CASIA_B_SIDE
from mesh.reconstruction.export import MESH_FORMATS, write_reconstruction
from mesh.view_convention import sequence_tree_root, tree_camera_side


def _inputs(path: Path, limit: int | None) -> tuple[list[tuple[str, np.ndarray | None, object, float | None]], str]:
    """(relative output folder, frames or None, record or None, view label or None) per input sequence, and the
    side of the walker the input's cameras film from (what its view labels mean: `mesh.view_convention`)."""
    from gaitcraft.dataset import DatasetIndex
    from gaitcraft.io.safe_pickle import load_array_pickle

    if not path.exists():
        raise DataError("input does not exist", path)
    if path.is_file() and path.suffix == ".pkl":
        try:
            label = parse_view(path.parent.name)
        except DataError:
            label = None
        side = tree_camera_side(sequence_tree_root(path) if label is not None else None)
        return [(".", load_array_pickle(path), None, label)], side
    index = DatasetIndex.open(path)
    tree = index.kind in ("opengait", "gaitcraft", "png-tree")
    recs = index.records[:limit] if limit else index.records
    if not tree:
        return [(".", None, r, None) for r in recs], CASIA_B_SIDE
    return [("/".join(r.labels.key), None, r, r.labels.view) for r in recs], tree_camera_side(index.root)


def reconstruct_path(source: str | Path, out: str | Path, model: str | Path | None = None,
                     view: float | str | None = None, meshes: str = "ply", novel_views: bool = False,
                     heatmaps: bool = True, smpl: str | Path | None = None,
                     limit: int | None = None) -> Iterator[tuple[Path, dict]]:
    """Reconstruct every sequence of `source` and write its outputs under `out`; yields (output folder, result) as
    each sequence is written.

    `source` is one .pkl sequence, a video, a folder of frames, or a dataset (one output folder per
    <id>/<type>/<view>). `model` is a reconstructor run folder (default: the shipped model). `view` is a view
    label in degrees, 'auto' for the model's estimate, or None for the dataset's view label (else the estimate).
    Labels, given or read, mean what the input's own labels mean: a procedural tree's walker convention (its
    `dataset_spec.json`), else CASIA-B's (`mesh.view_convention`).
    `meshes` is the per-frame mesh format; `smpl` an SMPL model .npz to also fit SMPL to the joints; `limit` the
    most sequences of a dataset to reconstruct.
    """
    from mesh.reconstruction.api import load_reconstructor, reconstruct_sequence

    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1, got {limit}")
    if meshes not in MESH_FORMATS:
        raise ConfigError(f"unknown mesh format {meshes!r}; valid: {', '.join(MESH_FORMATS)}")
    if view not in (None, "auto"):
        try:
            view = float(view)
        except ValueError:
            raise ConfigError(f"view must be degrees or 'auto', got {view!r}") from None
    items, side = _inputs(Path(source), limit)
    net = load_reconstructor(model)
    smpl_body = _load_smpl(smpl) if smpl else None
    out = Path(out)
    for rel, frames, rec, label in tqdm(items, desc="reconstruct", disable=len(items) < 2):
        frames = rec.load(frame_size=None) if frames is None else frames  # any size: prepare_frames pretreats it
        fixed = None if view == "auto" else (label if view is None else view)
        try:
            result = reconstruct_sequence(net, frames, fixed, side=side, heatmaps=heatmaps,
                                          mesh=meshes != "none" or novel_views)
        except DataError as e:
            raise DataError(e.reason, rec.path if rec is not None else source) from None
        write_reconstruction(out / rel, result, meshes=meshes)
        if novel_views:
            _write_novel_views(out / rel / "novel_views.gif", result)
        if smpl_body is not None:
            _write_smpl(out / rel, result, net, smpl_body, meshes)
        yield out / rel, result


def _write_novel_views(path: Path, result: dict) -> Path:
    """A GIF of the reconstructed body at the 11 CASIA-B views, side by side (pretreated, 64 x 44 each), filmed
    from the side its input's view labels mean."""
    from gaitcraft.io.video import write_video
    from gaitcraft.pretreat import cut_width
    from mesh.reconstruction.novel_view import CASIA_B_VIEWS, render_novel_views

    views, kept = render_novel_views(result["vertices"], result["faces"], CASIA_B_VIEWS, side=result["camera_side"])
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
