"""The procedural dataset: anny bodies driven by retargeted CMU mocap, dressed, rendered in every view and
pretreated exactly like real data. It is GaitCraft's embedded default and the test oracle.

One unit of work is a (subject, sequence type) walk, rendered from all views at once, as CASIA-B's 11 cameras
film one walk. A unit is finished when its ground-truth sidecar exists: the sidecar is written last, atomically,
after every view's pkl, so a killed run redoes at most the units in flight.
"""

from __future__ import annotations

import json
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gaitcraft.io.atomic import atomic_save, atomic_write_text
from gaitcraft.io.manifest import manifest_row, write_manifest
from gaitcraft.io.opengait_tree import write_opengait_sequence, write_partition
from gaitcraft.io.safe_pickle import load_array_pickle
from gaitcraft.pretreat import binarize, pretreat_frame
from gaitcraft.types import SequenceLabels
from mesh.body_model import shared_anny_body
from mesh.motion import WALK_FPS
from mesh.subjects import SubjectRecipe, recipe_hash, sample_subject, subject_rng
from mesh.walk_render import film_walk, filmed_frames
from synth_datasets.card import write_card
from synth_datasets.procedural.spec import SPEC_FILE, ProceduralSpec, check_output_spec

GT_DIR = "groundtruth"  # at the root, so OpenGait (which only reads listed subject folders) ignores it
FPS = WALK_FPS
SOURCE = "procedural"
NOISE_SALT = zlib.crc32(b"segmentation-noise")  # keeps the noise's random stream apart from the walk's


@dataclass
class RenderedWalk:
    """One walk in every view: pretreated frames per view and its ground truth."""

    frames: list[np.ndarray]  # per view: uint8 [t_v, 64, 64], 0/255
    ground_truth: dict[str, np.ndarray]


def conditions_for(recipe: SubjectRecipe, seq_type: str) -> tuple[str, str]:
    """(clothing, carry) of a sequence type for this subject (the exact bag for `bg`)."""
    prefix = seq_type.split("-")[0]
    if prefix == "cl":
        return "coat", "none"
    if prefix == "bg":
        return "normal", recipe.bag_for(seq_type)
    return "normal", "none"


def render_walk(recipe: SubjectRecipe, seq_type: str, spec: ProceduralSpec, index: int) -> RenderedWalk:
    """Animate, pose, dress and render one (subject, type) walk in all of `spec.views` (`mesh.walk_render`), then
    pretreat."""
    from mesh.gait_style import session_variation
    from mesh.segmentation_noise import add_view_noise

    rng = subject_rng(spec.seed, index, zlib.crc32(seq_type.encode()))
    session = session_variation(recipe.style, rng)
    n_frames = int(rng.integers(spec.frames_min, spec.frames_max + 1))
    n_frames = filmed_frames(recipe, recipe.style, session, n_frames)  # a still camera films a stretch
    clothing, carry = conditions_for(recipe, seq_type)
    walk = film_walk(recipe, recipe.style, session, n_frames, clothing, carry, spec.views, rng,
                     elevation_deg=spec.elevation)
    body, cams = walk.body, walk.cameras
    masks, noise = add_view_noise(walk.masks, spec.views, spec.noise, (spec.seed, index, zlib.crc32(seq_type.encode()),
                                                                  NOISE_SALT))  # before pretreatment, as real
    per_view, kept = [], np.zeros(masks.shape[:2], bool)
    for v in range(masks.shape[0]):
        frames = [pretreat_frame(m) for m in masks[v]]
        kept[v] = [f is not None for f in frames]
        per_view.append(binarize(np.stack([f for f in frames if f is not None])) if kept[v].any()
                        else np.zeros((0, 64, 64), np.uint8))
    gt = walk.motion.ground_truth()
    gt.update({
        "joints": body.joints.numpy().astype(np.float32),  # [T, 104, 3] world bone heads
        "phenotypes": np.array([recipe.phenotypes[k] for k in sorted(recipe.phenotypes)], np.float32),
        "phenotype_names": np.array(sorted(recipe.phenotypes)),
        "views": np.asarray(spec.views, np.float32),
        "cam_K": cams.K.astype(np.float32), "cam_R": cams.R.astype(np.float32), "cam_t": cams.t.astype(np.float32),
        "image_size": np.array([cams.height, cams.width]),
        **({} if cams.zoom is None else {"cam_zoom": cams.zoom.astype(np.float32)}),  # [V, T] static cameras
        "kept": kept,  # [V, T] frames that survived pretreatment
        "recipe": np.array(json.dumps(recipe.to_json(), sort_keys=True)),
        "session": np.array(json.dumps(session.to_dict(), sort_keys=True)),
        "clothing": np.array(clothing), "carry": np.array(carry),
    })
    if spec.noise != "clean":  # clean datasets keep the sidecar they had before noise existed
        gt["segmentation_noise"] = np.array(json.dumps([n.to_dict() for n in noise], sort_keys=True))
    return RenderedWalk(per_view, gt)


