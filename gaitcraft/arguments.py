"""Command-line arguments shared by several commands, declared once so that every command names and explains
them the same way."""

from __future__ import annotations

from gaitcraft.errors import ConfigError
from gaitcraft.partition import PARTITION_FILE

PARTITION_HELP = ("the train/test split: an OpenGait partition JSON (" + '{"TRAIN_SET": [...], "TEST_SET": [...]}'
                  + "), a standard split by name (casia-b: train 001-074, test 075-124; oumvlp: odd ids train, "
                  "even ids test), or 'all' (every identity trains, none is held out). Identities in neither list "
                  f"are not used. (default: DATA/{PARTITION_FILE}; with neither, the command stops and says so)")
ALLOW_TEST_IDS_HELP = ("train even on identities that the split, or the tree's own partition.json, marks as TEST "
                       "(default: refused: scores on test identities that were trained on are not held-out scores)")


def add_partition_arguments(parser, training: bool = True) -> None:
    """Add `--partition` (and, for trainers, `--allow-test-ids`) with the same names and help everywhere."""
    parser.add_argument("--partition", metavar="FILE|NAME", help=PARTITION_HELP)
    if training:
        parser.add_argument("--allow-test-ids", action="store_true", help=ALLOW_TEST_IDS_HELP)


def add_frames_limit_argument(parser, scope: str) -> None:
    """Add `--frames-limit N`: how many frames of each sequence the recognizer reads in `scope`."""
    parser.add_argument("--frames-limit", type=int, metavar="N",
                        help=f"in {scope}, read up to N frames spread evenly over each sequence, synthetic and "
                             "reference alike (default: the recognizer's eval.frames_limit); 30 embeds a long real "
                             "reference tree several times faster")


def require_at_least_one(args, *flags: str) -> None:
    """Stop with a one-line error when one of the integer `flags` (argparse dest names) was given below 1."""
    for flag in flags:
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ConfigError(f"--{flag.replace('_', '-')} must be at least 1, got {value}")
