"""gaitcraft."""
