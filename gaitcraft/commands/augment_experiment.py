"""`gaitcraft augment-experiment`: does synthetic data help a recognizer? (implementation in
`eval/augment_experiment.py`)."""

from __future__ import annotations


def add_parser(sub, name: str, summary: str):
    """Register `augment-experiment`."""
    from gaitcraft.arguments import add_partition_arguments

    p = sub.add_parser(name, help=summary, description=(
        "Train the recognizer on real-train alone and on real-train + synthetic (same recipe, same number of "
        "steps), evaluate both on the real test identities with the CASIA-B protocol, and write "
        "REPORT/report.md (table + loss/rank-1 figure) and REPORT/report.json. Runs live in REPORT/runs/ and "
        "resume when rerun."))
    p.add_argument("--real", required=True, help="real tree; the TRAIN_SET of its split (--partition) trains, "
                   "its TEST_SET tests")
    p.add_argument("--synthetic", required=True, nargs="+", metavar="TREE",
                   help="synthetic tree, e.g. from gaitcraft synth (the TRAIN_SET of its partition.json; every identity "
                        "when it has none); several trees (e.g. procedural walkers and a generator's people) train "
                        "as one synthetic source, and must not share subject ids")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--config", default="gaitbase_cpu_small", help="recognizer config name or YAML file (default gaitbase_cpu_small)")
    p.add_argument("--steps", type=int, help="training steps of each run (default: the config's total_steps)")
    p.add_argument("--per-source-mining", action="store_true",
                   help="triplets only within one source (real with real, synthetic with synthetic)")
    p.add_argument("--balance-sources", action="store_true",
                   help="each P x K batch draws half its identities from the real set and half from the synthetic "
                        "one (without it, identities are drawn uniformly, so a large synthetic set crowds out the "
                        "real identities; real-only runs are unaffected)")
    p.add_argument("--synthetic-per-batch", type=int, metavar="N",
                   help="add N synthetic identities to each real+synthetic batch beside the config's P real ones, so "
                        "real identities are seen as often as in the real-only run (the batch grows to P+N; takes precedence "
                        "over --balance-sources)")
    p.add_argument("--seed", type=int,
                   help="training seed of both runs (weight init, batches, frame draws; default: the config's "
                        "train.seed); rerun with other seeds into other --out folders to see the spread")
    add_partition_arguments(p)
    p.add_argument("--arm", choices=("real", "real+synthetic"),
                   help="train and evaluate this run only, and write no report: start the two arms as two processes "
                        "(one per core or per machine, same --out and options; the real arm does not read the "
                        "synthetic tree, so it can start while that is still being generated), then run the command "
                        "again without --arm to resume both finished runs and write the report")
    return p


def run(args) -> int:
    """Run the experiment and print the table."""
    from eval.evaluation.augment_experiment import format_report, run_experiment

    result = run_experiment(args.real, args.synthetic, args.out, args.config, args.steps, args.per_source_mining,
                            args.partition, balance_sources=args.balance_sources,
                            synthetic_per_batch=args.synthetic_per_batch, seed=args.seed, arm=args.arm,
                            allow_test_ids=args.allow_test_ids)
    if args.arm is not None:
        rank1 = result["runs"][args.arm]["rank1"]
        print(f"{args.arm}: rank-1 " + ", ".join(f"{k} {'-' if v is None else f'{v:.1f}'}" for k, v in rank1.items())
              + f"; run again without --arm to write the report in {args.out}")
        return 0
    print(format_report(result))
    return 0
