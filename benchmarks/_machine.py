"""Machine and date lines for benchmark reports."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
import threading
import time


def machine_line() -> str:
    """'CPU model, N cores, RAM, Python, torch' for the report header."""
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), model)
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        import torch

        threads = torch.get_num_threads()
        tv = f", torch {torch.__version__} ({threads} thread{'s' * (threads != 1)})"
    except ImportError:
        tv = ""
    return f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {sys.version.split()[0]}{tv}"


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def header(title: str) -> str:
    """A markdown header with the exact command, the machine and the date."""
    cmd = "python " + shlex.join(sys.argv)  # quoted, so the line can be pasted back into a shell
    today = datetime.datetime.now().strftime("%Y-%m-%d %H:%M UTC")
    return f"## {title}\n\n- command: `{cmd}`\n- machine: {machine_line()}\n- date: {today}\n"


class PeakRSS:
    """Context manager sampling this process's resident memory every 5 ms (needs psutil): `.peak_mib`, and `.delta_mib`
    (the peak above the RSS at entry, i.e. what the measured work itself needed)."""

    def __enter__(self) -> PeakRSS:
        import psutil

        self._proc, self._stop, self.peak_mib = psutil.Process(), threading.Event(), 0.0
        self.start_mib = self._proc.memory_info().rss / 2**20
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._proc.memory_info().rss / 2**20)
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.delta_mib = self.peak_mib - self.start_mib
