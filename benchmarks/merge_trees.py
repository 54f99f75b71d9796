"""One training tree from several GaitCraft trees: each tree's training subjects, renamed with a label of its own
(`v2` + `001` -> `v2001`), linked into one OpenGait tree with one manifest and one split. The last tree's test
subjects are the merged tree's test set. Use it to train classifiers on several walker versions at once; the
sequences are symbolic links, so the merged tree costs no disk.

    python benchmarks/merge_trees.py --out work/data/mix_v2356 v2=work/data/procedural50v2 \\
        v3=work/data/procedural50v3 v5=work/data/procedural50v5 v6=work/data/procedural50v6
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gaitcraft.errors import ConfigError, DataError, GaitCraftError  # noqa: E402


def parse_source(text: str) -> tuple[str, Path]:
    """'LABEL=TREE' -> (label, tree); the label must be letters and digits."""
    label, sep, tree = text.partition("=")
    if not sep or not label.isalnum() or not tree:
        raise ConfigError(f"a source is LABEL=TREE with a label of letters and digits, got {text!r}")
    return label, Path(tree)


def link(target: Path, link_path: Path) -> None:
    """A symbolic link at `link_path` to `target`; one already there pointing to it is kept (a rerun), one pointing
    elsewhere is an error."""
    if link_path.is_symlink() or link_path.exists():
        if link_path.is_symlink() and Path(os.readlink(link_path)) == target:
            return
        raise DataError("already exists and is not a link to the same sequence", link_path)
    link_path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link_path)


def merge(out: Path, sources: list[tuple[str, Path]], progress: bool = True) -> dict:
    """Link every training sequence of each source (and the last source's test sequences) into `out`; write its
    manifest and split. Returns {'sequences', 'train', 'test'} counts."""
    from tqdm import tqdm

    from gaitcraft.io.manifest import manifest_row, read_manifest, write_manifest
    from gaitcraft.io.opengait_tree import read_opengait_sequence, sequence_folder, write_partition
    from gaitcraft.partition import resolve_partition

    if len({label for label, _ in sources}) < len(sources):
        raise ConfigError("each source needs its own label")
    rows, train, test = [], set(), set()
    for i, (label, tree) in enumerate(sources):
        part = resolve_partition(tree)
        if part.train is None:
            raise DataError("its split trains on every subject; a merged tree needs a train/test split", tree)
        keep = set(part.train) | (set(part.test) if i == len(sources) - 1 else set())
        manifest = read_manifest(tree)
        for key in tqdm(sorted(manifest), desc=f"link {label}", unit="seq", disable=not progress):
            labels = manifest[key]
            if labels.subject not in keep:
                continue
            folder = sequence_folder(tree.resolve(), labels)
            new = replace(labels, subject=label + labels.subject)
            frames = read_opengait_sequence(folder / f"{labels.view_name}.pkl")  # [t, h, w]
            link(folder, sequence_folder(out, new))
            rows.append(manifest_row(new, len(frames)))
            (train if labels.subject in part.train else test).add(new.subject)
    write_manifest(out, rows)
    write_partition(out / "partition.json", sorted(train), sorted(test))
    return {"sequences": len(rows), "train": len(train), "test": len(test)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the merged tree's folder (created)")
    ap.add_argument("sources", nargs="+", metavar="LABEL=TREE", help="a GaitCraft tree and the label its subjects get")
    args = ap.parse_args(argv)
    try:
        counts = merge(Path(args.out), [parse_source(s) for s in args.sources])
    except (GaitCraftError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.out}: {counts['sequences']} sequences, {counts['train']} training and {counts['test']} test subjects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
