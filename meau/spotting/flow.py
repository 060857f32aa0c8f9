"""The optical-flow ROI spotter (the family of OF-FD, SoftNet and the MEGC2022 winner), learning-free.

Per recording (frames as stored: aligned once, as ``meau crop`` writes them):

1. Grey frames downscaled to ``size`` x ``size``; dense Farneback flow between frame ``t`` and ``t + k``,
   every ``stride`` frames (``k`` about half the mean length of an expression of the type).
2. In the face's regions of interest, from its 68 points: both brows, both eyes' surroundings with
   the eyes masked (blinks), both mouth corners, the chin. The nose region's mean flow is subtracted
   first (head motion).
3. ``M(t)``: the largest mean flow magnitude over the regions; the frame score ``S(f) = M(f - k) + M(f)``
   peaks at an expression's apex (the rise reaches it from ``f - k``, the fall leaves it until
   ``f + k``), interpolated to every frame.
4. Smoothed by a moving average of ``smoothing`` frames; the threshold is ``mean + p (max - mean)``
   over the recording; peaks at least ``k`` apart (``scipy.signal.find_peaks``) become intervals
   ``[peak - k, peak + k]``, clipped to the recording, kept within the type's length bounds.

Frames without the face (the subject out of view: every sampled frame's face region compared with the
recording's median face, normalised cross-correlation below 0.5) score nothing and are listed as gaps.
Micro and macro each have their own ``k``, smoothing, ``p`` and length bounds, all chosen on the
training subjects (:func:`meau.spotting.peaks.tune`), never on the test subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ClipError
from .peaks import P_GRID, Spotter, dense, eye_mask, face_present, grey_frames, scaled_points

TRACE_VERSION = 1


@dataclass(frozen=True)
class FlowSpotter(Spotter):
    """The spotter's fixed settings (the tuned ones are :class:`~meau.spotting.peaks.TypeSettings`, per
    fold and type)."""

    size: int = 96  # frames downscaled to size x size for the flow
    method: str = "farneback"
    stride: int | None = None  # frames between two flows; None: a 25th of a second at the frame rate
    p_grid: tuple = P_GRID
    keep_overlapping: bool = False  # True: every peak is a spot, even inside a higher one (before meau 0.6)

    name = "Flow ROI"
    kind = "flow"
    needs_landmarks = True

    def score(self, trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
        return frame_score(trace, k, present)

    def traces(self, paths, points, ks, stride: int, cache=None, present=None) -> dict:
        return recording_traces(paths, points, ks, stride, self.size, self.method, cache, present)


# -- regions of interest --------------------------------------------------------------------------------
def roi_masks(points: np.ndarray, size: int) -> tuple[dict, np.ndarray]:
    """({region: bool mask (size, size)}, nose mask) from 68 points in a size x size frame."""
    points = np.asarray(points, dtype=np.float64)
    right_eye, left_eye = points[36:42].mean(0), points[42:48].mean(0)
    d = float(np.hypot(*(left_eye - right_eye))) or size / 4

    def box(x0, y0, x1, y1):
        mask = np.zeros((size, size), bool)
        x0, x1 = int(np.clip(np.floor(x0), 0, size)), int(np.clip(np.ceil(x1), 0, size))
        y0, y1 = int(np.clip(np.floor(y0), 0, size)), int(np.clip(np.ceil(y1), 0, size))
        mask[y0:y1, x0:x1] = True
        return mask

    eyes = eye_mask(points, size)
    regions = {}
    for name, brow in (("brow_right", points[17:22]), ("brow_left", points[22:27])):
        regions[name] = box(brow[:, 0].min() - 0.1 * d, brow[:, 1].min() - 0.35 * d, brow[:, 0].max() + 0.1 * d,
                            brow[:, 1].max() + 0.1 * d)
    for name, eye in (("eye_right", points[36:42]), ("eye_left", points[42:48])):
        around = box(eye[:, 0].min() - 0.25 * d, eye[:, 1].min() - 0.3 * d, eye[:, 0].max() + 0.25 * d,
                     eye[:, 1].max() + 0.3 * d)
        regions[name] = around & ~eyes  # the eye itself is masked: blinks are not expressions
    for name, corner in (("mouth_right", points[48]), ("mouth_left", points[54])):
        regions[name] = box(corner[0] - 0.25 * d, corner[1] - 0.25 * d, corner[0] + 0.25 * d, corner[1] + 0.25 * d)
    regions["chin"] = box(points[57, 0] - 0.35 * d, points[57, 1] + 0.05 * d, points[57, 0] + 0.35 * d,
                          max(points[8, 1], points[57, 1] + 0.4 * d))
    nose = box(points[29, 0] - 0.15 * d, points[27, 1], points[29, 0] + 0.15 * d, points[30, 1])
    regions = {name: mask for name, mask in regions.items() if mask.any()}
    if not regions or not nose.any():
        raise ClipError("the landmarks leave no region of interest inside the frame")
    return regions, nose


def region_motion(flow: np.ndarray, regions: dict, nose: np.ndarray) -> float:
    """The largest mean flow magnitude over the regions, after subtracting the nose region's mean flow."""
    compensated = flow - flow[nose].mean(axis=0)
    magnitude = np.hypot(compensated[..., 0], compensated[..., 1])
    return float(max(magnitude[mask].mean() for mask in regions.values()))


# -- one recording ----------------------------------------------------------------------------------------
def recording_traces(paths, points, ks, stride: int, size: int, method: str = "farneback",
                     cache_folder=None, present=None) -> dict:
    """``{"present": bool per frame, k: M per frame index t (NaN where not computed or the face is
    missing at t or t + k)}`` for one recording; cached by its frames' fingerprint and the parameters."""
    from ..flow import optical_flow
    from .peaks import cached_traces

    def compute(missing, cached):
        frames, shape = grey_frames(paths, size)
        scaled = scaled_points(points, shape, size)
        regions, nose = roi_masks(scaled, size)
        present = cached["present"] if "present" in cached else face_present(frames, scaled, stride)
        found = {"present": present}
        for k in missing:
            trace = np.full(len(frames), np.nan, np.float32)
            for t in range(0, len(frames) - k, stride):
                if present[t] and present[t + k]:
                    trace[t] = region_motion(optical_flow(frames[t], frames[t + k], method), regions, nose)
            found[f"k{k}"] = trace
        return found

    parameters = {"points": np.round(points, 3).tolist(), "stride": stride, "size": size, "method": method,
                  "v": TRACE_VERSION, "cache": cache_folder}
    return cached_traces(paths, parameters, ks, compute, present)


def frame_score(trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
    """``S(f) = M(f - k) + M(f)``, with ``M`` interpolated to every frame between computed values
    (:func:`~meau.spotting.peaks.dense`); NaN where the face is missing or ``M`` is unknown."""
    count = len(trace)
    motion = dense(trace)
    total = np.full(count, np.nan)
    if k < count:
        total[k:] = motion[k:] + motion[:-k]
    total[~present] = np.nan
    return total
