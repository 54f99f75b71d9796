"""The `gaitcraft` command line. Each subcommand lives in `gaitcraft/commands/<name>.py`
with `add_parser(subparsers)` and `run(args) -> int`; this file only lists them, shows every option's default
in `--help`, and turns user mistakes and machine faults into one line on stderr instead of a traceback."""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import os
import re
import sys
from collections.abc import Iterator

from gaitcraft.errors import WRITE_ERRNOS, GaitCraftError, os_error_message

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
    ("extract", "silhouettes (and 2D poses) from your own videos into an OpenGait tree"),
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

_STATES_DEFAULT = re.compile(r"\bdefault", re.IGNORECASE)


def shows_default(action: argparse.Action) -> bool:
    """Whether `--help` should append this option's default: it has a help line and a real default (not None,
    not False, not empty), it is not a flag (a flag's default is its absence), and its help does not already
    state the default in words."""
    d = action.default
    if not action.help or action.help == argparse.SUPPRESS or d is argparse.SUPPRESS:
        return False
    if d is None or d is False or (isinstance(d, (str, list, tuple, dict)) and not d) or action.nargs == 0:
        return False
    if not action.option_strings and action.nargs not in ("?", "*"):
        return False  # a required positional has no default to show
    return not _STATES_DEFAULT.search(action.help)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Appends '(default: X)' to every option whose help does not already state its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if shows_default(action):
            text += " (default: %(default)s)"
        return text


class _RootHelpFormatter(argparse.RawDescriptionHelpFormatter, DefaultsHelpFormatter):
    """The top-level page keeps its hand-wrapped description."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose usage errors are one line (`gaitcraft CMD: error: ...`, exit 2), not the usage
    dump followed by the message; every subparser made from it is one too."""

    def error(self, message: str):
        """Print one line and exit 2 (argparse's convention for usage errors)."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def _user_type(func):
    """Wrap an argparse `type=` function so its `ValueError` reaches the user as its message; argparse would
    otherwise print 'invalid <function name> value'."""

    @functools.wraps(func)
    def parse(text: str):
        try:
            return func(text)
        except ValueError as e:  # GaitCraftError included
            raise argparse.ArgumentTypeError(_one_line(str(e))) from None

    return parse


def iter_parsers(parser: argparse.ArgumentParser, prog: str | None = None) \
        -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """`(prog, parser)` for `parser` and every subparser under it, nested ones (`recognizer train`) included."""
    yield prog or parser.prog, parser
    for action in parser._actions:  # argparse offers no public way to list a parser's options
        if isinstance(action.choices, dict):
            for name, sub in action.choices.items():
                if isinstance(sub, argparse.ArgumentParser):
                    yield from iter_parsers(sub, f"{prog or parser.prog} {name}")


def _finish(parser: argparse.ArgumentParser) -> None:
    """Give every parser under `parser` the defaults formatter and user-facing type errors."""
    for _, p in iter_parsers(parser):
        if not issubclass(p.formatter_class, DefaultsHelpFormatter):  # keeps a command's own formatter's layout
            own = p.formatter_class
            p.formatter_class = DefaultsHelpFormatter if own is argparse.HelpFormatter else \
                type(own.__name__, (DefaultsHelpFormatter, own), {})
        for action in p._actions:
            if inspect.isfunction(action.type):
                action.type = _user_type(action.type)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = OneLineErrorParser(prog="gaitcraft", description=DESCRIPTION, formatter_class=_RootHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS:
        module = importlib.import_module(f"gaitcraft.commands.{name.replace('-', '_')}")
        p = module.add_parser(sub, name, summary)
        p.set_defaults(_run=module.run)
    _finish(parser)
    return parser


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, run, and print user errors and machine faults (read-only folder, full disk) as one
    line (exit 2) instead of a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    action = getattr(args, "action", None)  # `recognizer train`, `mesh reconstruct`, ...
    name = f"gaitcraft {args.command}" + (f" {action}" if isinstance(action, str) else "")
    try:
        return int(args._run(args) or 0)
    except GaitCraftError as e:
        print(f"{name}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted; finished files are kept, rerun the same command to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (`| head`) left: stop quietly, and keep Python from complaining when it flushes stdout
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:
        out = getattr(args, "out", None) if e.errno in WRITE_ERRNOS else None
        print(f"{name}: error: {_one_line(os_error_message(e, out))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
