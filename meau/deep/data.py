"""Clips for the deep model: RGB, TIM to 50 frames, 10 sampled, short side 128; crops and normalisation on the device.

Clips are decoded and interpolated once and kept as uint8 arrays (cached on disk by content and
parameters); a batch is cropped (random 112 x 112 per clip in training, the centre in testing,
the same crop for all frames of a clip) and normalised on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..video import ClipCache, uniform_indices
from .weights import NORMALISATION


@dataclass(frozen=True)
class ClipSpec:
    frames: int = 10
    tim_frames: int = 50
    short_side: int = 128
    crop: int = 112
    sampling: str = "uniform"  # or 'mean': the mean of `frames` consecutive groups

    def as_dict(self):
        return dict(frames=self.frames, tim_frames=self.tim_frames, short_side=self.short_side, crop=self.crop,
                    sampling=self.sampling)


def sample_frames(clip: np.ndarray, frames: int, sampling: str) -> np.ndarray:
    """``uniform``: indices round(linspace(0, T - 1, frames)); ``mean``: the mean of ``frames`` equal groups."""
    if sampling == "uniform":
        return clip[uniform_indices(len(clip), frames)]
    if sampling == "mean":
        groups = np.array_split(clip.astype(np.float32), frames)
        return np.clip(np.rint(np.stack([g.mean(axis=0) for g in groups])), 0, 255).astype(np.uint8)
    raise ValueError(f"sampling must be 'uniform' or 'mean', not {sampling!r}")


def _load_one(paths, spec_dict, cache_folder):
    spec = ClipSpec(**spec_dict)
    clip = ClipCache(cache_folder).load(paths, color=True, size=None, short_side=spec.short_side,
                                        tim_frames=spec.tim_frames)
    return sample_frames(clip, spec.frames, spec.sampling)


def load_clips(frame_lists, spec: ClipSpec, *, cache=None, n_jobs: int = 1) -> list[np.ndarray]:
    """uint8 clips (T, H, W, 3), T = ``spec.frames``, short side ``spec.short_side``."""
    from joblib import Parallel, delayed

    clips = Parallel(n_jobs=n_jobs)(delayed(_load_one)([str(p) for p in paths], spec.as_dict(),
                                                       str(cache) if cache else None) for paths in frame_lists)
    for clip, paths in zip(clips, frame_lists):
        if min(clip.shape[1:3]) < spec.crop:
            from ..errors import ClipError

            raise ClipError(f"{paths[0]}: frames of {clip.shape[1:3]} are smaller than the {spec.crop} crop")
    return clips


class ClipBatcher:
    """Holds the clips on the device; returns normalised N x 3 x T x crop x crop batches."""

    def __init__(self, clips, device, normalisation: str, crop: int, channels_last: bool = False):
        self.device = torch.device(device)
        self.clips = [torch.from_numpy(np.ascontiguousarray(c)).to(self.device) for c in clips]
        self.crop = crop
        stats = NORMALISATION[normalisation]
        self.scale = stats["scale"] / 255.0
        self.mean = torch.tensor(stats["mean"], device=self.device).view(1, 3, 1, 1, 1)
        self.std = torch.tensor(stats["std"], device=self.device).view(1, 3, 1, 1, 1)
        self.channels_last = channels_last

    def batch(self, indices, *, train: bool, generator: torch.Generator | None = None) -> torch.Tensor:
        crops = []
        for index in indices:
            clip = self.clips[int(index)]  # T x H x W x 3 uint8
            height, width = clip.shape[1:3]
            if train:
                top = int(torch.randint(0, height - self.crop + 1, (1,), generator=generator))
                left = int(torch.randint(0, width - self.crop + 1, (1,), generator=generator))
            else:
                top, left = (height - self.crop) // 2, (width - self.crop) // 2
            crops.append(clip[:, top : top + self.crop, left : left + self.crop])
        x = torch.stack(crops).permute(0, 4, 1, 2, 3).float()  # N x 3 x T x H x W
        x = (x * self.scale - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last_3d)
        return x
