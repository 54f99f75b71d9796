"""User-facing errors: one line that names the file and the problem, printed by the CLI without a traceback."""

from __future__ import annotations

from pathlib import Path


class GaitCraftError(Exception):
    """A problem caused by user input (a file, a flag, a config). The CLI prints it as one line."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DataError(GaitCraftError):
    """A data file or folder is missing, corrupt or of the wrong kind."""


class ConfigError(GaitCraftError):
    """A config file, a flag or a condition value is invalid."""


class CheckpointError(GaitCraftError):
    """A checkpoint is missing, corrupt, or was made by another config or architecture."""
