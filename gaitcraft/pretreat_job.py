"""Pretreat a raw silhouette tree (`<id>/<type>/<view>/*.png`) into an OpenGait tree, in parallel and resumably."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from gaitcraft.errors import DataError
from gaitcraft.io.atomic import remove_stale_temps
from gaitcraft.io.frames import IMAGE_EXTS, read_frame_folder
from gaitcraft.io.opengait_tree import Problem, scan_tree, write_opengait_sequence
from gaitcraft.pretreat import binarize, pretreat_frames
from gaitcraft.types import SequenceLabels, parse_view

#: OpenGait warns below this many frames.
MIN_FRAMES_WARNING = 5


@dataclass
class PretreatReport:
    """What a pretreatment run did."""

    written: int = 0
    skipped_existing: int = 0
    failed: int = 0  # sequences that produced no pkl (unreadable, or every frame dropped)
    short: int = 0  # written with fewer than MIN_FRAMES_WARNING frames
    frames_in: int = 0
    frames_out: int = 0
    problems: list[Problem] | None = None


def _one(args: tuple[str, str, str, str, str, bool]) -> tuple[str, int, int, str | None]:
    folder, dst, sid, stype, view, binary = args
    try:
        raw = read_frame_folder(folder)  # [t, h, w]
        out = pretreat_frames(raw)
        if len(out) == 0:
            return folder, len(raw), 0, "every frame was dropped (empty or no centre)"
        if binary:
            out = binarize(out)
        labels = SequenceLabels(sid, stype, parse_view(view))
        write_opengait_sequence(dst, labels, out)
        short = f"only {len(out)} frames after pretreatment" if len(out) < MIN_FRAMES_WARNING else None
        return folder, len(raw), len(out), short
    except DataError as e:
        return e.path or folder, 0, 0, str(e.reason)  # the file at fault when it is one frame


def pretreat_tree(src: str | Path, dst: str | Path, workers: int = 2, binary: bool = False,
                  progress: bool = True) -> PretreatReport:
    """Pretreat every `<id>/<type>/<view>/` frame folder under `src` into `dst/<id>/<type>/<view>/<view>.pkl`.

    Sequences whose pkl already exists are skipped (writes are atomic, so an existing file is complete): a killed
    run resumes where it stopped. `binary` thresholds the cubic-resize grey edges to 0/255 (off = bit-exact
    OpenGait output). A sequence that fails is counted in `failed` and listed in `problems`; the rest go on.
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise DataError("destination must differ from the source", dst)
    entries, problems = scan_tree(src, IMAGE_EXTS)
    if not entries:
        raise DataError("no <id>/<type>/<view>/ frame folders found", src)
    report = PretreatReport(problems=problems)
    remove_stale_temps(dst)  # a killed run's half-written files
    todo = []
    for e in entries:
        target = dst / e.subject / e.seq_type / e.view / f"{e.view}.pkl"
        if target.exists():
            report.skipped_existing += 1
        else:
            todo.append((str(e.folder), str(dst), e.subject, e.seq_type, e.view, binary))
    bar = tqdm(total=len(todo), desc="pretreat", unit="seq", disable=not progress)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    results = pool.map(_one, todo, chunksize=4) if pool else map(_one, todo)
    try:
        for folder, n_in, n_out, issue in results:
            report.frames_in += n_in
            report.frames_out += n_out
            report.written += n_out > 0
            report.failed += n_out == 0
            report.short += 0 < n_out < MIN_FRAMES_WARNING
            if issue:
                problems.append(Problem(folder, issue))
            bar.update()
    finally:
        bar.close()
        if pool:
            pool.shutdown(cancel_futures=True)
    return report
