"""Known-answer cases for the audit, rendered with the procedural walker.

- restoration: subject A's reference walk vs A rendered again in another session (`same`, fidelity must be
  high) and vs B's walk labelled as A (`swapped`, fidelity must be low);
- transfer: A's gait style on B's body (`transfer`, motion A, appearance B), rendered exactly;
- extraction: walkers composited onto textured static backgrounds as RGB video, IoU against the rendered masks.

`write_cases` lays the cases out as an audit input: `gallery/` (an OpenGait tree: sessions nm-01, nm-02 of
every subject), `clips/` (references and generated clips: `.npy` masks, or `.mp4` RGB videos) and `pairs.csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.audit.walker import composite_walk, person_palette, render_masks
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.io.opengait_tree import write_opengait_sequence
from gaitcraft.io.video import write_video
from gaitcraft.pretreat import binarize, pretreat_frames
from gaitcraft.types import SequenceLabels
from mesh.subjects import sample_subject

GALLERY_SESSIONS = ("nm-01", "nm-02")


@dataclass
class Cases:
    """Rendered raw masks `[n_views, t, h, w]` uint8 by name, and the subjects and views used."""

    masks: dict[str, np.ndarray]
    subjects: list[str]
    views: list[float]


def render_cases(subjects: int = 4, views: Sequence[float] = (90.0,), frames: int = 30, seed: int = 0) -> Cases:
    """Render every walk the cases need: gallery walks, references (a third walk), re-renders (a fourth walk) and
    A-on-B transfers (A's style, the next subject's body and clothes), each subject filmed by its walker's camera."""
    recipes = [sample_subject(seed, i) for i in range(subjects)]
    ids = [r.subject for r in recipes]
    out: dict[str, np.ndarray] = {}
    for i, r in enumerate(recipes):
        for s, name in enumerate((*GALLERY_SESSIONS, "ref", "again"), start=1):
            out[f"{r.subject}/{name}"] = render_masks(r, r.style, views, frames, seed * 1000 + i, s)
        body = recipes[(i + 1) % subjects]
        out[f"{r.subject}/on-{body.subject}"] = render_masks(body, r.style, views, frames, seed * 1000 + i, 5)
    return Cases(out, ids, [float(v) for v in views])


def case_rows(cases: Cases) -> list[dict]:
    """Manifest rows (without file paths yet): per subject and view, one same, one swapped, one transfer."""
    ids, rows = cases.subjects, []
    for i, a in enumerate(ids):
        b = ids[(i + 1) % len(ids)]
        for v in range(len(cases.views)):
            common = {"view": cases.views[v], "_v": v, "_ref": f"{a}/ref"}
            rows.append({**common, "pair_id": f"same-{a}-v{v}", "_gen": f"{a}/again", "motion_id": a, "appearance_id": a})
            rows.append({**common, "pair_id": f"swapped-{a}-{b}-v{v}", "_gen": f"{b}/again", "motion_id": a,
                         "appearance_id": a})
            rows.append({**common, "pair_id": f"transfer-{a}-{b}-v{v}", "_gen": f"{a}/on-{b}", "motion_id": a,
                         "appearance_id": b})
    return rows


def write_cases(cases: Cases, out: str | Path, rgb: bool = False, seed: int = 0,
                keep: Callable[[dict], bool] | None = None) -> Path:
    """Write gallery, clips and `pairs.csv` under `out`; returns the pairs file. `keep(row)` selects rows
    (keys: pair_id, motion_id, appearance_id, view, _v view index). With `rgb` the clips are
    mp4 videos of the walker on one textured scene, dressed in its body's colours (the extraction path),
    else `.npy` masks."""
    out = Path(out)
    for sid in cases.subjects:
        for t in GALLERY_SESSIONS:
            for v, view in enumerate(cases.views):
                frames = binarize(pretreat_frames(cases.masks[f"{sid}/{t}"][v]))
                write_opengait_sequence(out / "gallery", SequenceLabels(sid, t, view, source="procedural"), frames)
    rows, written = [r for r in case_rows(cases) if keep is None or keep(r)], set()
    for row in rows:
        for key in ("_ref", "_gen"):
            name = f"{row[key].replace('/', '_')}_v{row['_v']}"
            path = out / "clips" / (name + (".mp4" if rgb else ".npy"))
            if name not in written:
                body = row[key].split("/on-")[-1].split("/")[0]  # whose body (and so clothes) the clip shows
                _write_clip(path, cases.masks[row[key]][row["_v"]], rgb, seed, int(body))
                written.add(name)
            row["reference" if key == "_ref" else "generated"] = str(path.relative_to(out))
    buf = io.StringIO()
    cols = ["pair_id", "reference", "generated", "motion_id", "appearance_id", "view"]
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(out / "pairs.csv", buf.getvalue())
    return out / "pairs.csv"


def _write_clip(path: Path, masks: np.ndarray, rgb: bool, seed: int, person: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if rgb:  # one scene for every clip, as an animation model keeps the reference's background
        video, _, _ = composite_walk(masks, seed=seed * 1000 + person, scene_seed=seed, palette=person_palette(person))
        write_video(path, video)
    else:
        np.save(path, masks)


def case_kind(pair_id: str) -> str:
    """'same', 'swapped' or 'transfer' from a validation pair id."""
    return pair_id.split("-")[0]


def summarize_cases(result: dict) -> dict:
    """Per case kind: pairs, rank-1 %, verified %, mean distance/threshold; for transfer the attribution rates."""
    out = {}
    for kind in ("same", "swapped", "transfer"):
        ps = [p["biometric"] for p in result["pairs"] if case_kind(p["pair_id"]) == kind]
        if not ps:
            continue
        s = {"pairs": len(ps), "mean_distance_ratio": float(np.mean([b["distance_ratio"] for b in ps]))}
        if kind != "transfer":
            s |= {"rank1": 100 * float(np.mean([b["rank1"] for b in ps])),
                  "verified": 100 * float(np.mean([b["verified"] for b in ps]))}
        else:
            s |= {a: result["transfer"][a] for a in ("motion_attribution", "appearance_attribution", "follows")}
        out[kind] = s
    return out
