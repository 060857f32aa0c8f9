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
training subjects (:func:`tune`), never on the test subject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ClipError

P_GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))
PRESENCE_THRESHOLD = 0.5
TRACE_VERSION = 1


@dataclass(frozen=True)
class FlowSpotter:
    """The spotter's fixed settings (the tuned ones are :class:`TypeSettings`, per fold and type)."""

    size: int = 96  # frames downscaled to size x size for the flow
    method: str = "farneback"
    stride: int | None = None  # frames between two flows; None: a 25th of a second at the frame rate
    p_grid: tuple = P_GRID

    name = "Flow ROI"

    def stride_for(self, fps: float) -> int:
        return self.stride or max(1, int(round(fps / 25)))

    def as_dict(self) -> dict:
        return {"spotter": "flow", "size": self.size, "method": self.method, "stride": self.stride,
                "p_grid": list(self.p_grid)}


@dataclass(frozen=True)
class TypeSettings:
    """What the training subjects chose for one type: ``k`` (frames), the moving average's length,
    ``p``, the interval length bounds (frames), and the training F1 that chose them."""

    k: int
    smoothing: int
    p: float
    length: tuple
    training_f1: float = 0.0

    def as_dict(self) -> dict:
        return {"k": self.k, "smoothing": self.smoothing, "p": self.p, "length": list(self.length),
                "training_f1": self.training_f1}

    @classmethod
    def from_dict(cls, values: dict) -> "TypeSettings":
        return cls(int(values["k"]), int(values["smoothing"]), float(values["p"]), tuple(values["length"]),
                   float(values.get("training_f1", 0.0)))


