"""The audit from files to a report folder: read the pairs manifest and the gallery, load the recognizer and the
RGB->silhouette extractor, run every pair and write the report (what `gaitcraft audit` runs)."""

from __future__ import annotations

from pathlib import Path

from eval.audit.audit import MIN_FRAMES, run_audit
from eval.audit.pairs import read_pairs
from eval.audit.recognizers import load_audit_recognizer
from eval.audit.report import write_report
from eval.audit.restoration import fidelity_verdict
from eval.audit.segmenters import make_extractor
from eval.audit.transfer import transfer_verdict
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import ConfigError


def audit_files(pairs: str | Path, gallery: str | Path, out: str | Path, recognizer: str = "ours",
                checkpoint: str | Path | None = None, extractor: str = "background", far: float = 0.01,
                min_frames: int = MIN_FRAMES, worst: int = 4, progress: bool = True) -> tuple[dict, dict[str, Path]]:
    """Audit the pairs listed in `pairs` against the `gallery` tree and write the report folder `out`.

    `recognizer` is 'ours' (a run folder), 'opengait' (a GaitBase .pt) or 'gei' (training-free), with its
    `checkpoint`; `extractor` names the RGB->silhouette extractor (see `segmenters.make_extractor`); `far` is the
    false-accept rate of the verification threshold. Returns (result, paths of the written report files).
    """
    if not 0 < far < 1:
        raise ConfigError(f"far (the false-accept rate) must be in (0, 1), got {far}")
    if min_frames < 1:
        raise ConfigError(f"min_frames must be at least 1, got {min_frames}")
    rows = read_pairs(pairs)
    index = DatasetIndex.open(gallery)
    model = load_audit_recognizer(recognizer, checkpoint, progress=progress)
    result, prepared = run_audit(rows, index, model, make_extractor(extractor), far, min_frames, where=pairs,
                                 progress=progress)
    result["pairs_file"] = str(pairs)
    return result, write_report(out, result, prepared, worst)


def summary_lines(result: dict) -> list[str]:
    """The verdicts and the extraction counts of an audit result, one line each (what the command prints)."""
    e = result["extraction"]
    return [fidelity_verdict(result["restoration"]), transfer_verdict(result["transfer"]).replace("**", ""),
            f"extraction: {e['kept']}/{e['frames']} frames used, {e['empty']} empty, {e['edge']} on the edge, "
            f"{e['dropped']} refused"]
