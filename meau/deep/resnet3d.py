"""Res3D-18/50/101 (Hara, Kataoka, Satoh, CVPR 2018), written for meau (no torchvision dependency).

Module names follow Hara's files (``conv1``, ``bn1``, ``layerL.B.conv1`` …, ``downsample.0/1``) so that
their checkpoints load by name; torchvision's ``r3d_18`` names are mapped in :mod:`meau.deep.weights`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .registry import register_model

STAGE_PLANES = (64, 128, 256, 512)
STAGE_STRIDES = (1, 2, 2, 2)


def conv3x3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class ShortcutA(nn.Module):
    """Parameter-free shortcut: stride-subsampled identity, zero-padded in channels.

    Unlike the public version it keeps the identity's gradient (no ``.detach()``) and works on any
    device and dtype (the padding is made with ``new_zeros``).
    """

    def __init__(self, out_planes: int, stride: int):
        super().__init__()
        self.out_planes = out_planes
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride, :: self.stride]
        missing = self.out_planes - x.shape[1]
        if missing > 0:
            padding = x.new_zeros((x.shape[0], missing) + tuple(x.shape[2:]))
            x = torch.cat([x, padding], dim=1)
        return x


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv3x3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes)
        self.bn2 = nn.BatchNorm3d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity, inplace=True)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv1x1x1(in_planes, planes)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = conv3x3x3(planes, planes, stride)  # the stride is on the 3x3x3 conv
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = conv1x1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = F.relu(self.bn2(self.conv2(out)), inplace=True)
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity, inplace=True)


class ResNet3D(nn.Module):
    """A 3-D ResNet backbone: input N x 3 x T x H x W -> feature map N x c x t x h x w (no classifier).

    Parameters
    ----------
    block : BasicBlock or Bottleneck
    layers : four block counts
    widen_factor : float
        Multiplies every stage's planes (and the stem's); tiny values make test models.
    shortcut : {'B', 'A'}
        'B': 1x1x1 conv + BN where the shape changes; 'A': parameter-free (Hara's 2018 R18/34 files).
    stem : {'777', '377'}
        '777': Conv3d 7x7x7, stride (1, 2, 2), then max-pool 3 / 2; '377': torchvision's (3, 7, 7)
        stem, stride (1, 2, 2), without max-pool.
    """

    def __init__(self, block, layers, *, widen_factor: float = 1.0, shortcut: str = "B", stem: str = "777"):
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', not {shortcut!r}")
        if stem not in ("777", "377"):
            raise ValueError(f"stem must be '777' or '377', not {stem!r}")
        planes = [max(1, int(p * widen_factor)) for p in STAGE_PLANES]
        self.block, self.layers, self.widen_factor, self.shortcut, self.stem = block, tuple(layers), widen_factor, shortcut, stem
        self.in_planes = planes[0]
        if stem == "777":
            self.conv1 = nn.Conv3d(3, planes[0], kernel_size=7, stride=(1, 2, 2), padding=3, bias=False)
            self.maxpool = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv3d(3, planes[0], kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm3d(planes[0])
        self.layer1 = self._make_layer(block, planes[0], layers[0], STAGE_STRIDES[0])
        self.layer2 = self._make_layer(block, planes[1], layers[1], STAGE_STRIDES[1])
        self.layer3 = self._make_layer(block, planes[2], layers[2], STAGE_STRIDES[2])
        self.layer4 = self._make_layer(block, planes[3], layers[3], STAGE_STRIDES[3])
        self.out_channels = planes[3] * block.expansion
        for module in self.modules():
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm3d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            if self.shortcut == "A":
                downsample = ShortcutA(planes * block.expansion, stride)
            else:
                downsample = nn.Sequential(conv1x1x1(self.in_planes, planes * block.expansion, stride),
                                           nn.BatchNorm3d(planes * block.expansion))
        stage = [block(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * block.expansion
        stage += [block(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x)), inplace=True))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def output_shape(self, input_shape) -> tuple[int, int, int]:
        """(t, h, w) of the feature map for an input of (T, H, W), computed without running the model."""

        def conv(size, kernel, stride, padding):
            return (size + 2 * padding - kernel) // stride + 1

        t, h, w = input_shape
        if self.stem == "777":
            t, h, w = conv(t, 7, 1, 3), conv(h, 7, 2, 3), conv(w, 7, 2, 3)
            t, h, w = conv(t, 3, 2, 1), conv(h, 3, 2, 1), conv(w, 3, 2, 1)
        else:
            t, h, w = conv(t, 3, 1, 1), conv(h, 7, 2, 3), conv(w, 7, 2, 3)
        for stride in STAGE_STRIDES[1:]:
            t, h, w = conv(t, 3, stride, 1), conv(h, 3, stride, 1), conv(w, 3, stride, 1)
        return t, h, w


DEPTHS = {18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)), 50: (Bottleneck, (3, 4, 6, 3)),
          101: (Bottleneck, (3, 4, 23, 3))}


def backbone_depth(name: str) -> int | None:
    """18 for 'res3d18'; None for a name that is not a built-in Res3D."""
    import re

    match = re.fullmatch(r"res3d(\d+)", name)
    return int(match.group(1)) if match else None


def resnet3d(depth: int, **kwargs) -> ResNet3D:
    if depth not in DEPTHS:
        raise ValueError(f"depth must be one of {sorted(DEPTHS)}, not {depth}")
    block, layers = DEPTHS[depth]
    return ResNet3D(block, layers, **kwargs)


@register_model("res3d18")
def res3d18(**kwargs) -> ResNet3D:
    return resnet3d(18, **kwargs)


@register_model("res3d34")
def res3d34(**kwargs) -> ResNet3D:
    return resnet3d(34, **kwargs)


@register_model("res3d50")
def res3d50(**kwargs) -> ResNet3D:
    return resnet3d(50, **kwargs)


@register_model("res3d101")
def res3d101(**kwargs) -> ResNet3D:
    return resnet3d(101, **kwargs)
