"""Quality of a trained generator against its quality targets, measured with the shipped recognizer and attribute
classifiers on the procedural dataset, in one run:

- controllability: view / clothing / carry classifier accuracy on generated sequences, beside the same
  classifiers on real held-out sequences of the same types and views;
- identity retention: rank-1 of generated probes of training identities against a real gallery, as a fraction
  of the real-vs-real rank-1 on the same gallery and probe conditions;
- novel identities: leave-one-out rank-1 among novel identities' sequences, matches forced across view and
  type; re-identification rate against the training identities at the recognizer's FAR = 1% threshold;
- FGD beside the real-vs-real floor: against the training ids' sequences, and against the held-out (test) ids';
- contact sheets of real and generated walks of the same identity, view and type, side by side.

    python benchmarks/generator_quality.py --model assets/models/generator --data work/data/procedural50 \\
        [--ids 10] [--novel 15] [--work work/bench/generator_quality] [--out benchmarks/results/generator_quality.md]

A generator trained on a real OpenGait tree (e.g. CASIA-B, whose `bg` walks carry an unspecified bag) is scored
the same way with that tree, its split and models trained on real train ids:

    python benchmarks/generator_quality.py --model RUN/model --data ~/data/casiab --partition SPLIT.json \\
        --recognizer REAL_RECOGNIZER --classifiers REAL_CLASSIFIERS --novel-views casia-b

Generated trees are kept in --work, so a rerun (or an interrupted run) only generates what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import header, log  # noqa: E402
from benchmarks.real_casiab import contact_sheets  # noqa: E402
from conditioning.identity import IdentityRecipe  # noqa: E402
from conditioning.novel import METHODS  # noqa: E402
from eval.evaluation.classifiers import evaluate_classifiers, load_classifiers  # noqa: E402
from eval.evaluation.generation_metrics import fgd, identity_retention, novel_consistency, privacy_audit  # noqa: E402
from eval.evaluation.privacy import resolve_recognizer  # noqa: E402
from eval.evaluation.recognizer import embed  # noqa: E402
from gaitcraft.dataset import DatasetIndex  # noqa: E402
from gaitcraft.defaults import parse_guidance  # noqa: E402
from gaitcraft.errors import ConfigError  # noqa: E402
from gaitcraft.io.atomic import atomic_write_text  # noqa: E402
from gaitcraft.splits import open_split  # noqa: E402
from synth_datasets.generated.build import prepare  # noqa: E402
from synth_datasets.generated.finalize import assemble  # noqa: E402
from synth_datasets.generated.plan import SeqJob  # noqa: E402
from synth_datasets.generated.sampling import generate_jobs  # noqa: E402
from synth_datasets.generated.spec import GeneratedSpec  # noqa: E402
from synth_datasets.generated.store import check_output  # noqa: E402
from synth_datasets.grid import parse_views  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GEN_TYPES = ("nm-01", "bg-01", "cl-01")  # one sequence per condition: normal, carrying, coat
GALLERY_TYPES = ("nm-01", "nm-02", "nm-03", "nm-04")  # CASIA-B gallery
REAL_PROBE_TYPES = ("nm-05", "bg-01", "cl-01")  # the real probes matching the generated conditions
BARS = {"view": 90.0, "clothing": 95.0, "carry": 95.0}


def training_identity_jobs(train: DatasetIndex, ids: list[str]) -> list[SeqJob]:
    """One job per real (subject, type, view) of GEN_TYPES, with that real sequence's clothing and carry."""
    jobs = []
    for rec in train.filter(subjects=ids, seq_types=GEN_TYPES):
        lab = rec.labels
        jobs.append(SeqJob(lab.subject, lab.seq_type, float(lab.view), IdentityRecipe("train", (lab.subject,)),
                           lab.categorical_labels()))
    return sorted(jobs, key=lambda j: j.key)


