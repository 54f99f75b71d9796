"""conditioning."""
