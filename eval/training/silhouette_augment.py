"""Silhouette domain randomization for classifiers (and recognizers) trained on synthetic walkers.

A classifier trained on rendered silhouettes learns how thick our limbs are and how wide our walkers are, and
real silhouettes differ in both: a background subtractor's threshold grows or eats the edges, and clothes and
bodies vary. Drawing, per training clip, an edge threshold (each frame is smoothed over 3x3 pixels and cut at
that level: below 0.5 the silhouette grows, above it shrinks) and a horizontal stretch makes those cues
useless, so the classifier has to read the view from the shape itself. Each clip gets one draw for all its
frames: the change belongs to the sequence, as a camera's or a segmenter's does.

The same draws that free the view from widths take the coat's cue away (a coat is partly a width), so a
classifier config can randomize only a share of each batch (`share`) and let only some heads (`heads`, e.g. the
view) learn from the changed clips; the other heads learn from the unchanged ones alone.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gaitcraft.errors import ConfigError

#: keeps the augmentation's random stream apart from the run's other streams of the same seed
AUGMENT_SALT = zlib.crc32(b"silhouette-augment")


@dataclass(frozen=True)
class AugmentSection:
    """Per-clip randomization of training silhouettes; the defaults change nothing and draw no random numbers."""

    edge_threshold: tuple[float, ...] = ()  # [lo, hi] within (0, 1), drawn uniformly; () leaves edges alone
    x_scale: tuple[float, float] = (1.0, 1.0)  # [lo, hi] horizontal stretch about the image centre
    share: float = 1.0  # share of each batch's clips that are changed (a coin per clip; 1 changes every clip)
    heads: tuple[str, ...] = ()  # classifier heads that learn from changed clips; () = every head

    @property
    def active(self) -> bool:
        """True when some clip could change."""
        return bool(self.edge_threshold) or tuple(self.x_scale) != (1.0, 1.0)

    def __post_init__(self) -> None:
        """Ranges: two values each, lo <= hi; thresholds within (0, 1), stretch within (0.5, 2)."""
        th, xs = tuple(self.edge_threshold), tuple(self.x_scale)
        if th and (len(th) != 2 or not 0.0 < float(th[0]) <= float(th[1]) < 1.0):
            raise ConfigError(f"augment.edge_threshold must be [lo, hi] with 0 < lo <= hi < 1; got {list(th)}")
        if len(xs) != 2 or not 0.5 < float(xs[0]) <= float(xs[1]) < 2.0:
            raise ConfigError(f"augment.x_scale must be [lo, hi] with 0.5 < lo <= hi < 2; got {list(xs)}")
        if not 0.0 < float(self.share) <= 1.0:
            raise ConfigError(f"augment.share must lie in (0, 1]; got {self.share}")
        if self.heads and float(self.share) == 1.0:
            raise ConfigError("augment.heads needs augment.share below 1: with every clip changed, the other heads "
                              "would have no unchanged clip to learn from")


def cut_edges(frames: torch.Tensor, threshold: float) -> torch.Tensor:
    """Binary float frames [t, h, w] smoothed by a 3x3 mean and cut at `threshold`: 1/9 is a 3x3 dilation, 1 a
    3x3 erosion, thresholds near 0.5 move the edge by a fraction of a pixel."""
    mean = F.avg_pool2d(frames[:, None], 3, stride=1, padding=1, count_include_pad=True)[:, 0]  # [t, h, w]
    return (mean >= threshold - 1e-6).to(frames.dtype)


def stretch_x(frames: torch.Tensor, scale: float) -> torch.Tensor:
    """Stretch float frames [t, h, w] horizontally by `scale` about the image centre (bilinear, then binary)."""
    if scale == 1.0:
        return frames
    t = frames.shape[0]
    theta = torch.tensor([[1.0 / scale, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=frames.dtype,
                         device=frames.device).expand(t, 2, 3)
    grid = F.affine_grid(theta, (t, 1, *frames.shape[1:]), align_corners=False)  # [t, h, w, 2]
    out = F.grid_sample(frames[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return (out[:, 0] > 0.5).to(frames.dtype)


def step_rng(seed: int, step: int, rank: int = 0) -> np.random.Generator:
    """The augmentation draws of training step `step` (0-based) on process `rank`: a function of the run's seed
    and the step alone, so a run resumed from any checkpoint draws exactly what an uninterrupted one does."""
    return np.random.default_rng([seed, AUGMENT_SALT, rank, step])


def randomize_clips(sils: torch.Tensor, aug: AugmentSection,
                    rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomize a batch of binary clips uint8 [n, t, h, w] (0/255) per clip; returns the clips (same shape and
    dtype) and which of them changed, bool [n]. An inactive `aug` returns the input itself and draws nothing;
    with `share` 1 every clip changes and no coin is drawn, so such runs draw what they drew before `share`."""
    n = sils.shape[0]
    if not aug.active:
        return sils, torch.zeros(n, dtype=torch.bool)
    cuts = rng.uniform(*(map(float, aug.edge_threshold or (0.5, 0.5))), size=n)  # [n]
    scales = rng.uniform(float(aug.x_scale[0]), float(aug.x_scale[1]), size=n)  # [n]
    changed = np.ones(n, dtype=bool) if float(aug.share) == 1.0 else rng.random(n) < float(aug.share)  # [n]
    out = sils.clone()
    for i in np.flatnonzero(changed):
        clip = stretch_x(sils[i].float() / 255.0, float(scales[i]))  # [t, h, w] in {0, 1}
        if aug.edge_threshold:
            clip = cut_edges(clip, float(cuts[i]))
        out[i] = (clip > 0.5).to(torch.uint8) * 255
    return out, torch.from_numpy(changed)


def augment_clips(sils: torch.Tensor, aug: AugmentSection, rng: np.random.Generator) -> torch.Tensor:
    """`randomize_clips` without the mask: the randomized clips uint8 [n, t, h, w]."""
    return randomize_clips(sils, aug, rng)[0]


class ClipAugmenter:
    """A trainer's augmentation: call it on each step's batch of clips, in step order, from the run's first
    step this session (`start_step`); each call draws with `step_rng` of its step."""

    def __init__(self, aug: AugmentSection, seed: int, start_step: int = 0, rank: int = 0):
        self.aug, self.seed, self.step, self.rank = aug, seed, start_step, rank

    def __call__(self, sils: torch.Tensor) -> torch.Tensor:
        """This step's clips uint8 [n, t, h, w], randomized (`augment_clips`)."""
        return self.draw(sils)[0]

    def draw(self, sils: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's clips uint8 [n, t, h, w] and which of them changed, bool [n] (`randomize_clips`)."""
        rng = step_rng(self.seed, self.step, self.rank)
        self.step += 1
        return randomize_clips(sils, self.aug, rng)
