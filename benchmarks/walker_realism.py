"""Walker realism and calibration: how procedural datasets compare with real CASIA-B, and whether their gait and
conditions behave as they should.

    python benchmarks/walker_realism.py [NAME=]DATASET_ROOT ... [--real CASIA_B_ROOT --real-subjects 001-015]
        [--out benchmarks/results/walker_realism.md] [--json FILE]

Each positional root is a dataset to measure (an optional `NAME=` prefix names its column, e.g. `v1=work/old
v2=work/new`, so an old and a new walker land in one table). `--real` measures a real OpenGait CASIA-B tree with
the same code (only the `--real-subjects` ids; real data stays where it is, only scalar statistics are written);
without it the stored CASIA-B reference figures are shown.

Measures (all from the files a dataset holds: pkl silhouettes, plus the ground-truth sidecars of procedural data):
1. per-view calibration table: frames, foreground % per type, width mean ± frame std, width period (the real
   CASIA-B reference statistics were measured the same way), the share of leg rows in which the legs show
   apart, which way the walker faces (head lead), and the coat's widening of the silhouette;
2. body-shape profile: mean foreground pixels per row in bands from head to shanks, at 0° and 90° (nm);
3. for procedural roots: side-view width period vs the mocap step period, between- vs within-subject spread of
   stride and arm swing, elbow flexion and hand pitch, condition effects at 90° (coat foreground gain, backpack contour).

Definitions (pretreated 64×64 frames, foreground = value > 127):
- leg rows are rows 40-59 (62-94 % of the height, between the fingertips and the feet); a leg row is
  *separated* when it holds two or more foreground runs (background between them);
- coat widening is, per subject, the mean width of its `cl` sequences minus that of its `nm` sequences at the
  same view, averaged over subjects that have both.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from eval.evaluation.silhouette_stats import width_period  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.errors import GaitCraftError  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402

# Real CASIA-B reference statistics: 20 subjects, 2,188 pretreated sequences (frames, fg% nm/bg/cl, width nm, period)
CASIA_B = {
    "000": (98, 18.7, 19.4, 20.7, "20.5 ± 1.1", "~22"), "036": (101, 17.5, 18.3, 19.4, "21.6 ± 3.1", "13"),
    "054": (93, 17.1, 18.1, 18.9, "22.8 ± 4.6", "12"), "090": (61, 16.7, 18.3, 18.5, "25.3 ± 6.9", "12"),
    "126": (77, 17.1, 18.4, 18.9, "23.1 ± 4.8", "12"), "180": (83, 18.8, 19.5, 20.6, "20.6 ± 1.0", "~23"),
}
#: Sequences shorter than this are not measured (no width period can be read from them).
MIN_FRAMES = 10
#: Leg rows of a pretreated 64-row frame: below the fingertips, above the feet.
LEG_ROWS = slice(40, 60)
#: Row bands of the shape profile (pretreated 64-row frames): name -> rows.
BANDS = {"head": slice(1, 8), "shoulders": slice(11, 17), "chest": slice(17, 25), "waist": slice(25, 32),
         "hips": slice(32, 39), "thighs": slice(39, 48), "shanks": slice(48, 60)}
TYPES = ("nm", "bg", "cl")


def widths(frames: np.ndarray) -> np.ndarray:
    """Per-frame horizontal extent of the mask (threshold 127), `[t]`."""
    m = frames > 127
    return np.array([np.ptp(np.nonzero(f.any(0))[0]) + 1 if f.any() else 0 for f in m], float)


def separated_leg_share(frames: np.ndarray) -> float:
    """Share (0..1) of leg rows (`LEG_ROWS` of `[t, 64, w]` pretreated frames) holding two or more foreground
    runs, i.e. where the legs show apart; NaN when no leg row has foreground."""
    m = frames[:, LEG_ROWS] > 127  # [t, rows, w]
    starts = (m[..., 1:] & ~m[..., :-1]).sum(-1) + m[..., 0]  # [t, rows] foreground runs per row
    filled = m.any(-1)
    return float((starts[filled] >= 2).mean()) if filled.any() else float("nan")


def band_profile(frames: np.ndarray) -> dict[str, float]:
    """Mean foreground pixels per row within each `BANDS` band of `[t, 64, w]` frames."""
    rows = (frames > 127).sum(-1).mean(0)  # [64]
    return {name: float(rows[sl].mean()) for name, sl in BANDS.items()}


def head_lead(frames: np.ndarray) -> float:
    """Mean horizontal offset (px) of the head rows' centre from the whole frame's column-mass centre over
    `[t, 64, w]` frames: people lean and look forward, so its sign says which way the walker faces in the
    image (+ right, - left); NaN when no frame has foreground."""
    m = frames > 127
    cols = np.arange(m.shape[2])
    n_all, n_head = m.sum((1, 2)), m[:, BANDS["head"]].sum((1, 2))
    ok = (n_all > 0) & (n_head > 0)
    if not ok.any():
        return float("nan")
    centre = (m * cols).sum((1, 2))[ok] / n_all[ok]
    head = (m[:, BANDS["head"]] * cols).sum((1, 2))[ok] / n_head[ok]
    return float((head - centre).mean())


def back_extent(frames: np.ndarray, faces_left: bool = False) -> float:
    """Mean distance (px) from the column-mass centre to the rearmost pixel over the upper-body rows at 90°
    (the back is on the image left for a walker facing right, on the right for one facing left)."""
    m = frames[:, 12:34] > 127  # [t, rows, 64] shoulders to hips
    out = []
    for f in m:
        cols = np.nonzero(f.any(0))[0]
        if cols.size:
            out.append(cols[-1] - 32 if faces_left else 32 - cols[0])
    return float(np.mean(out))


def sequence_stats(frames: np.ndarray) -> dict | None:
    """Figures of one pretreated `[t, 64, w]` sequence; None when it is shorter than `MIN_FRAMES`."""
    if len(frames) < MIN_FRAMES:
        return None
    w = widths(frames)
    return {"frames": len(frames), "fg": float((frames > 127).mean()), "width": float(w.mean()),
            "width_std": float(w.std()), "period": width_period(w), "sep_legs": separated_leg_share(frames),
            "head_lead": head_lead(frames), "bands": band_profile(frames)}


def measure(index: DatasetIndex, views: set[str] | None, name: str) -> dict:
    """Per-(view, type prefix) statistics of every sequence of `index` (views filtered to `views` names).

    Returns {'cells': {view: {prefix: summary}}, 'coat_widening': {view: px}, 'sequences', 'short'}.
    """
    per = defaultdict(list)  # (view, prefix) -> [stats]
    by_subject = defaultdict(lambda: defaultdict(list))  # (view, prefix) -> subject -> [width]
    short = 0
    records = [r for r in index if views is None or r.labels.view_name in views]
    for i, rec in enumerate(records):
        if i % 200 == 0:
            log(f"{name}: {i}/{len(records)} sequences")
        s = sequence_stats(rec.load())
        lab = rec.labels
        if s is None:
            short += 1
            continue
        key = (lab.view_name, lab.seq_type.split("-")[0])
        per[key].append(s)
        by_subject[key][lab.subject].append(s["width"])
    cells: dict[str, dict] = defaultdict(dict)
    for (view, prefix), items in sorted(per.items()):
        arr = lambda k, items=items: np.array([s[k] for s in items], float)  # noqa: E731
        periods = arr("period")
        cells[view][prefix] = {
            "n": len(items), "frames": float(arr("frames").mean()), "fg_pct": float(100 * arr("fg").mean()),
            "width": float(arr("width").mean()), "width_std": float(arr("width_std").mean()),
            "period": float(np.nanmedian(periods)) if np.isfinite(periods).any() else None,
            "sep_legs_pct": float(100 * np.nanmean(arr("sep_legs"))),
            "head_lead": float(np.nanmean(arr("head_lead"))),
            "bands": {b: float(np.mean([s["bands"][b] for s in items])) for b in BANDS},
        }
    widening = {}
    for view in cells:
        nm, cl = by_subject.get((view, "nm"), {}), by_subject.get((view, "cl"), {})
        both = sorted(set(nm) & set(cl))
        if both:
            widening[view] = float(np.mean([np.mean(cl[s]) - np.mean(nm[s]) for s in both]))
    return {"cells": dict(cells), "coat_widening": widening, "sequences": len(records), "short": short}


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def calibration_table(results: dict[str, dict], real_name: str | None) -> list[str]:
    """Markdown rows of the per-view table, one row per (view, dataset)."""
    lines = ["| view | data | seqs | frames/seq | fg % nm / bg / cl | width nm (mean ± frame std) | period nm | "
             "legs apart, % of leg rows (nm) | head lead px (nm) | coat widening (px) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    views = sorted({v for r in results.values() for v in r["cells"]} | (set(CASIA_B) if real_name is None else set()))
    for view in views:
        if real_name is None and view in CASIA_B:
            ref = CASIA_B[view]
            lines.append(f"| {view} | CASIA-B (stored) | 2,188 in all | {ref[0]} | {ref[1]} / {ref[2]} / {ref[3]} | "
                         f"{ref[4]} | {ref[5]} | – | – | – |")
        for name, res in results.items():
            c = res["cells"].get(view)
            if not c:
                continue
            nm = c.get("nm")
            fg = " / ".join(_fmt(c[t]["fg_pct"]) if t in c else "–" for t in TYPES)
            n = sum(x["n"] for x in c.values())
            lines.append(
                f"| {view} | {name} | {n} | {_fmt(nm and nm['frames'], '.0f')} | {fg} | "
                + (f"{nm['width']:.1f} ± {nm['width_std']:.1f} | {_fmt(nm['period'], '.0f')} | "
                   f"{nm['sep_legs_pct']:.1f} | {nm['head_lead']:+.2f}" if nm else "– | – | – | –")
                + f" | {_fmt(res['coat_widening'].get(view), '+.2f')} |")
    return lines


def profile_table(results: dict[str, dict], view: str) -> list[str]:
    """Markdown rows: mean foreground pixels per row in each band at `view` (nm), one row per dataset."""
    lines = [f"| data ({view}, nm) | " + " | ".join(BANDS) + " |", "|---" * (len(BANDS) + 1) + "|"]
    for name, res in results.items():
        nm = res["cells"].get(view, {}).get("nm")
        if nm:
            lines.append(f"| {name} | " + " | ".join(f"{nm['bands'][b]:.1f}" for b in BANDS) + " |")
    return lines


def elbow_flexion_deg(joints: np.ndarray, labels: list[str]) -> np.ndarray:
    """Elbow flexion (deg, 0 = straight arm) of both arms over a walk's joints `[t, 104, 3]`, `[t, 2]`."""
    ix = {n: i for i, n in enumerate(labels)}
    out = []
    for s in "LR":
        upper = joints[:, ix[f"lowerarm01.{s}"]] - joints[:, ix[f"upperarm01.{s}"]]
        fore = joints[:, ix[f"wrist.{s}"]] - joints[:, ix[f"lowerarm01.{s}"]]
        cos = (upper * fore).sum(-1) / np.linalg.norm(upper, axis=-1) / np.linalg.norm(fore, axis=-1)
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(out, -1)


