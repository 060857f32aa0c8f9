"""Clips for the deep model: RGB, TIM to 50 frames, 10 sampled, short side 128; crops, augmentation and input on the device.

Clips are decoded and interpolated once and kept as uint8 arrays (cached on disk by content and
parameters). A batch is built on the device: the frames are sampled (with optional temporal jitter
in training), cropped (random ``crop`` x ``crop`` per clip in training, the centre in testing, the
same crop for all frames of a clip), optionally flipped, then turned into the model's input by the
clip's :class:`ClipInput` (``rgb``: normalised colour; ``diff``: each frame minus the onset frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..video import ClipCache, uniform_indices
from .weights import NORMALISATION


@dataclass(frozen=True)
class ClipSpec:
    """How a sample becomes a model input; saved in every checkpoint, so prediction does the same."""

    frames: int = 10
    tim_frames: int = 50
    short_side: int = 128
    crop: int = 112
    sampling: str = "uniform"  # or 'mean': the mean of `frames` consecutive groups
    input: str = "rgb"  # a name of INPUTS: 'rgb' (the paper's) or 'diff'
    magnify: dict | None = None  # Eulerian magnification before TIM (meau.magnify), None: off

    def __post_init__(self):
        from ..magnify import recorded

        object.__setattr__(self, "magnify", recorded(self.magnify))  # a Magnification or its dict: kept as the dict

    def as_dict(self):
        values = dict(frames=self.frames, tim_frames=self.tim_frames, short_side=self.short_side, crop=self.crop,
                      sampling=self.sampling, input=self.input)
        if self.magnify:  # absent when off: checkpoints and caches from before read the same
            values["magnify"] = dict(self.magnify)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "ClipSpec":
        """A spec from a checkpoint's config; files written before ``input`` existed were RGB."""
        return cls(**{"input": "rgb", **values})

    def check(self) -> "ClipSpec":
        """A ``ValueError`` naming the first setting that cannot make a clip."""
        for name, least in (("frames", 1), ("tim_frames", 2), ("short_side", 1), ("crop", 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"ClipSpec.{name} must be an integer >= {least}, not {value!r}")
        if self.crop > self.short_side:
            raise ValueError(f"ClipSpec.crop {self.crop} is larger than short_side {self.short_side}")
        if self.sampling not in ("uniform", "mean"):
            raise ValueError(f"ClipSpec.sampling must be 'uniform' or 'mean', not {self.sampling!r}")
        get_input(self.input)
        return self


@dataclass(frozen=True)
class Augment:
    """Training-time augmentation, applied on the device (none at test time).

    ``flip``: mirror each clip left-right with probability 0.5. meau's labels are per AU without a
    side (``L12`` and ``R12`` both set AU12), so a mirrored clip keeps its labels. ``jitter``: move
    each sampled frame index but the first (the onset) by up to this many TIM frames, keeping order.
    ``crop``: a random crop position (the paper's); off, training takes the centre crop too.
    These defaults are the paper's recipe; ``meau train sca`` turns flips on by default, as measured
    on the synthetic database (README, deep model).
    """

    flip: bool = False
    jitter: int = 0
    crop: bool = True

    def as_dict(self):
        return dict(flip=self.flip, jitter=self.jitter, crop=self.crop)


# -- inputs -------------------------------------------------------------------------------------
class ClipInput:
    """Turns float frames in [0, 1] (N x 3 x T x H x W, on the device) into the model's input.

    A new input (optical flow, say) subclasses this, sets ``name`` and registers in INPUTS; the
    batcher, checkpoints, ``predict`` and ``explain`` then use it by name.
    """

    name = ""

    def __call__(self, frames: torch.Tensor, normalisation: str) -> torch.Tensor:
        raise NotImplementedError


class RGBInput(ClipInput):
    """The paper's input: colour normalised with the statistics of the weights in use."""

    name = "rgb"

    def __call__(self, frames, normalisation):
        stats = NORMALISATION[normalisation]
        mean = torch.tensor(stats["mean"], device=frames.device).view(1, 3, 1, 1, 1)
        std = torch.tensor(stats["std"], device=frames.device).view(1, 3, 1, 1, 1)
        return (frames * stats["scale"] - mean) / std


class DiffInput(ClipInput):
    """Each frame minus the clip's first (onset) frame, divided by a fixed scale.

    A still clip gives exactly zero. The scale (``DIFF_STD``) is fixed, not fitted to a database, so
    a checkpoint means the same everywhere; it is the standard deviation of onset differences
    measured on the synthetic database at the demo's intensity, rounded.
    """

    name = "diff"
    std = 0.05

    def __call__(self, frames, normalisation):
        return (frames - frames[:, :, :1]) / self.std


INPUTS: dict[str, ClipInput] = {cls.name: cls() for cls in (RGBInput, DiffInput)}


def get_input(name: str) -> ClipInput:
    try:
        return INPUTS[name]
    except KeyError:
        raise ValueError(f"unknown input {name!r}; available: {', '.join(INPUTS)}") from None


# -- clips --------------------------------------------------------------------------------------
def sample_frames(clip: np.ndarray, frames: int, sampling: str) -> np.ndarray:
    """``uniform``: indices round(linspace(0, T - 1, frames)); ``mean``: the mean of ``frames`` equal groups."""
    if sampling == "uniform":
        return clip[uniform_indices(len(clip), frames)]
    if sampling == "mean":
        groups = np.array_split(clip.astype(np.float32), frames)
        return np.clip(np.rint(np.stack([g.mean(axis=0) for g in groups])), 0, 255).astype(np.uint8)
    raise ValueError(f"sampling must be 'uniform' or 'mean', not {sampling!r}")


def _load_one(paths, spec_dict, cache_folder, sample):
    from ..errors import ClipError

    spec = ClipSpec(**spec_dict)
    extra = {"magnify": spec.magnify} if spec.magnify else {}
    clip = ClipCache(cache_folder).load(paths, color=True, size=None, short_side=spec.short_side,
                                        tim_frames=spec.tim_frames, **extra)
    if min(clip.shape[1:3]) < spec.crop:
        raise ClipError(f"{paths[0]}: frames of {clip.shape[1:3]} are smaller than the {spec.crop} crop")
    return sample_frames(clip, spec.frames, spec.sampling) if sample else clip


def load_clips(frame_lists, spec: ClipSpec, *, cache=None, n_jobs: int = 1, sample: bool = True,
               failures: dict | None = None) -> list:
    """uint8 clips (T, H, W, 3), short side ``spec.short_side``.

    ``sample=True``: T = ``spec.frames`` (the model's frames); ``sample=False``: the whole TIM clip
    (T = ``spec.tim_frames``), from which the batcher samples, with jitter in training.
    ``failures``: a dict that collects {index: message} of clips that cannot be made (None in the
    list); without it the first one raises.
    """
    from ..parallel import run_guarded

    return run_guarded(_load_one, ([[str(p) for p in paths], spec.as_dict(), str(cache) if cache else None, sample]
                                   for paths in frame_lists), n_jobs=n_jobs, what="clips", failures=failures,
                       progress=False)


def jittered_indices(length: int, count: int, jitter: int, generator: torch.Generator | None) -> np.ndarray:
    """Uniform indices with every one but the first moved by up to ``jitter``, kept in [0, T) and in order."""
    base = uniform_indices(length, count)
    if jitter <= 0:
        return base
    moves = torch.randint(-jitter, jitter + 1, (count,), generator=generator).numpy()
    moves[0] = 0
    return np.sort(np.clip(base + moves, 0, length - 1))


class ClipBatcher:
    """Holds the clips on the device; returns N x 3 x T x crop x crop model inputs.

    ``clips`` are either the sampled clips (T = ``spec.frames``) or whole TIM clips, from which
    frames are sampled per batch (uniformly, jittered in training when ``augment.jitter``).
    """

    def __init__(self, clips, device, normalisation: str, spec: ClipSpec, *, augment: Augment | None = None,
                 channels_last: bool = False):
        self.device = torch.device(device)
        self.clips = [torch.from_numpy(np.ascontiguousarray(c)).to(self.device) for c in clips]
        self.spec = spec
        self.crop = spec.crop
        self.normalisation = normalisation
        self.input = get_input(spec.input)
        self.augment = augment or Augment(crop=False)
        self.channels_last = channels_last

    def _frame_indices(self, length: int, train: bool, generator) -> np.ndarray | None:
        if length == self.spec.frames:
            return None
        return jittered_indices(length, self.spec.frames, self.augment.jitter if train else 0, generator)

    def batch(self, indices, *, train: bool, generator: torch.Generator | None = None) -> torch.Tensor:
        crops = []
        for index in indices:
            clip = self.clips[int(index)]  # T x H x W x 3 uint8
            frame_indices = self._frame_indices(len(clip), train, generator)
            if frame_indices is not None:
                clip = clip[torch.as_tensor(frame_indices, device=self.device)]
            height, width = clip.shape[1:3]
            if train and self.augment.crop:
                top = int(torch.randint(0, height - self.crop + 1, (1,), generator=generator))
                left = int(torch.randint(0, width - self.crop + 1, (1,), generator=generator))
            else:
                top, left = (height - self.crop) // 2, (width - self.crop) // 2
            clip = clip[:, top : top + self.crop, left : left + self.crop]
            if train and self.augment.flip and bool(torch.rand(1, generator=generator) < 0.5):
                clip = clip.flip(2)
            crops.append(clip)
        x = torch.stack(crops).permute(0, 4, 1, 2, 3).float().div_(255.0)  # N x 3 x T x H x W in [0, 1]
        x = self.input(x, self.normalisation)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last_3d)
        return x


