"""Entry points for `gaitcraft recognizer train|eval` and `gaitcraft classifiers train|eval`.

Each takes plain CLI values, picks the sequences by the split rules of `gaitcraft.partition` (TRAIN_SET to
train, TEST_SET to evaluate; a tree with no split is refused), runs, prints a short report and returns the
result dict. Errors are `GaitCraftError`s, which the CLI prints as one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.evaluation.report import format_table
from gaitcraft.io.atomic import atomic_write_text
from gaitcraft.splits import evaluation_index, training_index


def _write_json(result: dict[str, Any], json_out: str | Path | None, inputs: dict[str, Any] | None = None) -> None:
    """`result` as JSON at `json_out` (if given), with `inputs` (what was read: tree, model, split) beside it, so
    the file alone says what it scores."""
    if json_out:
        atomic_write_text(json_out, json.dumps({**result, **({"inputs": inputs} if inputs else {})}, indent=1,
                                               default=str))
        print(f"wrote {json_out}")


def _report_training(summary: dict[str, Any], out: str | Path) -> None:
    print(f"trained {summary['steps']} steps in {summary['train_seconds'] / 60:.1f} min on "
          f"{summary['sequences']} sequences -> {out}")
    if summary["short_identities"]:
        ids = summary["short_identities"]
        print(f"note: {len(ids)} identities had fewer than K sequences and were sampled with replacement: "
              f"{', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}")


def recognizer_train(data: str, out: str, config: str | None = None, partition: str | None = None,
                     max_steps: int | None = None, progress: bool = True,
                     reconstructor: str | None = None, allow_test_ids: bool = False,
                     seed: int | None = None) -> dict[str, Any]:
    """`gaitcraft recognizer train --data DIR --out RUN [--config NAME|FILE] [--partition FILE|NAME]
    [--allow-test-ids] [--max-steps N] [--reconstructor RUN] [--seed S]`; with a reconstructor it trains the fused
    (silhouette + 3D heatmap) recognizer from a `fused_recognizer` config (default fused_small), else from a
    `recognizer` config (default gaitbase_cpu_small)."""
    from eval.training.recognizer_config import RecognizerConfig
    from gaitcraft.training import load_config

    kind = "fused_recognizer" if reconstructor else "recognizer"
    config = config or ("fused_small" if reconstructor else "gaitbase_cpu_small")
    cfg = load_config(config, RecognizerConfig, kinds=(kind,),
                      command="recognizer train" + (" --reconstructor" if reconstructor else "")).reseeded(seed)
    index = training_index(data, partition, allow_test_ids)
    if reconstructor:
        from eval.training.train_fused import train_fused

        summary = train_fused(cfg, index, out, reconstructor, max_steps=max_steps, progress=progress)
    else:
        from eval.training.train_recognizer import train

        summary = train(cfg, index, out, max_steps=max_steps, progress=progress)
    _report_training(summary, out)
    return summary


def recognizer_eval(data: str, checkpoint: str, protocol: str = "casia-b", json_out: str | None = None,
                    partition: str | None = None, split: str = "test", progress: bool = True) -> dict[str, Any]:
    """`gaitcraft recognizer eval --data DIR --checkpoint RUN|FILE.pt --protocol casia-b|generic [--json OUT]`.

    The generic protocol ranks every sequence against all the others (self excluded).
    """
    from eval.evaluation.recognizer import evaluate

    result = evaluate(checkpoint, evaluation_index(data, split, partition), protocol, progress=progress)
    print(format_table(result))
    _write_json(result, json_out, {"data": data, "checkpoint": checkpoint, "protocol": protocol, "split": split,
                                   "partition": partition})
    return result


def classifiers_train(data: str, out: str, config: str = "attributes_cpu_small", partition: str | None = None,
                      max_steps: int | None = None, progress: bool = True,
                      allow_test_ids: bool = False, seed: int | None = None) -> dict[str, Any]:
    """`gaitcraft classifiers train --data DIR --out RUN [--config NAME|FILE] [--partition FILE|NAME]
    [--allow-test-ids] [--seed S]`."""
    from eval.training.recognizer_config import ClassifierConfig
    from eval.training.train_classifiers import train_classifiers
    from gaitcraft.training import load_config

    cfg = load_config(config, ClassifierConfig, command="classifiers train").reseeded(seed)
    summary = train_classifiers(cfg, training_index(data, partition, allow_test_ids), out, max_steps=max_steps,
                                progress=progress)
    _report_training(summary, out)
    return summary


def classifiers_eval(data: str, checkpoint: str, json_out: str | None = None, partition: str | None = None,
                     split: str = "test", progress: bool = True) -> dict[str, Any]:
    """`gaitcraft classifiers eval --data DIR --checkpoint RUN [--json OUT] [--split test|all]`."""
    from eval.evaluation.classifiers import evaluate_classifiers

    result = evaluate_classifiers(checkpoint, evaluation_index(data, split, partition), progress=progress)
    print(format_table(result))
    _write_json(result, json_out, {"data": data, "checkpoint": checkpoint, "split": split, "partition": partition})
    return result
