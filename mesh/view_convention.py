"""What a dataset's view labels mean as cameras: which side of the walker its cameras stand on.

A view label is an azimuth in degrees (0: the walker comes toward the camera, 90: side view, 180: it walks away).
Between 0 and 180 the label alone does not say whether the camera films the walker's left or its right side.
CASIA-B films the left side (its walkers face left in the image); so does the procedural walker 'v2', while
walker 'v1' filmed the right side. A tree's convention is that of the walker its procedural spec
(`dataset_spec.json`) names; a tree without a spec (real CASIA-B, extracted videos, any other tree) follows
CASIA-B. `mesh.camera.orbit_azimuth` then turns a label into the right-side azimuth that `mesh.reconstruction`
works in.
"""

from __future__ import annotations

import json
from pathlib import Path

from gaitcraft.errors import DataError
from mesh.camera import CASIA_B_SIDE
from mesh.subjects import WALKERS, walker_camera

#: The procedural dataset's spec file, at the root of the tree it describes.
SPEC_FILE = "dataset_spec.json"


def tree_walker(root: str | Path | None) -> str | None:
    """The procedural walker version that drew the tree at `root`, from its spec (a spec without a walker was
    written before walker versions existed: 'v1'); None for a tree without a spec."""
    if root is None:
        return None
    path = Path(root) / SPEC_FILE
    if not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"unreadable dataset spec ({e})", path) from None
    walker = spec.get("walker", "v1") if isinstance(spec, dict) else None
    if walker not in WALKERS:
        raise DataError(f"the dataset spec names no known walker ({walker!r}; valid: {', '.join(WALKERS)})", path)
    return walker


def tree_camera_side(root: str | Path | None) -> str:
    """The side of the walker ('left' or 'right', as in `mesh.camera`) the cameras of the tree at `root` stand on:
    its spec's walker's side, else CASIA-B's."""
    walker = tree_walker(root)
    return CASIA_B_SIDE if walker is None else walker_camera(walker)["side"]


def sequence_tree_root(path: str | Path) -> Path | None:
    """The tree root of one OpenGait sequence file `ROOT/<id>/<type>/<view>/<view>.pkl`, or None when the file is
    not that deep."""
    parents = Path(path).parents
    return parents[3] if len(parents) > 3 else None
