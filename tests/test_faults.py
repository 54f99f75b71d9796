"""Fault injection: a read-only output folder, a full disk, SIGKILL mid-write, a corrupt pkl, a truncated video and
files from another version. Each ends in one line on stderr that names the path (exit 2, no traceback), or in a
rerun that gives the same bytes as an uninterrupted run.

The file-system faults are injected (tests may run as root, which ignores permission bits, and may not mount):
`SimulatedDisk` makes every write under one folder fail the way a read-only mount or a full disk fails."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from gaitcraft.cli import main
from gaitcraft.errors import CheckpointError, ConfigError, DataError, GaitCraftError
from gaitcraft.io.frames import write_frame_folder
from gaitcraft.io.video import write_video
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.paths import REPO_ROOT
from gaitcraft.types import Sequence, SequenceLabels
from tests.conftest import walker_blob
from tests.test_generate import files, save_tiny_model

# a tqdm bar as the terminal leaves it ('pretreat: 50%|#####     | 1/2 [...]')
_PROGRESS = re.compile(r"^[\w ]*:\s+\d+%\|")


def shown_lines(err: str) -> list[str]:
    """The stderr lines a terminal shows, progress bars left out (a bar redraws itself with '\\r')."""
    lines = (line.rsplit("\r", 1)[-1] for line in err.split("\n"))
    return [line for line in lines if line.strip() and not _PROGRESS.match(line)]


def cli(capsys, *argv: str) -> tuple[int, str]:
    """Run `gaitcraft ARGV` in-process; (exit status, stderr)."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # argparse's usage errors
        rc = e.code
    return rc, capsys.readouterr().err


def assert_one_line_error(rc: int, err: str, path: Path | str, *words: str) -> str:
    """Exit 2, no traceback, and exactly one shown line on stderr, naming `path` and holding every word."""
    assert rc == 2, err
    assert "Traceback" not in err
    lines = shown_lines(err)
    assert len(lines) == 1, lines
    assert str(path) in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


class SimulatedDisk:
    """Faults for every write under `root`, as the kernel reports them.

    `read_only=errno.EROFS` (a read-only mount) or `errno.EACCES` (a folder the user may not write): creating or
    opening a file for writing, or making a folder, raises that error naming the path.
    `free_bytes=N` (a nearly full disk): writes succeed until N bytes are used up; the write that crosses the
    line stores what fits and raises ENOSPC without a file name, like `write(2)` does."""

    def __init__(self, monkeypatch, root: Path, read_only: int | None = None, free_bytes: int | None = None):
        self.root, self.read_only, self.free = str(root), read_only, free_bytes
        real_os_open, real_mkdir, real_open, real_fdopen = os.open, os.mkdir, builtins.open, os.fdopen

        def os_open(path, flags, mode=0o777, *, dir_fd=None):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                self._refuse(path)
            return real_os_open(path, flags, mode, dir_fd=dir_fd)

        def mkdir(path, mode=0o777, *, dir_fd=None):
            if not os.path.isdir(path):  # an existing folder reports EEXIST even on a read-only mount
                self._refuse(path)
            return real_mkdir(path, mode, dir_fd=dir_fd)

        def open_(file, mode="r", *args, **kwargs):
            writing = isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+")
            if writing:
                self._refuse(file)
            fh = real_open(file, mode, *args, **kwargs)
            return self._filling(fh) if writing and self._inside(file) else fh

        def fdopen(fd, mode="r", *args, **kwargs):
            fh = real_fdopen(fd, mode, *args, **kwargs)
            target = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
            return self._filling(fh) if any(c in mode for c in "wax+") and self._inside(target) else fh

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(builtins, "open", open_)
        monkeypatch.setattr(io, "open", open_)
        monkeypatch.setattr(os, "fdopen", fdopen)

    def _inside(self, path) -> bool:
        p = os.path.abspath(os.fspath(path))
        return p == self.root or p.startswith(self.root + os.sep)

    def _refuse(self, path) -> None:
        if self.read_only is not None and self._inside(path):
            raise OSError(self.read_only, os.strerror(self.read_only), os.fspath(path))

    def _filling(self, fh):
        return _FillingFile(fh, self) if self.free is not None else fh


class _FillingFile:
    """A writable file on a `SimulatedDisk` with a free-space budget."""

    def __init__(self, fh, disk: SimulatedDisk):
        self._fh, self._disk = fh, disk

    def write(self, data):
        n = memoryview(data).nbytes if not isinstance(data, str) else len(data.encode())
        if n > self._disk.free:
            self._fh.write(data[: self._disk.free])
            self._disk.free = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.free -= n
        return self._fh.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __iter__(self):
        return iter(self._fh)

    def __getattr__(self, name):
        return getattr(self._fh, name)


def no_temp_files(root: Path) -> bool:
    """No half-written temp file (`gaitcraft.io.atomic` names them `.<name>.<random>.<ext>`) is left."""
    return not [p for p in root.rglob(".*") if p.is_file()]


