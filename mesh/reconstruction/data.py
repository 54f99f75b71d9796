"""Training clips for the reconstructor: silhouettes of one view plus that walk's body-frame ground truth."""

from __future__ import annotations

import numpy as np
import torch

from gaitcraft.dataset import DatasetIndex, SequenceRecord
from gaitcraft.errors import DataError
from gaitcraft.pretreat import cut_width
from mesh.camera import orbit_azimuth
from mesh.reconstruction.groundtruth import WalkTruth, gt_path, load_walk_truth
from mesh.view_convention import tree_camera_side


def records_with_truth(index: DatasetIndex) -> list[SequenceRecord]:
    """The records of `index` whose walk has a ground-truth sidecar (the procedural dataset's sequences)."""
    if index.root is None:
        raise DataError("the dataset index has no root folder; ground truth is looked up under ROOT/groundtruth")
    out = [r for r in index.records if gt_path(index.root, r.labels.subject, r.labels.seq_type).is_file()]
    if not out:
        raise DataError("no sequence has ground truth (ROOT/groundtruth/<id>/<type>.npz): reconstruction needs "
                        "the procedural dataset", index.root)
    return out


class ReconClips:
    """Random clips of `frames` consecutive frames with targets; `rng` is a NumPy Generator (resumable)."""

    def __init__(self, index: DatasetIndex, frames: int, body, vertex_ids: np.ndarray, joint_ids: np.ndarray,
                 seed: int = 0):
        """`body`: an AnnyBody (exact rest shapes); `vertex_ids`: the layer's vertices; `joint_ids`: the
        anny bones that are the predicted joints."""
        self.root = index.root
        self.side = tree_camera_side(index.root)  # what the view labels mean
        self.records = records_with_truth(index)
        self.frames, self.body = frames, body
        self.vertex_ids, self.joint_ids = np.asarray(vertex_ids), np.asarray(joint_ids)
        self.rng = np.random.default_rng(seed)
        self._truth: dict[tuple[str, str], WalkTruth] = {}
        self._rest: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self._sils: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.records)

    def truth(self, rec: SequenceRecord) -> WalkTruth:
        """The (cached) ground truth of a record's walk."""
        key = (rec.labels.subject, rec.labels.seq_type)
        if key not in self._truth:
            self._truth[key] = load_walk_truth(gt_path(self.root, *key))
        return self._truth[key]

    def rest(self, phenotypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact anny rest vertices at `vertex_ids` [Vs, 3] and bone heads [104, 3] (cached per body)."""
        key = np.asarray(phenotypes, np.float32).tobytes()
        if key not in self._rest:
            out = self.body.forward(None, shape=np.asarray(phenotypes, np.float64)[None])
            self._rest[key] = (out.vertices[0].numpy()[self.vertex_ids], out.joints[0].numpy())
        return self._rest[key]

    def silhouettes(self, i: int) -> np.ndarray:
        """Cut silhouettes `[n, 64, 44]` of record `i` (cached)."""
        if i not in self._sils:
            self._sils[i] = np.ascontiguousarray(cut_width(self.records[i].load()))
        return self._sils[i]

    def item(self, i: int, start: int | None = None) -> dict[str, np.ndarray]:
        """Clip of record `i` starting at `start` (random by default; short sequences loop)."""
        rec = self.records[i]
        sils, truth = self.silhouettes(i), self.truth(rec)
        n = len(sils)
        v = truth.view_index(rec.labels.view)
        if n != len(truth.frames[v]):
            raise DataError(f"{n} silhouettes but the ground truth lists {len(truth.frames[v])} kept frames",
                            rec.path)
        if start is None:
            start = int(self.rng.integers(0, max(1, n - self.frames + 1)))
        idx = (start + np.arange(self.frames)) % n
        tg = truth.targets(rec.labels.view, idx)
        rest_v, rest_h = self.rest(truth.phenotypes)
        return {"sil": sils[idx], "joints": tg["joints"][:, self.joint_ids], "rot": tg["rot"],
                "view_R": tg["view_R"],
                "view_deg": np.float32(orbit_azimuth(rec.labels.view, self.side)),  # the view head's orbit
                "phenotypes": truth.phenotypes, "rest_v": rest_v, "rest_h": rest_h}

    def batch(self, size: int) -> dict[str, torch.Tensor]:
        """A random batch of `size` clips, stacked into tensors."""
        items = [self.item(int(i)) for i in self.rng.integers(0, len(self.records), size)]
        return {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}