class ClipDataset(torch.utils.data.Dataset):
    """A PyTorch ``Dataset`` over a meau dataset: item ``i`` is (model input, AU labels) exactly as
    ``meau train sca`` builds them (TIM, sampled frames, crop, ``rgb`` or ``diff`` input).

    Parameters
    ----------
    dataset : meau.databases.Dataset
        From :func:`meau.load_dataset`.
    spec : ClipSpec
        Frames, TIM length, short side, crop, sampling and input (the command's defaults).
    indices : sequence of int, optional
        The samples to serve (for example a fold of ``splits.csv``); default all.
    train : bool
        Random crops, flips and jitter per ``augment`` (the test-time centre crop otherwise).
    normalisation : str
        Colour statistics of the ``rgb`` input (a name of ``meau.deep.weights.NORMALISATION``; the
        default is what ``train sca`` uses without pretrained weights).
    cache : path-like, optional
        Where decoded, interpolated clips are kept between epochs (by content and parameters).

    Items are ``(x, y)``: ``x`` float32 3 x T x crop x crop, ``y`` float32 (number of AUs,) of 0/1.
    """

    def __init__(self, dataset, spec: ClipSpec = ClipSpec(), *, indices=None, train: bool = False,
                 augment: Augment | None = None, normalisation: str | None = None, cache=None):
        from .weights import DEFAULT_NORMALISATION

        self.dataset = dataset
        self.spec = spec.check()
        self.indices = list(range(len(dataset.table))) if indices is None else [int(i) for i in indices]
        outside = [index for index in self.indices if not 0 <= index < len(dataset.table)]
        if outside:
            raise IndexError(f"ClipDataset: sample index {outside[0]} is outside the dataset's "
                             f"{len(dataset.table)} samples (0..{len(dataset.table) - 1})")
        self.train = train
        self.augment = augment or Augment()
        self.normalisation = normalisation or DEFAULT_NORMALISATION
        self.cache = cache
        self.labels = dataset.table[dataset.au_columns].to_numpy(dtype=np.float32)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item: int):
        if not -len(self.indices) <= item < len(self.indices):
            raise IndexError(f"ClipDataset: item {item} is outside its {len(self.indices)} samples")
        index = self.indices[item]
        clip = load_clips([self.dataset.table["frames"].iloc[index]], self.spec, cache=self.cache,
                          sample=not self.train or self.augment.jitter == 0)[0]
        batcher = ClipBatcher([clip], "cpu", self.normalisation, self.spec, augment=self.augment)
        x = batcher.batch([0], train=self.train)[0]
        return x, torch.tensor(self.labels[index])
