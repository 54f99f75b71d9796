"""One cache for `make` and for `gaitcraft` run directly: the anny body-model build (~800 MB, minutes) must not
happen twice because the two disagree on where the cache is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from gaitcraft.paths import REPO_ROOT, cache_dir

PRINT_CACHE = "from gaitcraft.paths import cache_dir; print(cache_dir())"


def test_default_cache_is_the_checkouts_dot_cache(monkeypatch):
    monkeypatch.delenv("GAITCRAFT_CACHE", raising=False)
    assert cache_dir() == REPO_ROOT / ".cache"
    monkeypatch.setenv("GAITCRAFT_CACHE", "/somewhere/else")
    assert str(cache_dir()) == "/somewhere/else"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_and_a_direct_run_use_the_same_cache(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("GAITCRAFT_CACHE", "MAKEFLAGS", "MAKELEVEL")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    # `make demo` with its python swapped for one that prints the cache folder it would use (the target's own
    # arguments land in sys.argv) and no environment to install
    make = subprocess.run(["make", "-s", "-C", str(REPO_ROOT), "demo", "STAMP=", f"PY={sys.executable} -c '{PRINT_CACHE}'"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert make.returncode == 0, make.stderr
    # `gaitcraft` started from anywhere else
    direct = subprocess.run([sys.executable, "-c", PRINT_CACHE], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert make.stdout.strip() == direct.stdout.strip() == str(REPO_ROOT / ".cache")
