"""Phase-2 memo of training-frame latents: the autoencoder is frozen and per-frame, so a clip's latents are the
latents of its frames, and each frame need be encoded only once however many clips draw it.

Encoding was over half of a phase-2 step on a 2-core CPU (240 frames per step through the 64x44 encoder).
"""

from __future__ import annotations

import torch

from diffusion.autoencoder import SilhouetteAutoencoder


class FrameLatentCache:
    """Latents per (sequence index, frame index), filled on demand, up to `max_bytes` of float32 storage."""

    def __init__(self, autoencoder: SilhouetteAutoencoder, max_bytes: int):
        self.autoencoder = autoencoder
        self.max_bytes = max_bytes
        self.latents: dict[int, torch.Tensor] = {}  # sequence -> [n, c, h', w'] (grown as frames appear)
        self.filled: dict[int, torch.Tensor] = {}  # sequence -> bool [n]
        self.bytes = 0
        self.encoded_frames = 0
        self.full = False  # the budget refused a frame: unseen frames are no longer memoised

    @torch.no_grad()
    def encode(self, sil: torch.Tensor, index: torch.Tensor | None, frames: torch.Tensor | None) -> torch.Tensor:
        """Scaled latents `[b, t, c, h', w']` of clips `sil` `[b, t, 64, 44]`, whose frame `j` of clip `k` is frame
        `frames[k, j]` of training sequence `index[k]`. Without keys (or with the budget spent) it just encodes."""
        if index is None or frames is None:
            return self.autoencoder.encode_video(sil).float()
        keys = [(int(i), f.tolist()) for i, f in zip(index.cpu(), frames.cpu())]
        first: dict[tuple[int, int], tuple[int, int]] = {}  # (sequence, frame) -> where in the batch it first is
        for k, (i, fs) in enumerate(keys):
            for j, f in enumerate(fs):
                if not self._has(i, f):
                    first.setdefault((i, f), (k, j))
        missing = list(first.values())
        if missing and self.full:
            return self.autoencoder.encode_video(sil).float()
        if missing:
            picked = sil[[k for k, _ in missing], [j for _, j in missing]]  # [m, 64, 44]
            z = self.autoencoder.encode_video(picked[None]).float()[0]  # [m, c, h', w']
            for (k, j), zk in zip(missing, z):
                self._put(keys[k][0], keys[k][1][j], zk)
            self.encoded_frames += len(missing)
            if any(not self._has(keys[k][0], keys[k][1][j]) for k, j in missing):  # over budget: no memo
                return self.autoencoder.encode_video(sil).float()
        return torch.stack([self.latents[i][fs] for i, fs in keys]).to(sil.device)

    def _has(self, seq: int, frame: int) -> bool:
        filled = self.filled.get(seq)
        return filled is not None and frame < len(filled) and bool(filled[frame])

    def _put(self, seq: int, frame: int, z: torch.Tensor) -> None:
        """Store one frame's latent, growing the sequence's tensor when the frame lies past its end."""
        store = self.latents.get(seq)
        if store is None or frame >= len(store):
            size = frame + 1 if store is None else max(frame + 1, 2 * len(store))
            extra = size - (0 if store is None else len(store))
            cost = extra * z.numel() * 4
            if self.bytes + cost > self.max_bytes:
                self.full = True
                return
            self.bytes += cost
            grown = torch.zeros(size, *z.shape, dtype=torch.float32)
            mask = torch.zeros(size, dtype=torch.bool)
            if store is not None:
                grown[: len(store)], mask[: len(store)] = store, self.filled[seq]
            self.latents[seq], self.filled[seq] = grown, mask
            store = grown
        store[frame] = z.cpu()
        self.filled[seq][frame] = True
