"""The audit core: decode and extract every pair, embed, compare with the gallery, and collect the numbers.

`run_audit(rows, gallery, recognizer)` takes any `Recognizer` (tests inject a deterministic one). The FAR=1%
threshold is set on the gallery's impostor pairs (gallery sequences of different identities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from eval.audit.extract import Extraction, Extractor, background_image, extract_clip, extraction_totals
from eval.audit.gallery import check_identities, gallery_threshold
from eval.audit.inputs import Clip, load_clip
from eval.audit.pairs import PairRow
from eval.audit.recognizers import Recognizer
from eval.audit.restoration import restoration_pair, summarize_restoration
from eval.audit.transfer import summarize_transfer, transfer_pair
from eval.audit.visual_metrics import visual_metrics
from gaitcraft.dataset import DatasetIndex
from gaitcraft.errors import DataError, GaitCraftError

#: Shortest clip (frames) the recognizer is given.
MIN_FRAMES = 10


@dataclass
class PreparedPair:
    """A pair's decoded clips and silhouettes."""

    row: PairRow
    reference: Clip  # thumbnail (see `Clip.thumbnail`)
    generated: Clip
    ref_sil: Extraction
    gen_sil: Extraction
    visual: dict  # SSIM, PSNR, silhouette IoU (computed on the full clips)


def _load(row: PairRow, side: str, min_frames: int) -> Clip:
    path = getattr(row, side)
    try:
        clip = load_clip(path)
    except GaitCraftError as e:
        raise DataError(f"row {row.row}: {side}: {e.reason}", e.path or path) from None
    if len(clip) < min_frames:
        raise DataError(f"row {row.row}: {side} clip has {len(clip)} frames; the recognizer needs at least "
                        f"{min_frames}", path)
    return clip


def _background(row: PairRow) -> np.ndarray | None:
    if row.background is None:
        return None
    try:
        return background_image(load_clip(row.background))
    except GaitCraftError as e:
        raise DataError(f"row {row.row}: background: {e.reason}", e.path or row.background) from None


def _extract(row: PairRow, side: str, clip: Clip, extractor: Extractor | None, min_frames: int) -> Extraction:
    bg = None if clip.is_mask else _background(row)
    if bg is not None and bg.shape != clip.frames.shape[1:]:
        raise DataError(f"row {row.row}: background is {bg.shape[1]}x{bg.shape[0]} but the {side} clip is "
                        f"{clip.frames.shape[2]}x{clip.frames.shape[1]}", row.background)
    sil = extract_clip(clip, extractor, bg)
    if len(sil.kept) < min_frames:
        c = sil.counts()
        raise DataError(f"row {row.row}: {side}: only {c['kept']} of {c['frames']} frames gave a usable "
                        f"silhouette (empty {c['empty']}, dropped {c['dropped']}); the recognizer needs "
                        f"{min_frames}", clip.path)
    return sil


def prepare_pair(row: PairRow, extractor: Extractor | None = None, min_frames: int = MIN_FRAMES,
                 cache: dict | None = None) -> PreparedPair:
    """Decode and extract one pair and measure its visual metrics; `DataError` naming the row for
    undecodable, short or unusable clips. Only thumbnails of the clips are kept (memory stays bounded).

    `cache` (a dict) reuses the silhouettes of clips shared by several rows (one reference, many generated)."""
    cache = {} if cache is None else cache
    clips, sils = [], []
    for side in ("reference", "generated"):
        clip = _load(row, side, min_frames)
        key = (getattr(row, side), row.background)
        if key not in cache:
            cache[key] = _extract(row, side, clip, extractor, min_frames)
        clips.append(clip)
        sils.append(cache[key])
    visual = visual_metrics(clips[0].frames, clips[1].frames, *sils)
    return PreparedPair(row, clips[0].thumbnail(), clips[1].thumbnail(), sils[0], sils[1], visual)