@pytest.fixture
def tree(tmp_path) -> Path:
    """A small OpenGait tree (2 subjects x nm-01, bg-01 at 90°)."""
    seqs = [Sequence(walker_blob(t=6, h=64, w=64, seed=i), SequenceLabels(f"{i + 1:03d}", t, 90.0))
            for i in range(2) for t in ("nm-01", "bg-01")]
    write_opengait_tree(tmp_path / "tree", seqs, train=["001"])
    return tmp_path / "tree"


@pytest.fixture
def raw_tree(tmp_path) -> Path:
    """A raw PNG silhouette tree of 4 sequences for `pretreat`."""
    src = tmp_path / "raw"
    for i, sid in enumerate(("001", "002")):
        for stype in ("nm-01", "cl-01"):
            write_frame_folder(src / sid / stype / "090", walker_blob(t=8, h=240, w=320, seed=i))
    return src


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("faults") / "model")


GENERATE = ["--novel", "2", "--view", "0", "90", "--steps", "2", "--batch", "2"]


# ---------------------------------------------------------------- read-only output folder


def test_read_only_output_preview(tree, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    SimulatedDisk(monkeypatch, ro, read_only=errno.EROFS)
    rc, err = cli(capsys, "preview", tree, "--out", ro / "sheet.png")
    assert_one_line_error(rc, err, ro / "sheet.png", "gaitcraft preview: error:", "read-only file system")
    assert list(ro.iterdir()) == []


def test_permission_denied_output_pretreat(raw_tree, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    SimulatedDisk(monkeypatch, ro, read_only=errno.EACCES)
    rc, err = cli(capsys, "pretreat", raw_tree, ro / "out", "--workers", "1")
    assert_one_line_error(rc, err, ro / "out", "permission denied")
    assert list(ro.iterdir()) == []


def test_read_only_output_generate(model, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    SimulatedDisk(monkeypatch, ro, read_only=errno.EROFS)
    rc, err = cli(capsys, "generate", "--model", model, "--out", ro / "gen", *GENERATE)
    assert_one_line_error(rc, err, ro / "gen", "read-only file system")


# ---------------------------------------------------------------- full disk


def test_disk_full_pretreat_names_the_file_and_resumes_to_the_same_bytes(raw_tree, tmp_path, monkeypatch, capsys):
    assert cli(capsys, "pretreat", raw_tree, tmp_path / "ref", "--workers", "1")[0] == 0
    ref = files(tmp_path / "ref")
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        SimulatedDisk(m, out, free_bytes=sum(map(len, ref.values())) // 2)
        rc, err = cli(capsys, "pretreat", raw_tree, out, "--workers", "1")
    line = assert_one_line_error(rc, err, out, "no space left on device", "rerun the same command")
    assert re.search(r"/\d{3}/\w\w-\d\d/090/090\.pkl: ", line), line  # the very file that did not fit
    partial = files(out)
    assert 0 < len(partial) < len(ref) and no_temp_files(out)
    assert all(partial[k] == ref[k] for k in partial)  # nothing half-written is left
    assert cli(capsys, "pretreat", raw_tree, out, "--workers", "1")[0] == 0  # space freed: rerun
    assert files(out) == ref


def test_disk_full_generate_resumes_to_the_same_bytes(model, tmp_path, monkeypatch, capsys):
    assert cli(capsys, "generate", "--model", model, "--out", tmp_path / "ref", *GENERATE)[0] == 0
    ref = files(tmp_path / "ref")
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        SimulatedDisk(m, out, free_bytes=sum(map(len, ref.values())) // 3)
        rc, err = cli(capsys, "generate", "--model", model, "--out", out, *GENERATE)
    assert_one_line_error(rc, err, out, "no space left on device", "rerun the same command")
    assert no_temp_files(out)
    assert cli(capsys, "generate", "--model", model, "--out", out, *GENERATE)[0] == 0
    assert files(out) == ref


def test_fault_without_a_file_name_is_blamed_on_the_output_folder(tree, tmp_path, monkeypatch, capsys):
    """A library that writes through its own handle reports ENOSPC with no file name: --out is named."""
    import gaitcraft.commands.preview as preview

    def full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(preview, "run", full)
    rc, err = cli(capsys, "preview", tree, "--out", tmp_path / "s.png")
    assert_one_line_error(rc, err, tmp_path / "s.png", "no space left on device")


# ---------------------------------------------------------------- SIGKILL mid-write, Ctrl-C

_KILLABLE = """
import os, sys, time
from pathlib import Path
real_fsync = os.fsync
calls = []
def fsync(fd):
    calls.append(fd)
    if len(calls) == 3:  # the third pkl is written to its temp file but not yet renamed: stop here
        Path(sys.argv[1]).write_text("ready")
        time.sleep(120)
    real_fsync(fd)
os.fsync = fsync
from gaitcraft.cli import main
main(sys.argv[2:])
"""


def test_sigkill_mid_write_then_rerun_gives_the_same_bytes(raw_tree, tmp_path, capsys):
    assert cli(capsys, "pretreat", raw_tree, tmp_path / "ref", "--workers", "1")[0] == 0
    out, ready = tmp_path / "out", tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(ready), "pretreat", str(raw_tree), str(out),
                             "--workers", "1"], env=env, cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not ready.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert len(list(out.rglob(".*.tmp"))) == 1  # killed mid-write: a temp file, never a partial pkl
    assert len(list(out.rglob("*.pkl"))) == 2
    assert cli(capsys, "pretreat", raw_tree, out, "--workers", "1")[0] == 0
    assert files(out) == files(tmp_path / "ref")  # the stale temp file is gone too


def test_ctrl_c_is_one_line_and_exit_130(tree, tmp_path, monkeypatch, capsys):
    import gaitcraft.commands.preview as preview

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(preview, "run", interrupted)
    rc, err = cli(capsys, "preview", tree, "--out", tmp_path / "s.png")
    assert rc == 130 and shown_lines(err) == ["gaitcraft preview: interrupted; finished files are kept, rerun the "
                                              "same command to resume"]


# ---------------------------------------------------------------- corrupt inputs


def test_corrupt_pkl(tree, tmp_path, capsys):
    bad = tree / "002" / "bg-01" / "090" / "090.pkl"
    bad.write_bytes(bad.read_bytes()[:50])
    rc, err = cli(capsys, "preview", tree, "--out", tmp_path / "s.png")
    assert_one_line_error(rc, err, bad, "corrupt or truncated")


def test_truncated_video_is_one_line_and_no_decoder_log(tmp_path, capfd):
    frames = np.zeros((12, 64, 64), np.uint8)
    frames[:, 10:54, 24:40] = 255
    write_video(tmp_path / "walk.mp4", frames)
    data = (tmp_path / "walk.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    rc, err = cli(capfd, "preview", tmp_path / "cut.mp4", "--out", tmp_path / "s.png")
    line = assert_one_line_error(rc, err, tmp_path / "cut.mp4", "undecodable video")
    assert line.count(str(tmp_path / "cut.mp4")) == 1


# ---------------------------------------------------------------- configs and runs from another version


def test_yaml_syntax_error_is_one_line_with_line_and_column(tree, tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("train:\n  batch_size: 4\n   lr: [1, 2\n")
    rc, err = cli(capsys, "recognizer", "train", "--data", tree, "--out", tmp_path / "run", "--config", cfg)
    assert_one_line_error(rc, err, cfg, "gaitcraft recognizer train: error:", "line 3, column 6", "invalid YAML")


def test_config_with_a_key_of_another_version(tree, tmp_path, capsys):
    cfg = tmp_path / "newer.yaml"
    cfg.write_text("kind: recognizer\ntrain:\n  total_steps: 2\n  warmup_shape: cosine\n")
    rc, err = cli(capsys, "recognizer", "train", "--data", tree, "--out", tmp_path / "run", "--config", cfg)
    assert_one_line_error(rc, err, "newer.yaml", "unknown key 'train.warmup_shape'")
    older = tmp_path / "older.yaml"  # written before configs said what they configure
    older.write_text("train:\n  total_steps: 2\n")
    rc, err = cli(capsys, "recognizer", "train", "--data", tree, "--out", tmp_path / "run", "--config", older)
    assert_one_line_error(rc, err, "older.yaml", "missing key 'kind'")


def test_run_folder_of_another_version(tree, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    save_file({"w": torch.zeros(2)}, str(run / "model.safetensors"))
    (run / "meta.json").write_text(json.dumps({"format": 0, "classes": ["001"]}))  # no kind, no config
    rc, err = cli(capsys, "recognizer", "eval", "--data", tree, "--checkpoint", run, "--split", "all")
    assert_one_line_error(rc, err, run, "meta.json lacks ['config', 'kind']", "another GaitCraft version")


def test_spec_json_of_another_format(model, tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text('{"identities": 2,}')
    rc, err = cli(capsys, "synth", "--model", model, "--out", tmp_path / "d", "--spec", spec)
    assert_one_line_error(rc, err, spec, "line 1, column 18", "invalid JSON spec")


# ---------------------------------------------------------------- bad flags, library errors


def test_bad_guidance_is_one_line_without_internal_names(model, tmp_path, capsys):
    rc, err = cli(capsys, "generate", "--model", model, "--out", tmp_path / "g", "--novel", "1", "--guidance", "hi")
    assert rc == 2 and "parse_guidance" not in err and "usage:" not in err
    assert shown_lines(err) == ["gaitcraft generate: error: argument --guidance: guidance 'hi' is not a number; give "
                                "one scale (e.g. 4) or FACTOR=SCALE items (e.g. identity=8,view=4) (see `gaitcraft "
                                "generate --help`)"]


def test_gaitcraft_errors_are_value_errors():
    for cls in (GaitCraftError, DataError, ConfigError, CheckpointError):
        with pytest.raises(ValueError, match="x.pkl: broken"):
            raise cls("broken", "x.pkl")