def claim_work_dir(root: Path, jobs: list[SeqJob], sha: str, spec: GeneratedSpec) -> None:
    """Record what a generated tree holds (model, sampler, every job's conditions) and refuse to reuse a tree
    made for other settings: finished files are skipped by key, so a stale tree would be scored as new."""
    record = {"model_sha256": sha, "spec": {"guidance": spec.guidance, "steps": spec.steps, "frames": spec.frames,
                                            "seed": spec.seed, "jobs": [[*j.key, *j.conditions.values()] for j in jobs]}}
    try:
        check_output(root, record)  # the same claim `gaitcraft synth` makes on its --out
    except ConfigError as e:
        raise SystemExit(f"{e} (use another --work folder)") from None


def check_exact_labels(classifiers: Path, *indexes: DatasetIndex) -> None:
    """Refuse to score trees whose carry labels are generic (read from type names, not from a manifest) with
    classifiers that know exact bags: each bag would count as wrong. Classifiers trained on a tree of generic
    labels (real CASIA-B: 'bag' / 'none') read them as they are."""
    known = set(load_classifiers(classifiers)[1]["classes"].get("carry", ()))
    if "bag" in known:
        return
    for index in indexes:
        generic = sorted({r.labels.carry for r in index} & {"bag"})
        if generic:
            raise SystemExit(f"{index.root}: carry labels {generic} are generic (no manifest.jsonl?)")


def classify(classifiers: Path, index: DatasetIndex) -> dict[str, float]:
    """Accuracy (%) per attribute."""
    res = evaluate_classifiers(classifiers, index, progress=False)
    return {a: r["accuracy"] for a, r in res["attributes"].items()}


