"""Pretrained backbones from local files: Hara 2018, Hara 2020 and torchvision ``r3d_18`` state dicts.

Nothing is ever downloaded. The format, depth, shortcut type, stem and class count are inferred
from the tensors; the classifier is dropped; the backbone loads strictly; anything that does not
fit is named in a one-line error. Files are read with ``weights_only=True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MeauError

# How input clips (uint8 RGB) become model input for each family of weights:
# x = (pixels / 255 * scale - mean) / std
NORMALISATION = {
    "hara2018": {"scale": 255.0, "mean": (114.8, 107.7, 99.5), "std": (1.0, 1.0, 1.0)},
    "hara2020": {"scale": 1.0, "mean": (0.4345, 0.4051, 0.3775), "std": (0.2768, 0.2713, 0.2737)},
    "torchvision": {"scale": 1.0, "mean": (0.43216, 0.394666, 0.37645), "std": (0.22803, 0.22145, 0.216989)},
}
# Without pretrained weights meau uses the Hara 2020 statistics (Kinetics, inputs in [0, 1]).
DEFAULT_NORMALISATION = "hara2020"
HARA_2020_CLASSES = {700, 1039, 1139, 800, 339, 439, 100}


class WeightsError(MeauError):
    """A weights file that cannot be read or does not fit the model."""


@dataclass
class Pretrained:
    path: Path
    format: str  # hara2018 | hara2020 | torchvision
    depth: int
    shortcut: str
    stem: str
    widen_factor: float
    num_classes: int | None
    state_dict: dict = field(repr=False)

    @property
    def normalisation(self) -> str:
        return self.format

    def describe(self) -> str:
        return (f"{self.path.name}: {self.format}, Res3D-{self.depth}, shortcut {self.shortcut}, stem {self.stem}, "
                f"{self.num_classes} classes")


_TORCHVISION = [
    (r"^stem\.0\.", "conv1."),
    (r"^stem\.1\.", "bn1."),
    (r"^(layer\d\.\d+)\.conv1\.0\.", r"\1.conv1."),
    (r"^(layer\d\.\d+)\.conv1\.1\.", r"\1.bn1."),
    (r"^(layer\d\.\d+)\.conv2\.0\.", r"\1.conv2."),
    (r"^(layer\d\.\d+)\.conv2\.1\.", r"\1.bn2."),
]


def _read(path: Path) -> dict:
    import torch

    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # corrupt zip, truncated pickle, non-tensor objects ...
        raise WeightsError(f"{path}: cannot read weights ({type(error).__name__}: {str(error).splitlines()[0][:200]})") from None
    if not isinstance(data, dict):
        raise WeightsError(f"{path}: expected a state dict or a dict with 'state_dict', found {type(data).__name__}")
    return data


def read_pretrained(path) -> Pretrained:
    """Read a weights file and infer its format and architecture."""
    import torch

    path = Path(path)
    data = _read(path)
    state = data.get("state_dict", data)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path}: the state dict holds non-tensor entries; not a model checkpoint")
    state = {re.sub(r"^module\.", "", key): value for key, value in state.items()}
    if any(key.startswith("stem.") for key in state):
        fmt = "torchvision"
        renamed = {}
        for key, value in state.items():
            for pattern, replacement in _TORCHVISION:
                key = re.sub(pattern, replacement, key)
            renamed[key] = value
        state = renamed
    elif "conv1.weight" in state:
        fmt = None  # Hara; year decided below
    else:
        raise WeightsError(f"{path}: unknown checkpoint layout (no 'conv1.weight' or 'stem.0.weight'); "
                           "expected Hara 2018/2020 or torchvision r3d_18 weights")
    fc = state.pop("fc.weight", None)
    state.pop("fc.bias", None)
    num_classes = int(fc.shape[0]) if fc is not None else None
    stem_weight = state["conv1.weight"]
    if stem_weight.ndim != 5 or stem_weight.shape[1] != 3:
        raise WeightsError(f"{path}: stem weight of shape {tuple(stem_weight.shape)} is not a 3-D RGB convolution")
    stem = {(7, 7, 7): "777", (3, 7, 7): "377"}.get(tuple(stem_weight.shape[2:]))
    if stem is None:
        raise WeightsError(f"{path}: stem kernel {tuple(stem_weight.shape[2:])} is neither (7, 7, 7) nor (3, 7, 7)")
    blocks = []
    for layer in range(1, 5):
        indices = {int(m.group(1)) for key in state if (m := re.match(rf"layer{layer}\.(\d+)\.", key))}
        blocks.append(len(indices))
    bottleneck = any(".conv3." in key for key in state)
    from .resnet3d import DEPTHS, Bottleneck

    depth = next((d for d, (block, layers) in DEPTHS.items()
                  if tuple(layers) == tuple(blocks) and (block is Bottleneck) == bottleneck), None)
    if depth is None:
        raise WeightsError(f"{path}: blocks per stage {blocks} ({'bottleneck' if bottleneck else 'basic'}) "
                           "match no Res3D-18/34/50/101")
    shortcut = "B" if any(".downsample." in key for key in state) else "A"
    if fmt is None:
        fmt = "hara2020" if num_classes in HARA_2020_CLASSES else "hara2018"
    widen_factor = stem_weight.shape[0] / 64
    return Pretrained(path, fmt, depth, shortcut, stem, widen_factor, num_classes, state)


def load_backbone(backbone, pretrained: Pretrained) -> None:
    """Load ``pretrained`` into ``backbone`` strictly; raise WeightsError naming what does not fit."""
    own = backbone.state_dict()
    missing = [key for key in own if key not in pretrained.state_dict]
    unexpected = [key for key in pretrained.state_dict if key not in own]
    mismatched = [f"{key} {tuple(pretrained.state_dict[key].shape)} vs {tuple(value.shape)}"
                  for key, value in own.items() if key in pretrained.state_dict
                  and pretrained.state_dict[key].shape != value.shape]
    if missing or unexpected or mismatched:
        parts = []
        if mismatched:
            parts.append(f"shape mismatch: {', '.join(mismatched[:3])}")
        if missing:
            parts.append(f"missing: {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}")
        if unexpected:
            parts.append(f"unexpected: {', '.join(unexpected[:3])}{' …' if len(unexpected) > 3 else ''}")
        raise WeightsError(f"{pretrained.path}: does not fit the backbone ({pretrained.describe()}); " + "; ".join(parts))
    backbone.load_state_dict(pretrained.state_dict, strict=True)


def check_architecture(pretrained: Pretrained, backbone_name: str) -> None:
    from .resnet3d import backbone_depth

    expected = backbone_depth(backbone_name)
    if expected is not None and expected != pretrained.depth:
        raise WeightsError(f"{pretrained.path}: a Res3D-{pretrained.depth} checkpoint cannot initialise --backbone "
                           f"{backbone_name}; use --backbone res3d{pretrained.depth}")
