"""Write a reconstruction to disk: joints (npz), per-frame meshes (.ply/.obj via trimesh), a heatmap
max-projection GIF and a skeleton/mesh overlay GIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from gaitcraft.errors import ConfigError
from gaitcraft.io.atomic import atomic_save
from gaitcraft.io.video import write_video
from mesh.reconstruction.geometry import view_rotation
from mesh.reconstruction.markers import SKELETON_EDGES
from mesh.reconstruction.volumes import projections

MESH_FORMATS = ("ply", "obj", "none")
PX_PER_CELL = 4  # the encoder's stride: heatmap cell i covers input pixels 4i .. 4i + 3


def write_joints(path: str | Path, rec: dict) -> None:
    """npz with joints [t, J, 3], markers [t, M, 3], pose [t, 104, 4, 4], phenotypes [6], names and view.

    The view labels' `camera_side` is stored when it is 'left' (CASIA-B's); files without it are on the
    right-side orbit, as every file was before the side was recorded. A reconstruction made from the mirrored
    sequence (`api.reconstruct_sequence`) stores `mirrored` (True) and its `notes`, if any.
    """
    arrays = {k: np.asarray(rec[k]) for k in ("joints", "markers", "pose", "phenotypes", "marker_ids")}
    arrays |= {"joint_names": np.array(rec["joint_names"]), "view_deg": np.float32(rec["view_deg"]),
               "view_pred_deg": np.float32(rec["view_pred_deg"]),
               "frame": np.array("body: root-relative, walking along -Y, Z up, metres")}
    if _side(rec) != "right":
        arrays["camera_side"] = np.array(_side(rec))
    if rec.get("mirrored"):
        arrays["mirrored"] = np.array(True)
    if rec.get("notes"):
        arrays["notes"] = np.array(rec["notes"])
    atomic_save(path, lambda tmp: np.savez_compressed(tmp, **arrays))


def _side(rec: dict) -> str:
    """The orbit side of a reconstruction's view labels (a result without one predates sides: 'right')."""
    return rec.get("camera_side", "right")


def write_meshes(folder: str | Path, vertices: np.ndarray, faces: np.ndarray, fmt: str = "ply") -> list[Path]:
    """One mesh file per frame (`frame_0000.ply`, ...) of vertices [t, V, 3] in `folder`."""
    import trimesh

    if fmt not in MESH_FORMATS[:2]:
        raise ConfigError(f"mesh format {fmt!r}; valid: {', '.join(MESH_FORMATS)}")
    paths = []
    for i, v in enumerate(vertices):
        mesh = trimesh.Trimesh(np.asarray(v, np.float64), faces, process=False)
        path = Path(folder) / f"frame_{i:04d}.{fmt}"
        atomic_save(path, lambda tmp, m=mesh: m.export(tmp, file_type=fmt))
        paths.append(path)
    return paths


def heatmap_frames(heatmaps: np.ndarray, scale: int = 6) -> np.ndarray:
    """RGB frames `[t, h, w, 3]` of the max over keypoints of body-frame volumes `[t, K, Z, Y, X]`,
    max-projected over the three axes (`volumes.projections`), in a heat colour map."""
    import matplotlib

    img = projections(np.asarray(heatmaps, np.float32).max(axis=1))  # [t, h, w]
    rgb = (matplotlib.colormaps["inferno"](np.sqrt(img))[..., :3] * 255).astype(np.uint8)
    return rgb.repeat(scale, axis=1).repeat(scale, axis=2)


def _to_pixels(points_body: np.ndarray, rec: dict) -> np.ndarray:
    """Body-frame points [t, P, 3] -> input-image pixels (x, y) [t, P, 2] through the image-aligned grid."""
    cell = rec["cells"]  # [t, K, 3] absolute heatmap positions
    size_m = rec["cell_m"] * rec["scale"]
    v = points_body @ view_rotation(rec["view_deg"], _side(rec)).T / size_m + cell[:, :1]  # [t, P, 3] cells
    h, w = rec["silhouettes"].shape[1] // PX_PER_CELL, rec["silhouettes"].shape[2] // PX_PER_CELL
    col = (v[..., 0] + (w - 1) / 2) * PX_PER_CELL + (PX_PER_CELL - 1) / 2
    row = ((h - 1) / 2 - v[..., 1]) * PX_PER_CELL + (PX_PER_CELL - 1) / 2
    return np.stack([col, row], -1)


def overlay_frames(rec: dict, scale: int = 4) -> np.ndarray:
    """RGB frames: the input silhouette with the fitted mesh (blue points) and the skeleton (lines, orange)."""
    sils = rec["silhouettes"]  # [t, 64, 44]
    t, h, w = sils.shape
    joints_px = _to_pixels(rec["joints"], rec) * scale
    verts_px = None if rec.get("vertices") is None else _to_pixels(rec["vertices"][:, ::3], rec) * scale
    frames = []
    for i in range(t):
        base = np.repeat((sils[i] // 3)[..., None], 3, -1).repeat(scale, 0).repeat(scale, 1)  # dim grey
        if verts_px is not None:
            px = np.round(verts_px[i]).astype(int)
            ok = (px[:, 0] >= 0) & (px[:, 0] < w * scale) & (px[:, 1] >= 0) & (px[:, 1] < h * scale)
            base[px[ok, 1], px[ok, 0]] = (70, 140, 255)
        img = Image.fromarray(base)
        draw = ImageDraw.Draw(img)
        for a, b in SKELETON_EDGES:
            draw.line([tuple(joints_px[i, a]), tuple(joints_px[i, b])], fill=(255, 150, 0), width=3)
        frames.append(np.asarray(img))
    return np.stack(frames)


def write_reconstruction(out_dir: str | Path, rec: dict, *, meshes: str = "ply", fps: float = 25.0) -> dict:
    """Write every output of `reconstruct_sequence` (`rec`, plus `cell_m`) to `out_dir`; returns the paths."""
    if meshes not in MESH_FORMATS:
        raise ConfigError(f"mesh format {meshes!r}; valid: {', '.join(MESH_FORMATS)}")
    out = Path(out_dir)
    paths: dict = {"joints": out / "joints.npz"}
    write_joints(paths["joints"], rec)
    if meshes != "none" and rec.get("vertices") is not None:
        paths["meshes"] = write_meshes(out / "meshes", rec["vertices"], rec["faces"], meshes)
    if rec.get("heatmaps") is not None:
        paths["heatmaps"] = out / "heatmaps.gif"
        write_video(paths["heatmaps"], heatmap_frames(rec["heatmaps"]), fps=fps)
    paths["overlay"] = out / "overlay.gif"
    write_video(paths["overlay"], overlay_frames(rec), fps=fps)
    return paths
