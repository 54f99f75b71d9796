"""Subcommands of the `gaitcraft` CLI, one module each."""