# -- regions of interest --------------------------------------------------------------------------------
def roi_masks(points: np.ndarray, size: int) -> tuple[dict, np.ndarray]:
    """({region: bool mask (size, size)}, nose mask) from 68 points in a size x size frame."""
    import cv2

    points = np.asarray(points, dtype=np.float64)
    right_eye, left_eye = points[36:42].mean(0), points[42:48].mean(0)
    d = float(np.hypot(*(left_eye - right_eye))) or size / 4

    def box(x0, y0, x1, y1):
        mask = np.zeros((size, size), bool)
        x0, x1 = int(np.clip(np.floor(x0), 0, size)), int(np.clip(np.ceil(x1), 0, size))
        y0, y1 = int(np.clip(np.floor(y0), 0, size)), int(np.clip(np.ceil(y1), 0, size))
        mask[y0:y1, x0:x1] = True
        return mask

    regions = {}
    for name, brow in (("brow_right", points[17:22]), ("brow_left", points[22:27])):
        regions[name] = box(brow[:, 0].min() - 0.1 * d, brow[:, 1].min() - 0.35 * d, brow[:, 0].max() + 0.1 * d,
                            brow[:, 1].max() + 0.1 * d)
    for name, eye in (("eye_right", points[36:42]), ("eye_left", points[42:48])):
        around = box(eye[:, 0].min() - 0.25 * d, eye[:, 1].min() - 0.3 * d, eye[:, 0].max() + 0.25 * d,
                     eye[:, 1].max() + 0.3 * d)
        covered = np.zeros((size, size), np.uint8)
        cv2.fillConvexPoly(covered, np.rint(eye).astype(np.int32), 1)
        covered = cv2.dilate(covered, np.ones((3, 3), np.uint8), iterations=max(1, int(round(0.12 * d))))
        regions[name] = around & ~covered.astype(bool)  # the eye itself is masked: blinks are not expressions
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
def _frames(paths, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """(grey frames downscaled to size x size, the stored frames' (height, width))."""
    import cv2

    from ..video import read_image

    first = read_image(paths[0])
    shape = first.shape[:2]
    frames = np.empty((len(paths), size, size), np.uint8)
    for index, path in enumerate(paths):
        image = first if index == 0 else read_image(path)
        if image.shape[:2] != shape:
            raise ClipError(f"{path}: frame size {image.shape[:2]} differs from the recording's {shape}")
        frames[index] = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return frames, shape


def face_present(frames: np.ndarray, points: np.ndarray, stride: int) -> np.ndarray:
    """Per frame, whether the face is there: the face region (the landmarks' box) of every ``stride``-th
    frame against the median face of the recording, normalised cross-correlation >= 0.5; frames in
    between take their neighbours' answer."""
    size = frames.shape[1]
    x0, y0 = np.clip(np.floor(points.min(0)).astype(int), 0, size - 1)
    x1, y1 = np.clip(np.ceil(points.max(0)).astype(int), 1, size)
    sampled = np.arange(0, len(frames), stride)
    faces = frames[sampled, y0:y1, x0:x1].reshape(len(sampled), -1).astype(np.float32)
    reference = np.median(faces, axis=0)
    reference = reference - reference.mean()
    centred = faces - faces.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1) * (np.linalg.norm(reference) or 1.0)
    ncc = np.where(norms > 0, centred @ reference / np.where(norms > 0, norms, 1.0), 0.0)
    present = ncc >= PRESENCE_THRESHOLD
    return present[np.minimum(np.arange(len(frames)) // stride, len(sampled) - 1)]


def recording_traces(paths, points, ks, stride: int, size: int, method: str = "farneback",
                     cache_folder=None) -> dict:
    """``{"present": bool per frame, k: M per frame index t (NaN where not computed or the face is
    missing at t or t + k)}`` for one recording; cached by its frames' fingerprint and the parameters."""
    from ..flow import optical_flow
    from ..outputs import atomic_path
    from ..video import frames_fingerprint

    paths = [str(path) for path in paths]
    wanted = sorted({int(k) for k in ks})
    cached, path = {}, None
    if cache_folder:
        import hashlib
        import json

        key = hashlib.sha256(json.dumps({"frames": frames_fingerprint(paths), "points": np.round(points, 3).tolist(),
                                         "stride": stride, "size": size, "method": method, "v": TRACE_VERSION},
                                        sort_keys=True).encode()).hexdigest()[:32]
        path = Path(cache_folder) / "spotting" / f"{key}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as stored:
                    cached = {name: stored[name] for name in stored.files}
            except (ValueError, OSError):
                cached = {}
    missing = [k for k in wanted if f"k{k}" not in cached]
    if missing or "present" not in cached:
        frames, shape = _frames(paths, size)
        scaled = np.asarray(points, dtype=np.float64) * np.array([size / shape[1], size / shape[0]])
        regions, nose = roi_masks(scaled, size)
        present = cached.get("present")
        if present is None:
            present = face_present(frames, scaled, stride)
            cached["present"] = present
        for k in missing:
            trace = np.full(len(frames), np.nan, np.float32)
            for t in range(0, len(frames) - k, stride):
                if present[t] and present[t + k]:
                    trace[t] = region_motion(optical_flow(frames[t], frames[t + k], method), regions, nose)
            cached[f"k{k}"] = trace
        if path is not None:
            with atomic_path(path) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, **cached)
    return {"present": cached["present"], **{k: cached[f"k{k}"] for k in wanted}}


def frame_score(trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
    """``S(f) = M(f - k) + M(f)`` at the computed frames, interpolated to every frame; NaN where the face is missing."""
    count = len(trace)
    known = np.flatnonzero(~np.isnan(trace))
    score = np.full(count, np.nan)
    if len(known) == 0:
        return score
    dense = np.interp(np.arange(count), known, trace[known])
    total = dense.copy()
    total[k:] += dense[:-k] if k < count else 0
    total[:k] = np.nan  # the rise before the first frame is not seen
    total[~present] = np.nan
    return total


def smoothed(score: np.ndarray, window: int) -> np.ndarray:
    """Moving average of ``window`` frames over the known values (NaN stays NaN)."""
    if window <= 1:
        return score
    valid = ~np.isnan(score)
    values = np.where(valid, score, 0.0)
    kernel = np.ones(window)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(valid.astype(float), kernel, mode="same")
    out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    out[~valid] = np.nan
    return out


def threshold_of(score: np.ndarray, p: float) -> float:
    """``mean + p (max - mean)`` over the recording's known scores."""
    valid = score[~np.isnan(score)]
    if len(valid) == 0:
        return np.inf
    mean = float(valid.mean())
    return mean + p * (float(valid.max()) - mean)


def spot_intervals(score: np.ndarray, k: int, p: float, length: tuple, numbers) -> list[tuple[int, int, float]]:
    """Intervals ``[peak - k, peak + k]`` (frame numbers, clipped to the recording) of the peaks above the
    threshold, at least ``k`` apart, within the length bounds; with each peak's score."""
    from scipy.signal import find_peaks

    threshold = threshold_of(score, p)
    if not np.isfinite(threshold):
        return []
    filled = np.where(np.isnan(score), -np.inf, score)
    peaks, _ = find_peaks(filled, height=threshold, distance=max(int(k), 1))
    intervals = []
    for peak in peaks:
        start, end = max(peak - k, 0), min(peak + k, len(score) - 1)
        onset, offset = int(numbers[start]), int(numbers[end])
        if length[0] <= offset - onset + 1 <= length[1]:
            intervals.append((onset, offset, float(score[peak])))
    return intervals


@dataclass
class Prepared:
    """One recording's traces, ready for tuning and spotting."""

    key: tuple
    numbers: list
    present: np.ndarray
    traces: dict = field(default_factory=dict)  # k -> M(t)


def choose_k(lengths, stride: int) -> int:
    """Half the mean length (frames) of the type's training intervals, snapped to a grid of multiples of
    the stride about 25 % apart (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24 … strides): folds whose
    training subjects differ a little share one k, so each recording's flow is computed once for it."""
    half = float(np.mean(lengths)) / 2 if len(lengths) else 2 * stride
    grid = sorted({stride * max(1, int(round(1.25 ** n))) for n in range(64)})
    return min(grid, key=lambda k: (abs(k - half), k))


def tune(prepared: list[Prepared], truth_by_video: dict, lengths, stride: int, p_grid=P_GRID) -> TypeSettings:
    """The settings of one type with the best F1 on the training recordings (``prepared``), pooled over
    them: ``k`` from the training intervals' mean length, the smoothing (1, k/4 or k/2 frames) and
    ``p`` on the grid; ties keep the first (no smoothing, the lowest p)."""
    from .score import counts_of, iou_matrix

    k = choose_k(lengths, stride)
    bounds = (int(min(lengths)), int(max(lengths))) if len(lengths) else (1, 10 ** 9)
    best = None
    for window in dict.fromkeys((1, max(1, k // 4), max(1, k // 2))):
        scores = [smoothed(frame_score(item.traces[k], k, item.present), window) for item in prepared]
        for p in p_grid:
            tp = n_pred = n_truth = 0
            for item, score in zip(prepared, scores):
                predicted = spot_intervals(score, k, p, bounds, item.numbers)
                truth = truth_by_video.get(item.key, [])
                n_pred += len(predicted)
                n_truth += len(truth)
                if predicted and truth:
                    tp += int((iou_matrix([(a, b) for a, b, _ in predicted], truth) >= 0.5).any(axis=0).sum())
            f1 = counts_of(n_truth, n_pred, tp)["f1"]
            if best is None or f1 > best[0]:
                best = (f1, window, p)
    return TypeSettings(k, best[1], best[2], bounds, best[0])
