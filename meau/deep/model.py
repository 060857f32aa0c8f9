"""Res3D backbone + SCA head: one logit per AU."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import resnet3d  # noqa: F401  (registers the built-in backbones)
from .registry import get_model
from .sca import SCAHead


class AUNet(nn.Module):
    """``backbone`` (N x 3 x T x H x W -> N x c x t x h x w) followed by :class:`SCAHead`."""

    def __init__(self, backbone: nn.Module, num_aus: int, *, fusion: str = "learn", input_shape=(10, 112, 112),
                 reduced: int = 128, dropout: float = 0.5):
        super().__init__()
        self.backbone = backbone
        _, h, w = backbone.output_shape(tuple(input_shape))
        self.head = SCAHead(backbone.out_channels, (h, w), num_aus, fusion=fusion, reduced=reduced, dropout=dropout)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(clips))

    @torch.no_grad()
    def class_activation_maps(self, clips: torch.Tensor) -> torch.Tensor:
        """CAM_k = sum_c W_fc[k, c] F'_sc[c], upsampled to the input's H x W: N x M x H x W."""
        fused = self.head.fused(self.backbone(clips)).float()
        maps = torch.einsum("kc,nchw->nkhw", self.head.classifier.weight.float(), fused)
        return F.interpolate(maps, size=clips.shape[-2:], mode="bilinear", align_corners=False)


def build_model(backbone: str = "res3d18", num_aus: int = 8, *, fusion: str = "learn", widen_factor: float = 1.0,
                shortcut: str = "B", stem: str = "777", input_shape=(10, 112, 112), reduced: int = 128,
                dropout: float = 0.5) -> AUNet:
    """The paper's model (``fusion='learn'``) or an ablation; ``fusion='none'`` is plain Res3D."""
    builder = get_model(backbone)
    network = builder(widen_factor=widen_factor, shortcut=shortcut, stem=stem)
    return AUNet(network, num_aus, fusion=fusion, input_shape=input_shape, reduced=reduced, dropout=dropout)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
