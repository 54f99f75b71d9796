"""The `gaitcraft` command line. Each subcommand lives in `gaitcraft/commands/<name>.py`
with `add_parser(subparsers)` and `run(args) -> int`; this file only lists them and handles errors."""

from __future__ import annotations

import argparse
import importlib
import sys

from gaitcraft.errors import GaitCraftError

# (module under gaitcraft.commands, one-line summary); listed explicitly, no auto-discovery.
COMMANDS: list[tuple[str, str]] = [
    ("demo", "the main job on the embedded default, end to end"),
    ("info", "summarise a dataset and list every problem in it"),
    ("preview", "write a contact sheet (and GIFs) of a dataset's sequences"),
    ("pretreat", "OpenGait pretreatment of a raw PNG silhouette tree into 64x64 pkl"),
    ("procedural", "render the procedural walker dataset (anny bodies + CMU mocap)"),
    ("recognizer", "train / evaluate the GaitBase-compatible gait recognizer"),
    ("classifiers", "train / evaluate view, clothing and carry classifiers"),
    ("audit", "biometric-fidelity audit of generative animation models"),
    ("train", "train the silhouette video diffusion generator"),
    ("mesh", "3D reconstruction from silhouettes (joints, meshes, heatmaps, novel views)"),
    ("generate", "sample silhouette sequences from a trained generator"),
    ("synth", "generate a synthetic gait dataset at scale (novel identities, card, privacy audit)"),
    ("privacy-audit", "re-identification rate of a synthetic dataset's identities"),
    ("augment-experiment", "recognizer trained on real vs real + synthetic, evaluated on real test ids"),
]

DESCRIPTION = """GaitCraft: synthesize, evaluate and export gait silhouette data.

Datasets are OpenGait trees (ROOT/<id>/<type>/<view>/<view>.pkl, uint8 [t, 64, 64]), optionally with a
manifest.jsonl of labels (a GaitCraft tree), raw PNG trees, folders of frames, or video files.
Run `gaitcraft <command> --help` for each command's options."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="gaitcraft", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS:
        module = importlib.import_module(f"gaitcraft.commands.{name.replace('-', '_')}")
        p = module.add_parser(sub, name, summary)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and print user errors as one line (exit 2) instead of a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except GaitCraftError as e:
        print(f"gaitcraft {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gaitcraft {args.command}: interrupted; finished files are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
