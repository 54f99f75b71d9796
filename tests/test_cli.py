"""The CLI: help text, one-line errors without tracebacks, and `info` listing every problem."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from gaitcraft.cli import COMMANDS, main
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