def rows(emb, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings, subject ids) of the masked rows."""
    return emb.embeddings[mask], emb.subjects[mask]


def scoring_parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser with the generator, data and scoring-model options these benchmarks share."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO / "assets" / "models" / "generator"))
    ap.add_argument("--data", default="work/data/procedural50",
                    help="the generator's training tree, with partition.json or --partition")
    ap.add_argument("--partition", help="the split of --data (an OpenGait partition JSON or a standard split "
                                        "name, as `gaitcraft train --partition`; default: DATA/partition.json)")
    ap.add_argument("--recognizer", help="recognizer run (default: the shipped one)")
    ap.add_argument("--classifiers", default=str(REPO / "assets" / "models" / "classifiers"))
    return ap


def main() -> int:
    ap = scoring_parser(__doc__)
    ap.add_argument("--ids", type=int, default=10, help="training identities to regenerate")
    ap.add_argument("--novel", type=int, default=15, help="novel identities")
    ap.add_argument("--novel-views", default="0:180:36", help="views of the novel identities' walks (as "
                    "`gaitcraft synth --views`: 0:180:36, a list, or casia-b)")
    ap.add_argument("--novel-method", default=GeneratedSpec.method, choices=METHODS,
                    help="how novel identities are drawn (as `gaitcraft synth --method`)")
    ap.add_argument("--frames", type=int, default=30, help="frames per generated sequence")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--guidance", type=parse_guidance, default=GeneratedSpec.guidance,
                    help="joint classifier-free guidance scale (4.0), or per-factor scales (identity=8,view=4,carry=6; "
                         "factors left out get 1, i.e. no extra guidance), or all=4,identity=8 (joint base, identity "
                         "set apart), optionally with rescale=0.7")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", default="work/bench/generator_quality")
    ap.add_argument("--out", default="benchmarks/results/generator_quality.md")
    args = ap.parse_args()

    work = Path(args.work)
    train = open_split(args.data, "train", args.partition)
    test = open_split(args.data, "test", args.partition)
    ids = sorted(train.subjects)[: args.ids]
    spec = GeneratedSpec(identities=args.novel, types=GEN_TYPES, views=tuple(parse_views(args.novel_views)),
                     frames=args.frames, seed=args.seed, guidance=args.guidance, method=args.novel_method)
    pipe, spec, record, novel_jobs = prepare(spec, args.model)
    sha = record["model_sha256"]
    timings = {}
    for name, jobs in (("train_ids", training_identity_jobs(train, ids)), ("novel", novel_jobs)):
        log(f"generating {len(jobs)} sequences ({name})")
        claim_work_dir(work / name, jobs, sha, spec)
        done = generate_jobs(pipe, work / name, jobs, lambda j: j.labels(args.seed, sha), args.seed, spec.frames,
                             spec.steps, spec.guidance, args.batch)
        timings[name] = {**done, "sequences": len(jobs)}
        # manifest.jsonl carries the exact labels (carried object, view); without it a tree is read by its
        # folder names, where bg-* only says 'bag' and the carry classifier scores every bag as wrong
        assemble(work / name)
    gen, novel = DatasetIndex.open(work / "train_ids"), DatasetIndex.open(work / "novel")
    check_exact_labels(Path(args.classifiers), gen, novel)

    log("attribute classifiers")
    real_held_out = test.filter(seq_types=GEN_TYPES)
    ctrl = {"generated (training ids)": classify(Path(args.classifiers), gen),
            "generated (novel ids)": classify(Path(args.classifiers), novel),
            "real held-out": classify(Path(args.classifiers), real_held_out)}

    log("recognizer embeddings")
    rec = resolve_recognizer(args.recognizer)
    real_sel = train.filter(predicate=lambda lab: lab.seq_type in GEN_TYPES or (
        lab.subject in ids and lab.seq_type in GALLERY_TYPES + REAL_PROBE_TYPES))
    e_real, e_test = embed(rec, real_sel), embed(rec, real_held_out)
    e_gen, e_novel = embed(rec, gen, cache=False), embed(rec, novel, cache=False)

    gallery = rows(e_real, e_real.select(subjects=ids, seq_types=GALLERY_TYPES))
    probes = rows(e_real, e_real.select(subjects=ids, seq_types=REAL_PROBE_TYPES))
    retention = identity_retention(e_gen.embeddings, e_gen.subjects, *gallery, *probes)
    groups = np.array([f"{lab.view:g}|{lab.seq_type}" for lab in e_novel.labels])
    consistency = novel_consistency(e_novel.embeddings, e_novel.subjects, groups)
    train_all = rows(e_real, e_real.select(seq_types=GEN_TYPES))
    privacy = privacy_audit(e_novel.embeddings, e_novel.subjects, *train_all, e_test.embeddings, e_test.subjects)
    real_same = rows(e_real, e_real.select(subjects=ids, seq_types=GEN_TYPES))
    fgd_train = fgd(e_gen.embeddings, *train_all, seed=args.seed)
    fgd_same = fgd(e_gen.embeddings, real_same[0], None, seed=args.seed)
    fgd_test = fgd(e_gen.embeddings, e_test.embeddings, e_test.subjects, seed=args.seed)
    # the novel set holds more identities than the training-id set: an identity-separating embedding scores a set
    # of few people as far from many real ones, so the novel set is the fairer realism test
    fgd_novel_test = fgd(e_novel.embeddings, e_test.embeddings, e_test.subjects, seed=args.seed)

    log("contact sheets")
    sheet_dir = Path(args.out).parent / (Path(args.out).stem + "_sheets")
    sheet_dir.mkdir(parents=True, exist_ok=True)
    sheets = contact_sheets({"real": train.filter(subjects=ids), "generated": gen}, sorted(gen.values("view")),
                            sheet_dir)

    result = {"out": args.out, "model": args.model, "model_sha256": sha, "spec": spec.to_json(), "training_ids": ids,
              "classifiers": args.classifiers, "recognizer": args.recognizer or "shipped",
              "generation": timings, "controllability": ctrl, "identity_retention": retention,
              "novel_consistency": consistency,
              "privacy": privacy,  # with each novel identity's nearest training identity and distance
              "fgd_vs_all_training_ids": fgd_train, "fgd_vs_same_ids": fgd_same,
              "fgd_vs_test_ids": fgd_test, "fgd_novel_vs_test_ids": fgd_novel_test, "training_ids_all": sorted(train.subjects),
              "test_ids": sorted(test.subjects), "contact_sheets": sheets}
    write_results(Path(args.out), result, report)
    return 0


def write_results(out: Path, result: dict, render) -> None:
    """`out` (Markdown from `render(result)`, also printed) and its `.json` twin, atomically."""
    atomic_write_text(out.with_suffix(".json"), json.dumps(result, indent=2, default=str))
    atomic_write_text(out, render(result))
    print(out.read_text())


def report(r: dict) -> str:
    """The Markdown section."""
    c = r["controllability"]
    lines = [header("Generator quality against its targets"),
             f"- model: `{r['model']}` (sha256 {r['model_sha256'][:12]}); sampler {r['spec']['steps']} steps, "
             f"guidance {r['spec']['guidance']}; training identities {', '.join(r['training_ids'])}; "
             f"{r['spec']['identities']} novel identities ({r['spec']['method']}); types {', '.join(GEN_TYPES)}",
             f"- scored by: classifiers `{r.get('classifiers', 'shipped')}`, recognizer `{r.get('recognizer', 'shipped')}`",
             "- generated: " + "; ".join(f"{k} {v['sequences']} sequences ({v['generated']} new in this run, "
                                          f"{v['seconds']:.0f} s)" for k, v in r["generation"].items()), "",
             "| attribute classifier accuracy (%) | " + " | ".join(c) + " | bar |",
             "|---|" + "---|" * (len(c) + 1)]
    for a, bar in BARS.items():
        lines.append(f"| {a} | " + " | ".join(f"{c[k][a]:.1f}" for k in c) + f" | >= {bar:.0f} |")
    ret, nov, priv = r["identity_retention"], r["novel_consistency"], r["privacy"]
    f1, f2, f3 = r["fgd_vs_all_training_ids"], r["fgd_vs_same_ids"], r.get("fgd_vs_test_ids")
    f4 = r.get("fgd_novel_vs_test_ids")
    n_train = len(r.get("training_ids_all", ())) or "the"
    lines += ["", "| metric | value | bar |", "|---|---|---|",
              f"| rank-1 generated probes vs real gallery (training ids) | {ret['rank1_generated']:.1f} | |",
              f"| rank-1 real probes vs the same gallery | {ret['rank1_real']:.1f} | |",
              f"| identity retention (ratio) | {ret['ratio']:.2f} | >= 0.80 |",
              f"| novel identities: cross-view/type rank-1 among themselves | {nov['rank1']:.1f} ({nov['probes']} probes)"
              " | >= 70 |",
              f"| novel identities re-identified at FAR 1% | {priv['rate']:.1f} % of {priv['identities']} "
              f"(held-out real people: {priv.get('null_rate', float('nan')):.1f} %) | <= 2 % |",
              f"| FGD vs real (all {n_train} training ids, split by identity) | {f1['fgd']:.2f} (floor {f1['floor']:.2f}, "
              f"ratio {f1['ratio']:.2f}) | ratio <= 2 |",
              f"| FGD vs real (same ids and conditions, split by sequence) | {f2['fgd']:.2f} (floor {f2['floor']:.2f}, "
              f"ratio {f2['ratio']:.2f}) | ratio <= 2 |"]
    if f3:
        lines.append(f"| FGD vs real held-out ids ({len(r['test_ids'])}, split by identity) | {f3['fgd']:.2f} "
                     f"(floor {f3['floor']:.2f}, ratio {f3['ratio']:.2f}) | ratio <= 2 |")
    if f4:
        lines.append(f"| FGD of the novel identities vs real held-out ids | {f4['fgd']:.2f} (floor {f4['floor']:.2f}, "
                     f"ratio {f4['ratio']:.2f}, {f4['n_per_set']} a set) | ratio <= 2 |")
    if r.get("contact_sheets"):
        folder = Path(r["out"]).stem + "_sheets" if r.get("out") else "sheets"
        lines += ["", "Contact sheets (real | generated, same identity, type and view): "
                      + ", ".join(f"`{folder}/{s}`" for s in r["contact_sheets"])]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
