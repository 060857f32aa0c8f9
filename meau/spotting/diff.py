"""The LBP feature-difference spotter (Moilanen, Zhao, Pietikäinen, ICPR 2014), learning-free.

Per recording (cropped faces, as ``meau crop`` writes them):

1. Grey frames downscaled to ``size`` x ``size``, cut into ``blocks`` x ``blocks`` blocks; per block and
   frame the histogram of uniform LBP codes (8 neighbours, radius 1; scikit-image's
   ``local_binary_pattern``), normalised to sum 1.
2. For the current frame ``t``: per block the chi-squared distance between its histogram and the mean of
   the histograms of frames ``t - k`` and ``t + k`` (what the face would look like had nothing happened
   in between); the frame's value ``F(t)`` is the mean of the largest third of the blocks' distances
   (an expression moves a few regions, noise all of them a little).
3. The frame score contrasts it with its neighbours: ``C(t) = F(t) - (F(t - k) + F(t + k)) / 2``,
   negative values set to 0, as the paper does.
4. Then as every spotter (:mod:`meau.spotting.peaks`): smoothing, ``mean + p (max - mean)``, peaks at
   least ``k`` apart, intervals ``[peak - k, peak + k]`` within the type's length bounds.

``k`` is half the mean length of the type's training intervals (the paper: ``k = (N - 1) / 2`` with N the
average length of an expression); smoothing, ``p`` and the length bounds are chosen on the training
subjects of each fold, never on the test subject.

``mask_eyes`` (an option, not the paper's): the eyes' pixels (:func:`meau.spotting.peaks.eye_mask`, from
the recording's 68 points) are not counted in the histograms, so a blink, which moves nothing else, leaves
every histogram as it was. Blinks last about as long as a micro-expression and are never coded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .peaks import P_GRID, Spotter, cached_traces, contrast, dense, eye_mask, face_present, grey_frames, scaled_points

TRACE_VERSION = 1
POINTS, RADIUS = 8, 1
BINS = POINTS + 2  # uniform LBP: P + 1 uniform codes and one for the rest


def block_histograms(frame: np.ndarray, blocks: int, masked: np.ndarray | None = None) -> np.ndarray:
    """Normalised uniform-LBP histograms of one grey frame's blocks: (blocks * blocks, BINS), row-major;
    ``masked`` pixels (bool, H x W) are not counted (a block with none left is all zeros)."""
    from skimage.feature import local_binary_pattern

    codes = local_binary_pattern(frame, POINTS, RADIUS, method="uniform").astype(np.int64)
    if masked is not None:
        codes = np.where(masked, BINS, codes)  # an extra bin, dropped below
    height, width = frame.shape[0] // blocks, frame.shape[1] // blocks
    codes = codes[: height * blocks, : width * blocks].reshape(blocks, height, blocks, width)
    codes = codes.transpose(0, 2, 1, 3).reshape(blocks * blocks, -1)
    offsets = np.arange(blocks * blocks)[:, None] * (BINS + 1)
    counts = np.bincount((codes + offsets).ravel(), minlength=blocks * blocks * (BINS + 1)).reshape(-1, BINS + 1)
    counts = counts[:, :BINS]
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def chi_squared(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Chi-squared distance ``sum (a - b)^2 / (a + b)`` along the last axis (0 / 0 counts 0)."""
    total = first + second
    return np.sum(np.divide((first - second) ** 2, total, out=np.zeros_like(total), where=total > 0), axis=-1)


def frame_value(current: np.ndarray, tail: np.ndarray, head: np.ndarray) -> float:
    """``F(t)``: the mean of the largest third of the blocks' distances to the mean of tail and head."""
    distances = np.sort(chi_squared(current, (tail + head) / 2))[::-1]
    return float(distances[: max(1, int(round(len(distances) / 3)))].mean())


@dataclass(frozen=True)
class DiffSpotter(Spotter):
    """The feature-difference spotter's fixed settings; the tuned ones are chosen per fold and type."""

    size: int = 96
    blocks: int = 6
    stride: int | None = None  # frames between two computed values; None: a 25th of a second
    p_grid: tuple = P_GRID
    keep_overlapping: bool = True  # one spot per event did not help the feature difference (README): off
    mask_eyes: bool = False  # the eyes' pixels are not counted (blinks; not the paper's)

    name = "LBP difference"
    kind = "diff"

    def described(self) -> dict:
        return {"lbp": {"points": POINTS, "radius": RADIUS, "method": "uniform"}}

    def score(self, trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
        values = np.clip(contrast(dense(trace), k), 0, None)
        values[~present] = np.nan
        return values

    def traces(self, paths, points, ks, stride: int, cache=None, present=None) -> dict:
        def compute(missing, cached):
            frames, shape = grey_frames(paths, self.size)
            masked = eye_mask(scaled_points(points, shape, self.size), self.size) if self.mask_eyes else None
            present = cached["present"] if "present" in cached else face_present(frames, None, stride)
            found, histograms = {"present": present}, {}

            def histogram(index):
                if index not in histograms:
                    histograms[index] = block_histograms(frames[index], self.blocks, masked)
                return histograms[index]

            for k in missing:
                trace = np.full(len(frames), np.nan, np.float32)
                for t in range(k, len(frames) - k, stride):
                    if present[t - k] and present[t] and present[t + k]:
                        trace[t] = frame_value(histogram(t), histogram(t - k), histogram(t + k))
                found[f"k{k}"] = trace
            return found

        parameters = {"spotter": self.kind, "stride": stride, "size": self.size, "blocks": self.blocks,
                      "v": TRACE_VERSION, "cache": cache,
                      **({"eyes": np.round(points, 3).tolist()} if self.mask_eyes else {})}
        return cached_traces(paths, parameters, ks, compute, present)