def biometric(row: PairRow, d_gallery: np.ndarray, ids: np.ndarray, d_pair: float, threshold: float,
              ref_nearest: str | None) -> dict:
    """Biometric numbers of one pair from its generated clip's distances to the gallery `[m]` (ids `[m]`)
    and to its reference (`d_pair`)."""
    nearest = str(ids[int(np.argmin(d_gallery))])
    d_of = {k: float(d_gallery[ids == k].min()) for k in {row.motion_id, row.appearance_id}}
    out = {"nearest_id": nearest, "nearest_distance": float(d_gallery.min())}
    if row.task == "restoration":
        return out | restoration_pair(row.motion_id, nearest, d_pair, d_of[row.motion_id], threshold, ref_nearest)
    out |= transfer_pair(row.motion_id, row.appearance_id, nearest, d_of[row.motion_id], d_of[row.appearance_id])
    return out | {"d_reference": d_pair, "distance_ratio": d_pair / threshold if threshold > 0 else float("inf")}


def run_audit(rows: list[PairRow], gallery: DatasetIndex, recognizer: Recognizer, extractor: Extractor | None = None,
              far: float = 0.01, min_frames: int = MIN_FRAMES, where: str = "pairs",
              progress: bool = False) -> tuple[dict, list[PreparedPair]]:
    """Audit every row; returns (result dict with every number, the prepared pairs for previews)."""
    ids = np.array([r.labels.subject for r in gallery.records])
    check_identities(rows, set(ids.tolist()), where)
    cache: dict = {}
    prepared = [prepare_pair(r, extractor, min_frames, cache) for r in tqdm(rows, desc="extract", disable=not progress)]
    g_emb = recognizer.embed_gallery(list(gallery.records))  # [m, ...]
    thr, n_imp = gallery_threshold(recognizer.distances(g_emb, g_emb), ids, far)
    unique = list({id(s): s for p in prepared for s in (p.ref_sil, p.gen_sil)}.values())  # shared clips once
    emb = recognizer.embed([s.frames for s in unique])  # [u, ...]
    at = {id(s): k for k, s in enumerate(unique)}
    ref_emb = emb[[at[id(p.ref_sil)] for p in prepared]]  # [n, ...]
    gen_emb = emb[[at[id(p.gen_sil)] for p in prepared]]
    d_gen = recognizer.distances(gen_emb, g_emb)  # [n, m]
    d_ref = recognizer.distances(ref_emb, g_emb)  # [n, m]
    g_files = [{(rec.path / f).resolve() for f in rec.files} | {rec.path.resolve()} for rec in gallery.records]
    pairs = []
    for i, p in enumerate(prepared):
        own = np.array([p.reference.path.resolve() in fs for fs in g_files])  # the reference itself
        ref_row = np.where(own, np.inf, d_ref[i])
        ref_nearest = None if np.isinf(ref_row).all() else str(ids[int(np.argmin(ref_row))])
        d_pair = float(recognizer.distances(gen_emb[i : i + 1], ref_emb[i : i + 1])[0, 0])
        pairs.append({**p.row.to_json(),
                      "visual": p.visual,
                      "biometric": biometric(p.row, d_gen[i], ids, d_pair, thr, ref_nearest),
                      "extraction": {"reference": p.ref_sil.report(), "generated": p.gen_sil.report()}})
    result = {
        "recognizer": recognizer.name, "metric": recognizer.metric, "far": far, "threshold": thr,
        "impostor_pairs": n_imp, "gallery": {"root": str(gallery.root), "sequences": len(gallery),
                                             "identities": len(set(ids.tolist()))},
        "extractor": _extractor_names(prepared), "restoration": summarize_restoration(pairs),
        "transfer": summarize_transfer(pairs), "extraction": extraction_totals(unique), "pairs": pairs,
    }
    return result, prepared


def _extractor_names(prepared: list[PreparedPair]) -> list[str]:
    return sorted({s.extractor for p in prepared for s in (p.ref_sil, p.gen_sil)})
