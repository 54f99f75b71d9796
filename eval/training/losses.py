"""GaitBase's training losses: batch-all triplet (margin 0.2) and scaled, label-smoothed cross-entropy.

Both work per horizontal strip and average over strips, as OpenGait's `TripletLoss` and `CrossEntropyLoss`.
The triplet loss can mine per source: anchor, positive and negative all come from one data source, so real
and synthetic sequences are never contrasted (for mixed real + synthetic training).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pairwise_distance(x: torch.Tensor) -> torch.Tensor:
    """Euclidean distances per strip: `[p, n, c]` -> `[p, n, n]`."""
    sq = x.pow(2).sum(-1)  # [p, n]
    d2 = sq.unsqueeze(2) + sq.unsqueeze(1) - 2 * x.matmul(x.transpose(1, 2))
    return F.relu(d2).clamp_min(1e-12).sqrt()


def triplet_loss(
    embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2, sources: torch.Tensor | None = None
) -> tuple[torch.Tensor, dict[str, float]]:
    """Batch-all triplet loss averaged over the non-zero triplets of each strip, then over strips.

    embeddings: `[n, c, p]`; labels: `[n]` integer identities; sources: optional `[n]` integer source ids.
    Positives are other sequences of the anchor's identity; negatives are other identities, restricted to
    the anchor's source when `sources` is given. Returns (loss, info with 'active' = share of non-zero triplets).
    """
    x = embeddings.float().permute(2, 0, 1)  # [p, n, c]
    dist = pairwise_distance(x)  # [p, n, n]
    n = labels.shape[0]
    same = labels.unsqueeze(0) == labels.unsqueeze(1)  # [n, n]
    eye = torch.eye(n, dtype=torch.bool, device=labels.device)
    pos_mask = same & ~eye
    neg_mask = ~same
    if sources is not None:
        neg_mask = neg_mask & (sources.unsqueeze(0) == sources.unsqueeze(1))
    # gather each anchor's positives into a padded [n, kmax] table so the triplet tensor stays [p, n, kmax, n]
    kmax = max(int(pos_mask.sum(1).max()), 1)
    order = torch.argsort(pos_mask.to(torch.int8), dim=1, descending=True, stable=True)[:, :kmax]  # [n, kmax]
    pos_valid = pos_mask.gather(1, order)  # [n, kmax]
    ap = dist.gather(2, order.unsqueeze(0).expand(dist.shape[0], -1, -1))  # [p, n, kmax]
    loss = F.relu(ap.unsqueeze(3) - dist.unsqueeze(2) + margin)  # [p, n, kmax, n]
    valid = pos_valid.unsqueeze(2) & neg_mask.unsqueeze(1)  # [n, kmax, n]
    loss = loss * valid
    flat = loss.reshape(loss.shape[0], -1)  # [p, n*kmax*n]
    nonzero = (flat > 0).sum(-1).float()  # [p]
    per_part = flat.sum(-1) / nonzero.clamp_min(1.0)
    n_valid = float(valid.sum())
    info = {"active": float(nonzero.mean()) / max(n_valid, 1.0), "triplets": n_valid}
    return per_part.mean(), info


def cross_entropy_loss(
    logits: torch.Tensor, labels: torch.Tensor, scale: float = 16.0, label_smoothing: float = 0.1
) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy on `scale`-times cosine logits `[n, classes, p]`, each strip classified separately.

    Returns (loss, info with 'accuracy' = share of strips whose argmax is the label).
    """
    p = logits.shape[2]
    target = labels.unsqueeze(1).expand(-1, p)  # [n, p]
    loss = F.cross_entropy(logits.float() * scale, target, label_smoothing=label_smoothing)
    acc = float((logits.argmax(1) == target).float().mean())
    return loss, {"accuracy": acc}
