"""The training log (`log.jsonl`: one JSON record per logged step) and the progress bar, in one object."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from gaitcraft.io.atomic import atomic_write_text


class JsonlLog:
    """Append-only JSONL log keyed by the run's `step`; opening it for a run resumed at `resume_step` drops the
    records a killed session wrote past that step, so every step is logged once."""

    def __init__(self, path: Path, resume_step: int):
        self.path = path
        if path.is_file():
            lines = [x for x in path.read_text().splitlines() if x.strip()]
            kept = [x for x in lines if _step(x) <= resume_step]
            if len(kept) != len(lines):
                atomic_write_text(path, "".join(x + "\n" for x in kept))

    def write(self, record: dict[str, Any]) -> None:
        """Append one record and flush it to disk."""
        with open(self.path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _step(line: str) -> int:
    """The `step` of a log line (a torn last line from a killed write counts as past any step)."""
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return 2**62


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The records of a run's log (a run folder or its `log.jsonl`); [] when there is none."""
    path = Path(path)
    path = path / "log.jsonl" if path.is_dir() else path
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.is_file() else []


class Progress:
    """A tqdm bar over one stretch of training (`initial` to `total` steps), and a log record every `log_every`
    steps and at `total`, with the session's rate and the run's elapsed training time.

    `offset` counts the run's steps before this stretch (a generator's autoencoder steps before its UNet's):
    the log's `step` is the run's, and with `phase` the record also names the phase and its own step."""

    def __init__(self, log: JsonlLog | None, total: int, initial: int = 0, *, desc: str = "train",
                 log_every: int = 10, offset: int = 0, phase: str | None = None, samples_per_step: int | None = None,
                 seconds_before: float = 0.0, show: tuple[str, ...] = ("loss",), enabled: bool = True):
        self.log, self.total, self.log_every, self.offset, self.phase = log, total, log_every, offset, phase
        self.samples_per_step, self.show, self.seconds_before = samples_per_step, show, seconds_before
        self._bar = tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, disable=not enabled)
        self._t0 = self._t_last = time.perf_counter()
        self._s_last = initial

    @property
    def seconds(self) -> float:
        """Seconds this session has trained."""
        return time.perf_counter() - self._t0

    def update(self, step: int, record: dict[str, Any]) -> None:
        """Step `step` of this stretch finished with the numbers in `record` (loss, lr, ...)."""
        self._bar.update(1)
        if step % self.log_every and step != self.total:
            return
        now = time.perf_counter()
        rate = (step - self._s_last) / max(now - self._t_last, 1e-9)
        self._t_last, self._s_last = now, step
        self._bar.set_postfix({k: _short(record[k]) for k in self.show if k in record}, refresh=False)
        if self.log is None:
            return
        head = {"step": self.offset + step} | ({"phase": self.phase, "phase_step": step} if self.phase else {})
        extra = {"samples_per_s": rate * self.samples_per_step} if self.samples_per_step else {}
        self.log.write(head | record | {"steps_per_s": rate, **extra,
                                        "elapsed_s": self.seconds_before + now - self._t0})

    def close(self) -> None:
        """Close the bar."""
        self._bar.close()


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
