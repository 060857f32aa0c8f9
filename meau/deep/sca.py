"""Spatio-Channel Attention from second-order statistics (Li, Huang, Zhao 2021; after GSoP-Net, Gao et al. 2019).

Both attentions build a covariance matrix of reduced features, normalise it row-wise and turn
each row into weights with a grouped convolution (one group per row). Covariances are computed in
float32 even under autocast.
"""

from __future__ import annotations

import torch
from torch import nn

FUSIONS = ("learn", "max", "avg", "concat", "sa", "ca", "none")


def channel_covariance(x: torch.Tensor) -> torch.Tensor:
    """N x c' x d -> N x c' x c': (X - mean over d)(X - mean over d)^T / d, in float32."""
    x = x.float()
    centred = x - x.mean(dim=2, keepdim=True)
    return centred @ centred.transpose(1, 2) / x.shape[2]


def spatial_covariance(x: torch.Tensor) -> torch.Tensor:
    """N x c' x d -> N x d x d: (X - mean over channels)^T (X - mean over channels) / c', in float32."""
    x = x.float()
    centred = x - x.mean(dim=1, keepdim=True)
    return centred.transpose(1, 2) @ centred / x.shape[1]


class ChannelAttention(nn.Module):
    """W_ch (N x c x 1 x 1) from the channel covariance of a reduced feature map."""

    def __init__(self, channels: int, reduced: int = 128):
        super().__init__()
        self.reduce = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, reduced, 1), nn.BatchNorm2d(reduced), nn.ReLU())
        self.row_norm = nn.BatchNorm2d(reduced)
        self.row_conv = nn.Conv2d(reduced, 4 * reduced, kernel_size=(reduced, 1), groups=reduced)
        self.expand = nn.Conv2d(4 * reduced, channels, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.reduce(features).flatten(2)  # N x c' x d
        # inside autocast the matmul would run in bf16 again: the covariance path stays float32
        with torch.autocast(device_type=x.device.type, enabled=False):
            covariance = channel_covariance(x).unsqueeze(-1)  # N x c' x c' x 1
            rows = self.row_conv(self.row_norm(covariance))  # N x 4c' x 1 x 1
        return torch.sigmoid(self.expand(rows))


class SpatialAttention(nn.Module):
    """W_sp (N x 1 x h x w) from the spatial covariance of a reduced feature map with d = h w positions."""

    def __init__(self, channels: int, positions: int, reduced: int = 128):
        super().__init__()
        self.positions = positions
        self.reduce = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, reduced, 1), nn.BatchNorm2d(reduced))
        self.row_norm = nn.BatchNorm2d(positions)
        self.row_conv = nn.Conv2d(positions, 4 * positions, kernel_size=(positions, 1), groups=positions)
        self.expand = nn.Conv2d(4 * positions, positions, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        n, _, h, w = features.shape
        if h * w != self.positions:
            raise ValueError(f"spatial attention was built for {self.positions} positions, got {h} x {w}")
        x = self.reduce(features).flatten(2)  # N x c' x d
        with torch.autocast(device_type=x.device.type, enabled=False):
            covariance = spatial_covariance(x).unsqueeze(-1)  # N x d x d x 1
            rows = torch.relu(self.row_conv(self.row_norm(covariance)))  # N x 4d x 1 x 1
        return torch.sigmoid(self.expand(rows)).reshape(n, 1, h, w)


class SCAHead(nn.Module):
    """Collapse time, apply the chosen attention fusion, pool, dropout, one logit per AU.

    ``forward`` returns the logits; ``fused`` returns F'_sc (N x c x h x w), the map that the class
    activation maps use.
    """

    def __init__(self, channels: int, spatial_shape, num_aus: int, fusion: str = "learn", reduced: int = 128,
                 dropout: float = 0.5):
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {fusion!r}")
        self.fusion = fusion
        positions = int(spatial_shape[0] * spatial_shape[1])
        if fusion in ("learn", "max", "avg", "concat", "ca"):
            self.channel = ChannelAttention(channels, reduced)
        if fusion in ("learn", "max", "avg", "concat", "sa"):
            self.spatial = SpatialAttention(channels, positions, reduced)
        if fusion == "learn":
            self.weight_spatial = nn.Parameter(torch.tensor(0.5))
            self.weight_channel = nn.Parameter(torch.tensor(0.5))
        if fusion == "concat":
            self.merge = nn.Conv2d(2 * channels, channels, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, num_aus)

    def fused(self, features: torch.Tensor) -> torch.Tensor:
        collapsed = features.mean(dim=2)  # mean over time: N x c x h x w
        if self.fusion == "none":
            return collapsed
        if self.fusion == "ca":
            return collapsed * self.channel(collapsed)
        if self.fusion == "sa":
            return collapsed * self.spatial(collapsed)
        by_channel = collapsed * self.channel(collapsed)
        by_space = collapsed * self.spatial(collapsed)
        if self.fusion == "learn":
            return self.weight_spatial * by_space + self.weight_channel * by_channel
        if self.fusion == "max":
            return torch.maximum(by_space, by_channel)
        if self.fusion == "avg":
            return (by_space + by_channel) / 2
        return self.merge(torch.cat([by_space, by_channel], dim=1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        pooled = self.fused(features).mean(dim=(2, 3))
        return self.classifier(self.dropout(pooled))
