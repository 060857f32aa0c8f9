"""Shallow CNNs on onset -> apex flow images (the flow family of MEB's benchmark), one logit per AU.

Written from their papers' descriptions (layer sizes in ``shared/spec/flow.md``). A builder takes
``num_aus`` (and ``dropout``) and returns a module mapping N x C x S x S flow images in [0, 1] to
N x M logits, with ``channels`` (the flow channels it reads) and ``size`` (S) as attributes.
Third parties add models through the ``meau.flow_models`` entry-point group.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..plugins import Registry

ENTRY_POINT_GROUP = "meau.flow_models"
_FLOW_MODELS = Registry("flow model", ENTRY_POINT_GROUP)


def register_flow_model(name: str):
    def decorate(builder):
        _FLOW_MODELS.register(name, builder)
        return builder

    return decorate


def flow_model_names() -> list[str]:
    return _FLOW_MODELS.names()


def get_flow_model(name: str) -> Callable:
    return _FLOW_MODELS.get(name)


class SSSNet(nn.Module):
    """Varanka, Peng, Zhao 2021: (u, v, strain) at 64 x 64; two conv stages, FC 256."""

    channels = ("u", "v", "strain")
    size = 64

    def __init__(self, num_aus: int, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 5), nn.ReLU(inplace=True), nn.MaxPool2d(3, 3), nn.BatchNorm2d(32), nn.Dropout2d(dropout),
            nn.Conv2d(32, 64, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.BatchNorm2d(64), nn.Dropout2d(dropout))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(9 * 9 * 64, 256), nn.ReLU(inplace=True),
                                        nn.Dropout(dropout), nn.Linear(256, num_aus))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class STSTNet(nn.Module):
    """Liong et al. 2019: (u, v, strain) at 28 x 28; three parallel 3 x 3 branches of 3, 5 and 8 filters."""

    channels = ("u", "v", "strain")
    size = 28

    def __init__(self, num_aus: int, dropout: float = 0.5):
        super().__init__()

        def branch(filters):
            return nn.Sequential(nn.Conv2d(3, filters, 3, padding=2), nn.ReLU(inplace=True), nn.BatchNorm2d(filters),
                                 nn.MaxPool2d(3, stride=3, padding=1), nn.Dropout(dropout))

        self.branches = nn.ModuleList([branch(3), branch(5), branch(8)])
        self.pool = nn.AvgPool2d(2)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(5 * 5 * 16, num_aus))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(torch.cat([branch(x) for branch in self.branches], dim=1)))


class OffApexNet(nn.Module):
    """Gan et al. 2019: (u, v) at 28 x 28; two conv stages, FC 1024."""

    channels = ("u", "v")
    size = 28

    def __init__(self, num_aus: int, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(7 * 7 * 16, 1024),
                                        nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(1024, num_aus))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


register_flow_model("sssnet")(SSSNet)
register_flow_model("ststnet")(STSTNet)
register_flow_model("offapexnet")(OffApexNet)


class FlowBatcher:
    """Flow images on the device; training batches are flipped left-right at random when asked.

    A mirrored flow image is the flow of the mirrored clip: x is reversed and u changes sign, which
    for a min-max normalised u in [0, 1] is 1 - u.
    """

    def __init__(self, images, device, channels, *, flip: bool = False):
        self.device = torch.device(device)
        self.images = torch.as_tensor(images, dtype=torch.float32).to(self.device)
        self.u = list(channels).index("u") if "u" in channels else None
        self.flip = flip

    def batch(self, indices, *, train: bool, generator: torch.Generator | None = None) -> torch.Tensor:
        x = self.images[torch.as_tensor(indices, dtype=torch.long).to(self.device)]
        if train and self.flip:
            mirror = (torch.rand(len(x), generator=generator) < 0.5).to(self.device)
            flipped = x.flip(-1)
            if self.u is not None:
                flipped[:, self.u] = 1 - flipped[:, self.u]
            x = torch.where(mirror.view(-1, 1, 1, 1), flipped, x)
        return x
