"""`gaitcraft audit`: the biometric-fidelity audit lives in `eval.audit.cli`."""

from eval.audit.cli import add_parser, run

__all__ = ["add_parser", "run"]
