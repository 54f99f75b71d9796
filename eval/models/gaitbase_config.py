"""The GaitBase architecture, declared once.

`GaitBaseArchitecture` is the `model:` section of recognizer and classifier configs; `GaitBaseConfig` adds the
class count, which comes from the training data, and is what a `GaitBase` is built from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gaitcraft.errors import ConfigError


@dataclass(frozen=True)
class GaitBaseArchitecture:
    """Backbone widths and heads of the GaitBase family (OpenGait `model_cfg`). The defaults are OpenGait's
    `gaitbase_da_casiab.yaml`."""

    channels: tuple[int, ...] = (64, 128, 256, 512)  # output channels of layer1..layer4
    layers: tuple[int, ...] = (1, 1, 1, 1)  # BasicBlocks per stage
    strides: tuple[int, ...] = (1, 2, 2, 1)  # first-block stride per stage (no max-pool)
    parts: int = 16  # horizontal strips of the pyramid (OpenGait `bin_num: [16]`)
    embed_dim: int = 256  # output width of each separate FC

    def __post_init__(self) -> None:
        if not (len(self.channels) == len(self.layers) == len(self.strides) == 4):
            raise ConfigError(f"channels, layers and strides need 4 entries each, got channels {list(self.channels)}, "
                              f"layers {list(self.layers)}, strides {list(self.strides)}")
        if self.parts < 1 or self.embed_dim < 1:
            raise ConfigError(f"parts and embed_dim must be positive, got {self.parts} and {self.embed_dim}")


@dataclass(frozen=True)
class GaitBaseConfig(GaitBaseArchitecture):
    """A whole GaitBase model: the architecture and the number of training identities its BNNecks classify."""

    class_num: int = 74  # BNNeck classes (training identities)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.class_num < 1:
            raise ConfigError(f"class_num must be positive, got {self.class_num}")


def model_config(cfg, class_num: int) -> GaitBaseConfig:
    """The `GaitBaseConfig` of a recognizer or classifier config (its `model` section) for `class_num`
    training identities."""
    return GaitBaseConfig(**dataclasses.asdict(cfg.model), class_num=class_num)