def _load_body_in_parent() -> None:
    """Load the body model before the progress bar and the workers start: on a cold cache the build takes
    minutes (it says so) and runs once, instead of once per worker behind a bar that stays at 0; forked workers
    inherit the loaded model. One thread, as the walks themselves use."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        shared_anny_body()
    finally:
        torch.set_num_threads(threads)


def unit_labels(recipe: SubjectRecipe, seq_type: str, view: float, spec: ProceduralSpec) -> SequenceLabels:
    """Labels (with provenance) of one rendered sequence."""
    clothing, carry = conditions_for(recipe, seq_type)
    prov = {"generator": "gaitcraft-procedural", "seed": spec.seed, "recipe": recipe_hash(recipe), "noise": spec.noise}
    return SequenceLabels(recipe.subject, seq_type, float(view), clothing, carry, SOURCE, spec.elevation, prov)


def _gt_path(root: Path, subject: str, seq_type: str) -> Path:
    return root / GT_DIR / subject / f"{seq_type}.npz"


def _do_unit(args: tuple[str, int, str, dict]) -> tuple[str, str, list[int]]:
    import torch

    # one thread per walk: two workers on two cores, and the same float results whatever the worker count
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _render_unit(args)
    finally:
        torch.set_num_threads(threads)


def _render_unit(args: tuple[str, int, str, dict]) -> tuple[str, str, list[int]]:
    root, index, seq_type, spec_json = args
    root_p, spec = Path(root), ProceduralSpec.from_json(spec_json)
    recipe = sample_subject(spec.seed, index, spec.walker)
    walk = render_walk(recipe, seq_type, spec, index)
    for view, frames in zip(spec.views, walk.frames):
        if len(frames):
            write_opengait_sequence(root_p, unit_labels(recipe, seq_type, view, spec), frames)
    atomic_save(_gt_path(root_p, recipe.subject, seq_type), lambda tmp: np.savez_compressed(tmp, **walk.ground_truth))
    return recipe.subject, seq_type, [len(f) for f in walk.frames]


def build_procedural(root: str | Path, spec: ProceduralSpec, workers: int = 2, progress: bool = True) -> dict:
    """Render `spec` into `root` as a GaitCraft tree (OpenGait pkl + manifest + partition + card + ground truth).

    Deterministic per `spec.seed`; rerunning on a partial folder with the same spec finishes it (resume);
    a folder holding another spec is refused. Returns a summary dict.
    """
    root = Path(root)
    resuming = check_output_spec(root, spec)
    root.mkdir(parents=True, exist_ok=True)
    if not resuming:
        atomic_write_text(root / SPEC_FILE, json.dumps(spec.to_json(), indent=1))
    units = [(str(root), i, t, spec.to_json()) for i, sid in enumerate(spec.subject_ids) for t in spec.types
             if not _gt_path(root, sid, t).exists()]
    done = len(spec.subject_ids) * len(spec.types) - len(units)
    if units:
        _load_body_in_parent()
    bar = tqdm(total=len(units), desc="render walks", unit="walk", disable=not progress)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 and len(units) > 1 else None
    try:
        for _ in (pool.map(_do_unit, units) if pool else map(_do_unit, units)):
            bar.update()
    finally:
        bar.close()
        if pool:
            pool.shutdown(cancel_futures=True)
    return finalize(root, spec) | {"resumed_units": done, "rendered_units": len(units)}


def finalize(root: Path, spec: ProceduralSpec) -> dict:
    """Write manifest, partition and card from what is on disk (so resumed and fresh runs agree byte for byte)."""
    rows, labels = [], []
    for i, sid in enumerate(spec.subject_ids):
        recipe = sample_subject(spec.seed, i, spec.walker)
        for t in spec.types:
            for v in spec.views:
                lab = unit_labels(recipe, t, v, spec)
                pkl = root / sid / t / lab.view_name / f"{lab.view_name}.pkl"
                if pkl.exists():
                    rows.append(manifest_row(lab, len(load_array_pickle(pkl))))
                    labels.append(lab)
    write_manifest(root, rows)
    train, test = spec.partition
    write_partition(root / "partition.json", train, test)
    write_card(root, "GaitCraft procedural walkers",
               "Rendered silhouettes of synthetic adults (anny bodies) walking with retargeted CMU motion capture, "
               "in CASIA-B naming (nm = normal, bg = a bag, exact object in the labels, cl = a coat), "
               "pretreated exactly like real data. Ground truth (3D joints, pose, cameras, body and gait style) "
               f"is in `{GT_DIR}/<id>/<type>.npz`.", labels, spec=spec.to_json())
    return {"root": str(root), "sequences": len(rows), "subjects": len(spec.subject_ids)}
