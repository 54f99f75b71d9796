"""GaitBase building blocks, named as in OpenGait (`opengait/modeling/modules.py`, `backbones/resnet.py`).

ResNet9 (torchvision BasicBlocks, no max-pool), the per-frame wrapper, pyramid pooling, separate FCs and BNNecks.
Attribute names (`forward_block`, `conv1.conv`, `fc_bin`, `bn1d`, `downsample.0/1`) fix the state-dict keys.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eval.models.gaitbase_config import GaitBaseArchitecture


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock: conv3x3-BN-ReLU-conv3x3-BN plus a (1x1 conv + BN) shortcut if needed."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class BasicConv2d(nn.Module):
    """A bias-free conv kept in a `.conv` attribute (OpenGait's key layout `conv1.conv.weight`)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ResNet9(nn.Module):
    """OpenGait's ResNet9 backbone for one frame: `[b, 1, h, w]` -> `[b, channels[-1], h/4, w/4]`."""

    def __init__(self, cfg: GaitBaseArchitecture):
        super().__init__()
        self.conv1 = BasicConv2d(1, cfg.channels[0])
        self.bn1 = nn.BatchNorm2d(cfg.channels[0])
        c_in = cfg.channels[0]
        for i, (c, n, s) in enumerate(zip(cfg.channels, cfg.layers, cfg.strides)):
            blocks = [BasicBlock(c_in if j == 0 else c, c, s if j == 0 else 1) for j in range(n)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            c_in = c
        for m in self.modules():  # torchvision's ResNet init
            if isinstance(m, BasicBlock):
                for conv in (m.conv1, m.conv2):
                    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class SetBlockWrapper(nn.Module):
    """Applies a per-frame module to every frame: `[n, c, s, h, w]` -> `[n, c', s, h', w']`."""

    def __init__(self, forward_block: nn.Module):
        super().__init__()
        self.forward_block = forward_block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, s, h, w = x.shape
        x = x.transpose(1, 2).reshape(n * s, c, h, w).contiguous(memory_format=torch.channels_last)
        x = self.forward_block(x)  # [n*s, c', h', w']
        return x.reshape(n, s, *x.shape[1:]).transpose(1, 2)  # [n, c', s, h', w']


class SeparateFCs(nn.Module):
    """One linear map per strip, no bias: `[n, c_in, p]` -> `[n, c_out, p]`; weight `fc_bin` is `[p, c_in, c_out]`."""

    def __init__(self, parts: int, c_in: int, c_out: int):
        super().__init__()
        self.fc_bin = nn.Parameter(nn.init.xavier_uniform_(torch.zeros(parts, c_in, c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x.permute(2, 0, 1).matmul(self.fc_bin)  # [p, n, c_out]
        return out.permute(1, 2, 0).contiguous()  # [n, c_out, p]


class SeparateBNNecks(nn.Module):
    """One BatchNorm1d over all strips (`bn1d` of width c*p, channel-major), then cosine logits per strip.

    `[n, c, p]` -> (normalised features `[n, c, p]`, logits `[n, class_num, p]`) with logits in [-1, 1].
    """

    def __init__(self, parts: int, c_in: int, class_num: int):
        super().__init__()
        self.fc_bin = nn.Parameter(nn.init.xavier_uniform_(torch.zeros(parts, c_in, class_num)))
        self.bn1d = nn.BatchNorm1d(c_in * parts)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, c, p = x.shape
        x = self.bn1d(x.reshape(n, c * p)).reshape(n, c, p)
        feature = F.normalize(x.permute(2, 0, 1), dim=-1)  # [p, n, c]
        logits = feature.matmul(F.normalize(self.fc_bin, dim=1))  # [p, n, class_num]
        return feature.permute(1, 2, 0).contiguous(), logits.permute(1, 2, 0).contiguous()


def horizontal_pyramid_pool(x: torch.Tensor, parts: int) -> torch.Tensor:
    """Mean + max over `parts` horizontal strips: `[n, c, h, w]` -> `[n, c, parts]` (h divisible by parts)."""
    n, c = x.shape[:2]
    z = x.reshape(n, c, parts, -1)  # [n, c, p, h/p * w]
    return z.mean(-1) + z.amax(-1)
