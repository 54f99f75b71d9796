"""The gallery side of an audit: every identity named in the pairs must be in it, and its impostor pairs set
the recognizer's FAR threshold."""

from __future__ import annotations

import numpy as np

from eval.audit.pairs import PairRow
from eval.evaluation.retrieval import far_threshold
from gaitcraft.errors import DataError


def check_identities(rows: list[PairRow], gallery_ids: set[str], where: str) -> None:
    """`DataError` naming the first row whose motion or appearance identity is not in the gallery."""
    for r in rows:
        for col in ("motion_id", "appearance_id"):
            if getattr(r, col) not in gallery_ids:
                have = sorted(gallery_ids)
                raise DataError(f"row {r.row}: {col} {getattr(r, col)!r} is not in the gallery (it has "
                                f"{len(have)} identities: {', '.join(have[:8])}{' ...' if len(have) > 8 else ''})", where)


def gallery_threshold(dist: np.ndarray, ids: np.ndarray, far: float) -> tuple[float, int]:
    """(FAR threshold, impostor pairs) from gallery-vs-gallery distances `[m, m]`."""
    iu = np.triu_indices(len(ids), k=1)
    imp = dist[iu][ids[iu[0]] != ids[iu[1]]]
    if not len(imp):
        raise DataError("the gallery needs at least two identities to set a FAR threshold")
    return far_threshold(imp, far), int(len(imp))
