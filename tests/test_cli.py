"""The CLI: help text with every default, one-line errors without tracebacks, no dependency noise on stderr, and
`info` listing every problem."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

from gaitcraft.cli import COMMANDS, build_parser, iter_parsers, main
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.types import Sequence, SequenceLabels


def _run(*args):
    return subprocess.run([sys.executable, "-m", "gaitcraft.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})


def test_help_for_every_command(capsys):
    for name, _ in COMMANDS:
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0
        assert len(capsys.readouterr().out) > 200, name


def _entries(help_text: str) -> dict[str, str]:
    """Each option's entry in a help page (its first option string -> the entry with all whitespace removed,
    since argparse wraps lines and may break a value at a hyphen)."""
    entries: dict[str, str] = {}
    key = None
    for line in help_text.splitlines():
        m = re.match(r"^  (-{1,2}[\w-]+|\w[\w-]*)", line)
        if m:
            key = m.group(1)
            entries[key] = ""
        elif not line.startswith("  "):
            key = None
        if key:
            entries[key] += re.sub(r"\s+", "", line)
    return entries


def test_help_shows_every_default():
    """Every option with a default, in every subcommand and nested subcommand, shows it in --help; where the help
    states it in words, the stated value is the real one."""
    checked = 0
    for prog, parser in iter_parsers(build_parser()):
        entries = _entries(parser.format_help())
        for action in parser._actions:  # argparse has no public list of a parser's options
            d = action.default
            if d is None or d is False or d is argparse.SUPPRESS or action.nargs == 0 or not action.help:
                continue
            entry = entries[(action.option_strings or [action.dest])[0]]
            assert "default" in entry.lower(), f"{prog} {action.option_strings}: no default in {entry!r}"
            if isinstance(d, (int, float, str)):
                shown = f"{d:g}" if isinstance(d, float) else str(d)
                assert shown in entry, f"{prog} {action.option_strings}: default {d!r}, help says {entry!r}"
            checked += 1
    assert checked > 30  # the walk reached the nested subcommands too


def test_help_appends_a_missing_default(capsys):
    with pytest.raises(SystemExit):
        main(["recognizer", "eval", "--help"])
    assert "evaluation protocol (default: casia-b)" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_cpu_run_prints_no_warp_cuda_notice():
    """warp (anny's skinning backend) prints a CUDA-driver notice from native code on every machine without one."""
    r = subprocess.run([sys.executable, "-c", "from mesh.anny_model import load_anny; load_anny()"],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "CUDA" not in r.stderr and "Warp" not in r.stderr, r.stderr


def test_missing_path_is_one_line_error():
    r = _run("info", "/no/such/dir")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0
    assert "/no/such/dir: path does not exist" in r.stderr


def test_info_lists_every_problem(tmp_path):
    seqs = [Sequence(np.full((5, 64, 64), 255, np.uint8), SequenceLabels(f"{s:03d}", "nm-01", 90.0))
            for s in range(3)]
    write_opengait_tree(tmp_path, seqs, manifest=False)
    (tmp_path / "000" / "nm-01" / "090" / "090.pkl").write_bytes(b"truncated")
    grey = np.full((5, 64, 64), 100, np.uint8)
    grey[:, :10] = 255
    (tmp_path / "001" / "nm-01" / "090" / "090.pkl").write_bytes(pickle.dumps(grey))
    (tmp_path / "002" / "nm-01" / "090" / "notes.txt").write_text("hi")
    (tmp_path / "003" / "nm-01" / "090").mkdir(parents=True)
    r = _run("info", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    reasons = {os.path.relpath(p["path"], tmp_path): p["reason"] for p in info["problems"]}
    assert "corrupt or truncated" in reasons["000/nm-01/090/090.pkl"]
    assert info["findings"] == [{"finding": "grayscale 0-255, read as binary at 127", "sequences": 1,
                                 "examples": [str(tmp_path / "001" / "nm-01" / "090" / "090.pkl")]}]
    assert "non-.pkl files" in reasons["002/nm-01/090"]
    assert "empty view folder" in reasons["003/nm-01/090"]
    assert info["sequences"] == 3 and info["frames"]["total"] == 10


def test_preview_writes_sheet(tmp_path):
    seqs = [Sequence(np.full((5, 64, 64), 255, np.uint8), SequenceLabels("001", t, 90.0)) for t in ("nm-01", "cl-01")]
    write_opengait_tree(tmp_path / "d", seqs)
    r = _run("preview", str(tmp_path / "d"), "--out", str(tmp_path / "s.png"), "--gif")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.png").stat().st_size > 0 and len(list(tmp_path.glob("s_*.gif"))) == 2
