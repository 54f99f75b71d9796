"""Training clips for the generator: a GaitCraft/OpenGait tree -> labelled 30-frame clip batches + vocabulary."""

from __future__ import annotations

import torch

from conditioning.vocab import ConditionVocab
from gaitcraft.dataset import ClipDataset, DatasetIndex
from gaitcraft.factors import factors, vocabulary_factors


class LabelledClips(torch.utils.data.Dataset):
    """ClipDataset items plus the label of every declared factor, keyed by label field: {"sil": uint8
    [t, 64, 44], "subject", "clothing", "carry", "view", "index", "frames"}; index and frames (the clip's frame
    indices `[t]`) key the phase-2 latent cache."""

    def __init__(self, index: DatasetIndex, frames: int, sampling: str = "fixed_ordered", seed: int = 0):
        self.clips = ClipDataset(index, frames=frames, sampling=sampling, seed=seed, cache=True)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> dict:
        item = self.clips[i]
        lab = self.clips.records[i].labels
        labels = {f.label: float(getattr(lab, f.label)) if f.kind == "continuous" else getattr(lab, f.label)
                  for f in factors()}
        return {"sil": item["sil"], **labels, "index": item["index"], "frames": item["frames"]}


def training_loader(index: DatasetIndex, batch_size: int, frames: int, seed: int = 0
                    ) -> tuple[torch.utils.data.DataLoader, ConditionVocab]:
    """A shuffling DataLoader of labelled clips and the vocabulary of their labels."""
    vocab = ConditionVocab.from_labels(**{f.name: index.values(f.label) for f in vocabulary_factors()})
    loader = torch.utils.data.DataLoader(LabelledClips(index, frames, seed=seed), batch_size=batch_size,
                                         shuffle=True, drop_last=len(index) >= batch_size,
                                         generator=torch.Generator().manual_seed(seed))
    return loader, vocab
