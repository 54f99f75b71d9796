"""Biometric-fidelity audit of generative animation models (`gaitcraft audit`).

Data path: `pairs` (manifest rows; `tree_pairs` builds them for a silhouette generator) -> `inputs` (decode
each clip) -> `extract` (RGB -> pretreated 64x64 silhouettes with failed frames flagged; `background` is the
default extractor, `segmenters` the pluggable others) -> `recognizers` (embeddings, distances) -> `audit`
(per-pair numbers; `gallery` sets the FAR threshold) -> `restoration` / `transfer` (summaries) and
`visual_metrics` -> `report` + `figures` (Markdown, HTML, JSON, scatter plot, worst-case GIFs).
Known answers: `walker` renders body/style combinations and composites RGB videos, `validation` builds the
restoration and transfer cases, `extraction_check` scores extraction against rendered masks. `files` runs it
from files to a report folder (the `gaitcraft audit` command).
"""
