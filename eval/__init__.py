"""Measuring gait data: what it is handed, never how it was made.

- `models`: the recognizer (GaitBase, OpenGait-compatible; the fused silhouette + 3D recognizer) and the attribute
  classifiers;
- `training`: their configs, losses and the shared training loop, and one trainer per model;
- `evaluation`: embeddings, distances, retrieval metrics, protocols, generation metrics (FGD, identity retention),
  the privacy audit, curation signals, the augmentation experiment and report tables;
- `audit`: the biometric-fidelity audit of generative animation models.

`models` imports nothing else of `eval`; `training` and `evaluation` build on it, and `audit` on all three.
`commands` holds what `gaitcraft recognizer` and `gaitcraft classifiers` run.
"""
