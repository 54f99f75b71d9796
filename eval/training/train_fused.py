"""Train and embed the fused (silhouette + 3D heatmap) recognizer with the recognizer tools.

The recipe is `eval.training.train_recognizer.train`'s exactly (P×K sampler, clip sampling, triplet + CE, SGD, seeds), so
a fused run and a silhouette-only GaitBase run with the same config see the same batches for the same steps.
The frozen reconstructor's keypoints are computed once per whole sequence and cached (`KeypointStore`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from eval.evaluation.embed import data_version, even_frames
from eval.evaluation.embedding_set import EmbeddingSet
from eval.models.fused_recognizer import FusedRecognizer
from eval.models.gaitbase_config import model_config
from eval.training.losses import cross_entropy_loss, triplet_loss
from eval.training.recognizer_config import RecognizerConfig
from eval.training.train_loop import run_loop, sgd_schedule, start_pk_run
from gaitcraft.dataset import ClipDataset, DatasetIndex, sample_frame_indices
from gaitcraft.errors import CheckpointError
from gaitcraft.io.atomic import atomic_save
from gaitcraft.paths import cache_dir
from gaitcraft.pretreat import cut_width
from gaitcraft.training import load_config, model_folder, read_model
from mesh.reconstruction.api import load_reconstructor
from mesh.reconstruction.features3d import sequence_keypoints
from mesh.reconstruction.markers import ANNY_JOINTS


class KeypointStore:
    """Body-frame keypoints `[t, K, 3]` and spreads `[t, K]` of each record, from a frozen reconstructor
    (its own view estimate), cached in `<cache>/keypoints3d/<model hash>/<data hash>.npz`."""

    def __init__(self, reconstructor: str | Path, records: list, progress: bool = True):
        model = load_reconstructor(reconstructor)
        weights = model_folder(reconstructor) / "model.safetensors"
        self.model_id = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
        path = cache_dir() / "keypoints3d" / self.model_id / f"{data_version(records, {'v': 1})}.npz"
        if path.is_file():
            with np.load(path) as z:
                self.kp = [z[f"kp{i}"] for i in range(len(records))]
                self.sigma = [z[f"sigma{i}"] for i in range(len(records))]
            return
        self.kp, self.sigma = [], []
        for r in tqdm(records, desc="3D keypoints", disable=not progress):
            kp, sigma = sequence_keypoints(model, r.load())
            self.kp.append(kp.astype(np.float16))
            self.sigma.append(sigma.astype(np.float16))
        arrays = {f"kp{i}": k for i, k in enumerate(self.kp)} | {f"sigma{i}": s for i, s in enumerate(self.sigma)}
        atomic_save(path, lambda tmp: np.savez(tmp, **arrays), ".npz")

    def clip(self, i: int, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Keypoints `[t, K, 3]` and spreads `[t, K]` of record `i` at frames `idx`, as float32 tensors."""
        return torch.from_numpy(self.kp[i][idx].astype(np.float32)), torch.from_numpy(self.sigma[i][idx].astype(np.float32))


class TokenClips(ClipDataset):
    """`ClipDataset` whose items carry a token naming (record, frames), so the step can fetch the keypoints of
    exactly the sampled frames. Draws frames with the same RNG calls as `ClipDataset` (same clips)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.registry: dict[int, tuple[int, np.ndarray]] = {}
        self._next = 0

    def __getitem__(self, i: int) -> dict:
        arr = self._frames(i)  # [n, 64, 64]
        idx = sample_frame_indices(len(arr), self.frames, self.sampling, self.rng)
        self._next += 1
        self.registry[self._next] = (i, idx)
        return {"sil": torch.from_numpy(np.ascontiguousarray(cut_width(arr[idx]))), "index": self._next}


def train_fused(config: RecognizerConfig | str | Path, index: DatasetIndex, out_dir: str | Path,
                reconstructor: str | Path, *, max_steps: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) the fused recognizer on `index` (the training partition); mirrors
    `eval.training.train_recognizer.train`. `config` is a `fused_recognizer` config (a file, or one built in code,
    whose kind may also be `recognizer`: the recipe is the same)."""
    cfg = config if isinstance(config, RecognizerConfig) else load_config(config, RecognizerConfig, kinds=("fused_recognizer",))
    records = list(index.records)
    store = KeypointStore(reconstructor, records, progress)
    pk = start_pk_run(cfg, index, out_dir, progress, {"reconstructor": store.model_id}, TokenClips)
    t, dataset = cfg.train, pk.dataset
    subjects = sorted({r.labels.subject for r in records})
    labels = torch.tensor([subjects.index(r.labels.subject) for r in records])
    model = FusedRecognizer(model_config(cfg, len(subjects)), len(ANNY_JOINTS))
    optimizer, scheduler = sgd_schedule(model, cfg.optim)
    L = cfg.loss

    def step_fn(net: torch.nn.Module, batch: dict[str, torch.Tensor]):
        items = [dataset.registry.pop(int(tok)) for tok in batch["index"]]
        kp, sigma = zip(*(store.clip(i, idx) for i, idx in items))
        y = labels[[i for i, _ in items]].to(batch["sil"].device)
        out = net(batch["sil"], kp=torch.stack(kp).to(batch["sil"].device), sigma=torch.stack(sigma).to(y.device))
        tri, tri_info = triplet_loss(out["embeddings"], y, L.triplet_margin)
        ce, ce_info = cross_entropy_loss(out["logits"], y, L.ce_scale, L.label_smoothing)
        info = {"triplet": float(tri.detach()), "ce": float(ce.detach()), "active": tri_info["active"], **ce_info}
        return L.triplet_weight * tri + L.ce_weight * ce, info

    out = run_loop(pk, model, optimizer, scheduler, step_fn, t, max_steps, f"{cfg.name}+3d")
    summary = {"steps": out["steps"], "train_seconds": out["train_seconds"], "identities": len(subjects),
               "sequences": len(records), "short_identities": pk.sampler.short_identities, "last": out["last"]}
    pk.run.save_model(out["model"], {"kind": "fused", "config": cfg.to_dict(), "classes": subjects,
                                     "step": out["steps"], "reconstructor": str(reconstructor),
                                     "reconstructor_id": store.model_id, "summary": summary})
    return summary


def load_fused(path: str | Path) -> tuple[FusedRecognizer, dict]:
    """(model in eval mode, meta) of a finished fused run."""
    weights, meta = read_model(path)
    if meta.get("kind") != "fused":
        raise CheckpointError(f"run is a {meta.get('kind')!r} model, not a fused recognizer", path)
    cfg = RecognizerConfig.from_dict(meta["config"])
    model = FusedRecognizer(model_config(cfg, len(meta["classes"])), len(ANNY_JOINTS))
    model.load_state_dict(weights)
    return model.eval(), meta


@torch.no_grad()
def embed_fused(model: FusedRecognizer, records: list, store: KeypointStore, frames_limit: int = 720,
                progress: bool = True) -> EmbeddingSet:
    """Embeddings `[n, embed, parts]` of whole sequences (at most `frames_limit` frames, evenly spaced)."""
    model.eval()
    out = []
    for i, r in enumerate(tqdm(records, desc="embed fused", disable=not progress)):
        arr = r.load()
        idx = even_frames(len(arr), frames_limit)
        kp, sigma = store.clip(i, idx)
        sils = torch.from_numpy(np.ascontiguousarray(cut_width(arr[idx])))[None]
        out.append(model(sils, kp=kp[None], sigma=sigma[None])["embeddings"].float().numpy())
    return EmbeddingSet(np.concatenate(out), [r.labels for r in records])
