"""MDMD, the MEGC2020 spotting baseline: main-directional maximal difference of optical flow.

S.-J. Wang, S. Wu, X. Qian, J. Li, X. Fu, "A main directional maximal difference analysis for spotting
facial movements from long-term videos", Neurocomputing 230 (2017), as the MEGC2020 organisers ran it (``HeyingGithub/Baseline-project-for-MEGC2020_spotting``, ``MDMD_codes/``). Read from
that code and written anew:

1. For the current frame ``F_i``: the flow from ``F_{i-k}`` to ``F_i`` and from ``F_{i-k}`` to ``F_{i+k}``.
2. The frame (a cropped face) cut into 6 x 6 blocks. In each block, the main direction: the quadrant of
   the first flow's angle that holds the most pixels. Over those pixels, the magnitude of the first
   flow minus the magnitude of the second (motion that has gone back by ``F_{i+k}``: an expression,
   not a lasting movement); the block's value is the mean of the largest third.
3. The frame's value: the mean of the largest third of the blocks' values.
4. The contrast with the neighbours ``m = k - 1`` frames away: ``C(i) = F(i) - (F(i-m) + F(i+m)) / 2``;
   the threshold ``mean + p (max - mean)`` over the recording; every run of frames above it is an
   interval, kept if its length is within the type's bounds.

Settings: ``k`` and the length bounds are the organisers' (micro/macro k 12/39 frames at 30 fps and 80/260
at 200 fps; lengths 7-16 / at least 17 frames at 30 fps and 47-105 / at least 106 at 200 fps); at
another frame rate, the 30 fps values scaled to it. ``p`` is chosen per fold and type on the training
subjects (the organisers saved every p from 0.01 to 0.99, and reported one).

Differences from the reference code, each on purpose: the angle's quadrant comes from ``atan2`` (the code's
``atan(u / v)`` only spans two quadrants, so two of its four directions were never chosen); the flow is
OpenCV's Farneback on frames downscaled to ``size`` (the code: RLOF on the crops); the feature is computed
every ``stride`` frames and interpolated (the code: every frame); a run still above the threshold at the
recording's last frame is kept (the code dropped it).

Head motion: the reference compares raw flow magnitudes, so a head that moves between ``F_{i-k}`` and
``F_i`` reads as expression. ``head_motion="median"`` (an option, off by default: the default is the
organisers' method) subtracts each flow's median vector, the face's rigid translation, before the blocks
are analysed. On the synthetic SAMM-LV recordings of the subtle preset it lifts the overall F1 from 0.30
to 0.55, and on CAS(ME)^2's from 0.26 to 0.45 (``benchmarks/spotting.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .peaks import Spotter, cached_traces, contrast, dense, face_present, grey_frames

TRACE_VERSION = 1
# the organisers' settings (MDMD_codes/cmd.m and their evaluation's length filters), frames at their rates
REFERENCE = {30: {"k": {"micro": 12, "macro": 39}, "length": {"micro": (7, 16), "macro": (17, None)}},
             200: {"k": {"micro": 80, "macro": 260}, "length": {"micro": (47, 105), "macro": (106, None)}}}
P_GRID = tuple(round(0.01 * p, 2) for p in range(1, 100))
HEAD_MOTION = ("none", "median")


def without_head_motion(flow: np.ndarray, head_motion: str) -> np.ndarray:
    """The flow less the face's rigid translation: its median vector (``"median"``), or as it is (``"none"``)."""
    if head_motion == "none":
        return flow
    if head_motion == "median":
        return flow - np.median(flow.reshape(-1, 2), axis=0)
    raise ValueError(f"head_motion {head_motion!r}: one of {', '.join(HEAD_MOTION)}")