def hand_pitch_deg(joints: np.ndarray, labels: list[str]) -> np.ndarray:
    """Forward pitch (deg) of the hands (wrist -> middle knuckle) from hanging straight down, `[t, 2]`; the
    walker walks along -Y, so + is pointing forward."""
    ix = {n: i for i, n in enumerate(labels)}
    out = []
    for s in "LR":
        v = joints[:, ix[f"finger3-1.{s}"]] - joints[:, ix[f"wrist.{s}"]]
        out.append(np.degrees(np.arctan2(-v[:, 1], -v[:, 2])))
    return np.stack(out, -1)


def procedural_checks(root: Path, index: DatasetIndex) -> dict | None:
    """Ground-truth checks of a procedural root (None when it has no `groundtruth/`): cadence, spreads, elbow
    flexion, condition effects at 90°."""
    if not (root / "groundtruth").is_dir():
        return None
    from mesh.gait_cycles import load_cycle_library
    from mesh.gait_metrics import arm_swing_deg

    labels = load_cycle_library().bone_labels
    seqs = {}
    for rec in index.filter(views=[90.0]):
        fr = rec.load()
        seqs[(rec.labels.subject, rec.labels.seq_type)] = (fr, rec.labels, widths(fr))
    meas, truth, elbow, hand = [], [], [], []
    per_subject = defaultdict(lambda: defaultdict(list))
    for (sid, stype), (_fr, _lab, w) in seqs.items():
        gt = np.load(root / "groundtruth" / sid / f"{stype}.npz")
        if stype.startswith("nm"):
            meas.append(width_period(w))
            truth.append(float(gt["period_s"]) * float(gt["fps"]) / 2)
            per_subject[sid]["stride"].append(float(gt["stride_m"]))
            per_subject[sid]["arm"].append(arm_swing_deg(gt["joints"], labels))
            elbow.append(elbow_flexion_deg(gt["joints"], labels))
            hand.append(hand_pitch_deg(gt["joints"], labels))
    out: dict = {}
    meas, truth = np.array(meas), np.array(truth)
    ok = ~np.isnan(meas)
    if ok.any():
        out["cadence"] = {"n": int(ok.sum()), "of": len(meas), "truth": float(truth[ok].mean()),
                          "measured": float(meas[ok].mean()), "mad": float(np.abs(meas[ok] - truth[ok]).mean()),
                          "within1_pct": float(100 * (np.abs(meas[ok] - truth[ok]) <= 1).mean()),
                          "corr": float(np.corrcoef(meas[ok], truth[ok])[0, 1]) if ok.sum() > 2 else None}
    for key in ("stride", "arm"):
        means = [np.mean(v[key]) for v in per_subject.values()]
        within = [np.var(v[key]) for v in per_subject.values() if len(v[key]) > 1]
        if within:
            out[f"spread_{key}"] = {"between": float(np.var(means)), "within": float(np.mean(within))}
    if elbow:
        e = np.concatenate(elbow)  # [frames, 2]
        out["elbow_deg"] = {"mean": float(e.mean()), "p5": float(np.percentile(e, 5)),
                            "p95": float(np.percentile(e, 95))}
    if hand:
        h = np.concatenate(hand)
        out["hand_deg"] = {"mean": float(h.mean()), "p5": float(np.percentile(h, 5)),
                           "p95": float(np.percentile(h, 95))}
    coat, back = [], []
    for (sid, _stype), (fr, lab, _) in seqs.items():
        nm = seqs.get((sid, "nm-01"))
        if nm is None:
            continue
        if lab.clothing == "coat":
            coat.append(100 * ((fr > 127).mean() - (nm[0] > 127).mean()))
        if lab.carry == "backpack":
            left = head_lead(nm[0]) < 0  # which way this walker faces in the image
            back.append(back_extent(fr, left) - back_extent(nm[0], left))
    out["coat_fg_gain_90"] = (float(np.mean(coat)), len(coat)) if coat else None
    out["backpack_back_90"] = (float(np.mean(back)), len(back)) if back else None
    return out


