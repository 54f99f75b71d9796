"""Builders of synthetic gait datasets.

- `procedural/`: the rendered walker set (anny bodies + CMU mocap), GaitCraft's embedded default and the test
  oracle: its spec, subjects and the renderer that writes the tree.
- `generated/`: datasets sampled from a trained generator: spec, job plan, batched sampling, the output store,
  finalization (manifest, previews, dataset card) and `gaitcraft generate`'s sequences on demand.
- `card.py` (the dataset card both write) and `grid.py` (sequence types and views) are shared.
"""
