"""A user's own videos -> an OpenGait tree of pretreated silhouettes (and optionally COCO-17 poses).

Inputs: one video, or a folder searched recursively. CASIA-B names (`001-nm-01-090.avi`) give the subject,
sequence type and view (`gaitcraft.path_labels`); any other file becomes subject = its path under the input
folder (slashes as '_'), type and view 'unknown'. Each sequence is written atomically and only once: a rerun
skips sequences already written, so an interrupted run resumes where it stopped. A video that cannot be
decoded, or where no frame gives a silhouette, is reported in one line and the run goes on. The tree gets a
`manifest.jsonl` (source video, labels, segmenter, frame counts, findings; `eval/audit/extract_manifest.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.audit.extract import Extraction, pretreat_masks
from eval.audit.extract_manifest import assemble_manifest, is_done, sequence_labels, write_row
from eval.audit.inputs import load_clip
from eval.audit.segmenters import MediaPipePose, resolve_extractor
from gaitcraft.errors import ConfigError, DataError, GaitCraftError
from gaitcraft.io.atomic import atomic_write_bytes
from gaitcraft.io.opengait_tree import sequence_folder, write_opengait_sequence
from gaitcraft.io.safe_pickle import dumps_array
from gaitcraft.io.video import VIDEO_EXTS
from gaitcraft.path_labels import UNKNOWN, labels_from_path
from gaitcraft.types import SequenceLabels

SOURCE = "video"


@dataclass
class ExtractJobReport:
    """What one run did: sequences written / already there / failed, frame counts, extraction time."""

    written: int = 0
    skipped_existing: int = 0
    failed: int = 0
    frames_in: int = 0
    frames_out: int = 0
    seconds: float = 0.0  # decoding excluded: segmentation + pretreatment
    problems: list[str] = field(default_factory=list)
    extractors: set[str] = field(default_factory=set)
    manifest_rows: int = 0  # sequences listed in the tree's manifest.jsonl after the run

    @property
    def fps(self) -> float:
        """Frames per second of extraction over the sequences written by this run."""
        return self.frames_in / self.seconds if self.seconds > 0 else 0.0


def find_videos(src: str | Path) -> list[Path]:
    """The video files of `src`: itself when it is a video, else every video under the folder, sorted."""
    src = Path(src)
    if not src.exists():
        raise DataError("file does not exist", src)
    if src.is_file():
        if src.suffix.lower() not in VIDEO_EXTS:
            raise DataError(f"not a video ({', '.join(VIDEO_EXTS)})", src)
        return [src]
    videos = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTS)
    if not videos:
        raise DataError(f"folder holds no videos ({', '.join(VIDEO_EXTS)})", src)
    return videos


def video_labels(path: Path, root: Path) -> SequenceLabels:
    """Labels of one video: from a CASIA-B name, else the subject is its path under `root`."""
    labels = labels_from_path(path, SOURCE)
    if labels.subject != UNKNOWN:
        return labels
    rel = path.relative_to(root) if root.is_dir() else Path(path.name)
    return replace(labels, subject=str(rel.with_suffix("")).replace("/", "_"), seq_type=UNKNOWN)


def pose_path(pose_root: Path, labels: SequenceLabels) -> Path:
    """`POSE_ROOT/<id>/<type>/<view>/<view>.pkl`: keypoints `[t, 17, 3]` float32, frame for frame with the
    silhouettes of the same key (the frames the pretreatment kept)."""
    return sequence_folder(pose_root, labels) / f"{labels.view_name}.pkl"


def extract_one(path: Path, labels: SequenceLabels, out: Path, pose_root: Path | None, extractor,
                root: Path | None = None, drop_edge: bool = False) -> tuple[int, int, float, str]:
    """Extract, pretreat and write one video (poses, silhouettes, then its manifest row; `root` is the input
    folder the row names the video under). With `drop_edge`, frames whose mask touches the frame border are left
    out. Returns (frames in, frames kept, seconds, extractor name)."""
    clip = load_clip(path)
    t0 = time.perf_counter()
    poses = None
    if clip.is_mask:  # a mask video: used as given
        ext_name, masks = "given-masks", clip.frames
    else:
        ext = resolve_extractor(extractor, None)
        ext_name = ext.name
        if pose_root is not None:
            if not isinstance(ext, MediaPipePose):
                raise ConfigError(f"poses come from the learned segmenter, but this clip got {ext.name}")
            masks, found = ext.masks_and_poses(clip.frames)
            poses = found.keypoints  # [t, 17, 3]
        else:
            masks = ext.masks(clip.frames)  # [t, h, w] bool
    sil = pretreat_masks(masks, ext_name)
    if drop_edge:  # a body cut by the frame border is stretched to full height by the pretreatment
        sil = without_edge_frames(sil)
    seconds = time.perf_counter() - t0
    if len(sil.kept) == 0:
        c = sil.counts()
        raise DataError(f"no frame gave a silhouette ({c['frames']} frames: empty {c['empty']}, "
                        f"dropped {c['dropped']}; extractor {ext_name})", path)
    if poses is not None:  # before the silhouettes: a sequence counts as done once its silhouettes exist
        atomic_write_bytes(pose_path(pose_root, labels), dumps_array(poses[sil.kept].astype(np.float32)))
    write_opengait_sequence(out, labels, sil.frames)
    row_labels = sequence_labels(labels, path, root if root is not None else path.parent, sil, drop_edge)
    write_row(out, row_labels, len(sil.kept))
    return len(clip), len(sil.kept), seconds, ext_name


def without_edge_frames(sil: Extraction) -> Extraction:
    """`sil` less the frames flagged `edge` (the flags still list them, so the counts say what was dropped)."""
    keep = ~np.isin(sil.kept, sil.flags.get("edge", []))  # [t'] bool
    return Extraction(sil.frames[keep], sil.kept[keep], sil.n_input, sil.flags, sil.extractor)


def extract_videos(src: str | Path, out: str | Path, extractor, pose_root: str | Path | None = None,
                   progress: bool = True, on_problem: Callable[[str], None] | None = None,
                   drop_edge: bool = False) -> ExtractJobReport:
    """Extract every video of `src` into the OpenGait tree `out` (poses into `pose_root` when given; frames that
    touch the frame border left out with `drop_edge`), then write `out/manifest.jsonl`. Problems are collected (and passed to `on_problem` as they happen); the run never
    stops on one video."""
    src, out = Path(src), Path(out)
    pose_root = Path(pose_root) if pose_root is not None else None
    videos = find_videos(src)
    rep = ExtractJobReport()
    seen: dict[tuple[str, str, str], Path] = {}
    for path in tqdm(videos, desc="extract", unit="video", disable=not progress):
        labels = video_labels(path, src)
        key = labels.key
        if key in seen:
            _problem(rep, f"{path}: same sequence key {'/'.join(key)} as {seen[key]}; skipped", on_problem)
            continue
        seen[key] = path
        if is_done(out, key) and (pose_root is None or pose_path(pose_root, labels).exists()):
            rep.skipped_existing += 1
            continue
        try:
            n_in, n_out, seconds, name = extract_one(path, labels, out, pose_root, extractor, src, drop_edge)
        except GaitCraftError as e:
            _problem(rep, str(e) if e.path else f"{path}: {e}", on_problem)
            continue
        rep.written += 1
        rep.frames_in += n_in
        rep.frames_out += n_out
        rep.seconds += seconds
        rep.extractors.add(name)
    rep.manifest_rows = assemble_manifest(out)
    return rep


def _problem(rep: ExtractJobReport, line: str, on_problem: Callable[[str], None] | None) -> None:
    rep.failed += 1
    rep.problems.append(line)
    if on_problem is not None:
        on_problem(line)
