"""The procedural walker dataset: spec, subjects and renderer."""
