"""Do extracted silhouettes stand in for a dataset's own? Rank-1 of probes extracted from real video (trees that
`gaitcraft extract` wrote) against the dataset's official gallery, beside the official probes of the same sequences.

    python benchmarks/extraction_rank1.py --official ~/data/casiab --extracted work/ex_learned work/ex_background
        [--recognizer gei | RUN_FOLDER ...] [--gallery-types nm-01,nm-02,nm-03,nm-04] [--out work/extraction_rank1.md]

Probes: every sequence of an extracted tree that the official tree also holds; each is matched as extracted and as
official. Gallery: the official sequences of --gallery-types at the probes' views, every subject, less the probe's
own official sequence (so an nm-01 probe is never matched with itself). A recognizer is 'gei' (training-free) or
a run folder of `gaitcraft recognizer train`; a recognizer trained on the probes' subjects has seen them, which
flatters every row alike. Also reported: the distance from each extracted probe to its own official sequence
as a share of the distance to the nearest other session of the same subject.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GAITCRAFT_CACHE", str(ROOT / ".cache"))

from benchmarks._machine import header, log  # noqa: E402
from eval.audit.recognizers import load_audit_recognizer  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.errors import GaitCraftError  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402


def rank1_rows(official: DatasetIndex, trees: dict[str, DatasetIndex], recognizer, gallery_types: list[str]) -> dict:
    """{'probes': [...], 'rank1': {source: %}, 'own_ratio': {tree: median}} for one recognizer."""
    by_key = {r.labels.key: r for r in official.records}
    keys = sorted({r.labels.key for t in trees.values() for r in t.records if r.labels.key in by_key})
    views = sorted({by_key[k].labels.view for k in keys})
    gallery = official.filter(seq_types=gallery_types, views=views).records
    g_ids = np.array([r.labels.subject for r in gallery])
    g_keys = [r.labels.key for r in gallery]
    g_emb = recognizer.embed([r.load() for r in gallery])  # [m, ...]
    sources = {"official": {k: by_key[k] for k in keys}}
    for name, t in trees.items():
        sources[name] = {r.labels.key: r for r in t.records if r.labels.key in by_key}
    probes, hits = [], {s: [] for s in sources}
    ratios: dict[str, list[float]] = {s: [] for s in trees}
    for k in keys:
        allowed = np.array([gk != k and by_key[k].labels.view == gallery[i].labels.view for i, gk in enumerate(g_keys)])
        row = {"key": "/".join(k)}
        for s, recs in sources.items():
            if k not in recs:
                continue
            emb = recognizer.embed([recs[k].load()])  # [1, ...]
            d = np.where(allowed, recognizer.distances(emb, g_emb)[0], np.inf)  # [m]
            nearest = str(g_ids[int(np.argmin(d))])
            hits[s].append(nearest == k[0])
            row[s] = nearest
            if s != "official":
                own = float(recognizer.distances(emb, recognizer.embed([by_key[k].load()]))[0, 0])
                same = d[(g_ids == k[0]) & allowed]
                if len(same):
                    ratios[s].append(own / float(same.min()))
        probes.append(row)
    return {"probes": probes, "gallery": len(gallery), "views": views,
            "rank1": {s: 100 * float(np.mean(h)) if h else None for s, h in hits.items()},
            "n": {s: len(h) for s, h in hits.items()},
            "own_ratio": {s: float(np.median(r)) if r else None for s, r in ratios.items()}}


def main() -> None:
    """Match, print and write the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="the dataset's OpenGait tree (official silhouettes)")
    ap.add_argument("--extracted", nargs="+", required=True, help="trees written by `gaitcraft extract`")
    ap.add_argument("--recognizer", nargs="+", default=["gei"], help="'gei' and/or recognizer run folders")
    ap.add_argument("--gallery-types", default="nm-01,nm-02,nm-03,nm-04")
    ap.add_argument("--out", default="work/extraction_rank1.md")
    args = ap.parse_args()
    try:
        official = DatasetIndex.open(args.official)
        trees = {Path(t).name: DatasetIndex.open(t) for t in args.extracted}
        recs = {r: load_audit_recognizer("gei" if r == "gei" else "ours", None if r == "gei" else r)
                for r in args.recognizer}
    except GaitCraftError as e:
        raise SystemExit(f"extraction_rank1: error: {e}") from None
    lines = [header("Extracted probes against the official gallery"), ""]
    for name, rec in recs.items():
        log(f"recognizer {name}")
        res = rank1_rows(official, trees, rec, args.gallery_types.split(","))
        lines += [f"### {rec.name}", "",
                  f"Gallery: {res['gallery']} official sequences ({args.gallery_types}) at views "
                  f"{', '.join(f'{v:g}' for v in res['views'])}, the probe's own sequence left out.", "",
                  "| probes from | probes | rank-1 % | median distance to own official / to nearest other session |",
                  "|---|---:|---:|---:|"]
        for s, r1 in res["rank1"].items():
            ratio = res["own_ratio"].get(s)
            lines.append(f"| {s} | {res['n'][s]} | {'–' if r1 is None else f'{r1:.1f}'} | "
                         f"{'–' if ratio is None else f'{ratio:.2f}'} |")
        lines += ["", "| probe | " + " | ".join(res["rank1"]) + " |", "|---|" + "---|" * len(res["rank1"])]
        for p in res["probes"]:
            lines.append(f"| {p['key']} | " + " | ".join(p.get(s, "–") for s in res["rank1"]) + " |")
        lines.append("")
    text = "\n".join(lines)
    atomic_write_text(args.out, text)
    print(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