def block_values(first: np.ndarray, second: np.ndarray, blocks: int) -> np.ndarray:
    """Per block (row-major, ``blocks`` x ``blocks``), the mean of the largest third of the magnitude
    differences over the block's main-direction pixels.

    Parameters
    ----------
    first, second : float arrays (H, W, 2): the flows F_{i-k} -> F_i and F_{i-k} -> F_{i+k}
    """
    height, width = first.shape[0] // blocks, first.shape[1] // blocks
    cut = lambda a: a[: height * blocks, : width * blocks].reshape(blocks, height, blocks, width, -1)  # noqa: E731
    u, v = first[..., 0], first[..., 1]
    quadrant = (np.floor(np.degrees(np.arctan2(v, u)) / 90).astype(int) % 4)[..., None]  # 0: [0, 90) ...
    difference = (np.hypot(u, v) - np.hypot(second[..., 0], second[..., 1]))[..., None]
    quadrant = cut(quadrant).transpose(0, 2, 1, 3, 4).reshape(blocks * blocks, -1)
    difference = cut(difference).transpose(0, 2, 1, 3, 4).reshape(blocks * blocks, -1)
    values = np.empty(blocks * blocks)
    for index in range(blocks * blocks):
        counts = np.bincount(quadrant[index], minlength=4)
        chosen = np.sort(difference[index][quadrant[index] == int(np.argmax(counts))])[::-1]
        values[index] = chosen[: max(1, int(round(len(chosen) / 3)))].mean()
    return values


def frame_value(first: np.ndarray, second: np.ndarray, blocks: int = 6) -> float:
    """The MDMD value of one frame: the mean of the largest third of its blocks' values."""
    values = np.sort(block_values(first, second, blocks))[::-1]
    return float(values[: max(1, int(round(len(values) / 3)))].mean())


@dataclass(frozen=True)
class MdmdSpotter(Spotter):
    """MDMD's fixed settings; ``p`` per fold and type is chosen on the training subjects."""

    size: int = 96
    blocks: int = 6
    method: str = "farneback"
    stride: int | None = None  # frames between two computed values; None: a 25th of a second
    p_grid: tuple = P_GRID
    head_motion: str = "none"  # "median": each flow's median vector subtracted first (not the organisers')

    name = "MDMD"
    kind = "mdmd"
    rule = "runs"

    def described(self) -> dict:
        return {"reference": {str(rate): values for rate, values in REFERENCE.items()}}

    def k_for(self, lengths, stride: int, fps: float, kind: str) -> int:
        """The organisers' k of the type at this frame rate (the training lengths do not enter)."""
        return max(2, _at_rate({rate: values["k"][kind] for rate, values in REFERENCE.items()}, fps))

    def bounds_for(self, lengths, fps: float, kind: str) -> tuple[int, int]:
        """The organisers' length filter of the type at this frame rate."""
        rate = fps if fps in REFERENCE else 30
        low, high = REFERENCE[rate]["length"][kind]
        scale = fps / rate
        return (int(round(low * scale)), int(round(high * scale)) if high else 10 ** 9)

    def smoothing_grid(self, k: int) -> tuple:
        return (1,)

    def score(self, trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
        values = contrast(dense(trace), k - 1)
        values[~present] = np.nan
        return values

    def traces(self, paths, points, ks, stride: int, cache=None, present=None) -> dict:
        from ..flow import optical_flow

        def compute(missing, cached):
            frames, _ = grey_frames(paths, self.size)
            present = cached["present"] if "present" in cached else face_present(frames, None, stride)
            found = {"present": present}
            flow = lambda first, second: without_head_motion(  # noqa: E731
                optical_flow(frames[first], frames[second], self.method), self.head_motion)
            for k in missing:
                trace = np.full(len(frames), np.nan, np.float32)
                for t in range(k, len(frames) - k, stride):
                    if present[t - k] and present[t] and present[t + k]:
                        trace[t] = frame_value(flow(t - k, t), flow(t - k, t + k), self.blocks)
                found[f"k{k}"] = trace
            return found

        without_head_motion(np.zeros((1, 1, 2)), self.head_motion)  # an unknown choice fails before any work
        parameters = {"spotter": self.kind, "stride": stride, "size": self.size, "blocks": self.blocks,
                      "method": self.method, "v": TRACE_VERSION, "cache": cache,
                      **({"head_motion": self.head_motion} if self.head_motion != "none" else {})}
        return cached_traces(paths, parameters, ks, compute, present)


def _at_rate(by_rate: dict, fps: float) -> int:
    """The organisers' frames at this rate: their own where they ran it, else their 30 fps value scaled."""
    return int(by_rate[fps]) if fps in by_rate else int(round(by_rate[30] * fps / 30))