def procedural_table(checks: dict[str, dict]) -> list[str]:
    """Markdown rows of the ground-truth checks, one column per procedural dataset."""
    names = list(checks)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, fn) -> None:
        vals = []
        for n in names:
            try:
                vals.append(fn(checks[n]))
            except (KeyError, TypeError):
                vals.append("–")
        lines.append(f"| {label} | " + " | ".join(vals) + " |")

    row("nm at 90°: sequences with a width period", lambda c: f"{c['cadence']['n']} / {c['cadence']['of']}")
    row("ground-truth step period (frames) / width period", lambda c:
        f"{c['cadence']['truth']:.2f} / {c['cadence']['measured']:.2f}")
    row("mean abs. difference (frames); within ±1 frame", lambda c:
        f"{c['cadence']['mad']:.2f}; {c['cadence']['within1_pct']:.0f} %")
    for key, unit in (("stride", "m²"), ("arm", "deg²")):
        row(f"{'stride' if key == 'stride' else 'arm swing'} variance between / within subjects ({unit})",
            lambda c, k=key: f"{c[f'spread_{k}']['between']:.3g} / {c[f'spread_{k}']['within']:.3g}")
    row("elbow flexion while walking (deg): mean [5th-95th pct.]", lambda c:
        f"{c['elbow_deg']['mean']:.0f} [{c['elbow_deg']['p5']:.0f}-{c['elbow_deg']['p95']:.0f}]")
    row("hand pitch forward of straight down (deg): mean [5th-95th pct.]", lambda c:
        f"{c['hand_deg']['mean']:.0f} [{c['hand_deg']['p5']:.0f}-{c['hand_deg']['p95']:.0f}]")
    row("coat: foreground gain at 90° vs the subject's nm-01 (points)",
        lambda c: f"{c['coat_fg_gain_90'][0]:+.2f} (n={c['coat_fg_gain_90'][1]})")
    row("backpack: back contour moves out at 90° (px)",
        lambda c: f"{c['backpack_back_90'][0]:+.2f} (n={c['backpack_back_90'][1]})")
    return lines


def subject_range(text: str) -> list[str]:
    """'001-015' or '001,004,009' -> three-digit subject ids."""
    ids: list[str] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        ids += [f"{i:03d}" for i in range(int(lo), int(hi or lo) + 1)]
    return ids


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="+", metavar="[NAME=]ROOT", help="procedural (or any OpenGait) datasets")
    ap.add_argument("--real", default=None, help="a real OpenGait CASIA-B tree to measure beside them (default: "
                    "show the stored CASIA-B reference figures)")
    ap.add_argument("--real-subjects", default="001-015",
                    help="subject ids of --real to measure, e.g. 001-015 (default: %(default)s)")
    ap.add_argument("--views", default="000,036,054,090,126,180",
                    help="view folders to measure (default: %(default)s)")
    ap.add_argument("--out", default="benchmarks/results/walker_realism.md", help="Markdown report "
                    "(default: %(default)s)")
    ap.add_argument("--json", default=None, help="also write the statistics as JSON here (default: none)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    views = {v.strip() for v in args.views.split(",") if v.strip()}
    datasets = []
    for spec in args.roots:
        name, sep, path = spec.partition("=")
        datasets.append((name, Path(path)) if sep else (Path(spec).name, Path(spec)))
    try:
        results, checks, indices = {}, {}, {}
        if args.real:
            subjects = subject_range(args.real_subjects)
            real = DatasetIndex.open(args.real, kind="opengait", mapping="casia-b").filter(subjects=subjects)
            name = f"real ({len(real.subjects)} ids {args.real_subjects})"
            results[name] = measure(real, views, "real")
        for name, root in datasets:
            indices[name] = DatasetIndex.open(root)
            results[name] = measure(indices[name], views, name)
            c = procedural_checks(root, indices[name])
            if c is not None:
                checks[name] = c
    except GaitCraftError as e:
        print(f"walker_realism: error: {e}", file=sys.stderr)
        return 2
    real_name = next((n for n in results if n.startswith("real")), None)
    lines = [header("Procedural walker: calibration and realism"),
             "datasets: " + "; ".join(f"{n} = `{r}` ({results[n]['sequences']} sequences, "
                                      f"{len(indices[n].subjects)} subjects)" for n, r in datasets) + "\n",
             "### 1. Per-view statistics" + (" beside real CASIA-B" if real_name else
                                             " beside the stored CASIA-B figures (20 subjects, 2,188 sequences)"),
             "", *calibration_table(results, real_name), "",
             "Legs apart: share of leg rows (rows 40-59 of 64) with two or more foreground runs. Coat widening: "
             "per subject, mean width of its cl sequences minus its nm sequences at that view. Head lead: head-row "
             "centre minus the frame's column-mass centre; its sign is the way the walker faces in the image.", "",
             "### 2. Body-shape profile: mean foreground pixels per row, by band (rows of 64)", "",
             *profile_table(results, "000"), "", *profile_table(results, "090"), ""]
    if checks:
        lines += ["### 3. Ground-truth checks of the procedural datasets", "", *procedural_table(checks), ""]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(args.out, text)
    if args.json:
        atomic_write_text(args.json, json.dumps({"datasets": results, "checks": checks}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
