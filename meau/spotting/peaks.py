"""What every spotter shares: frame scores -> intervals, and the choice of their settings on training subjects.

A spotter turns a recording into one signal per ``k`` (its *trace*, computed every ``stride`` frames and
cached), then a frame score (:meth:`score`). From there every spotter takes the same path:

1. a moving average of ``smoothing`` frames (NaN, where the face is missing, stays NaN);
2. the threshold ``mean + p (max - mean)`` over the recording;
3. intervals, by the spotter's ``rule``: ``"peaks"`` (peaks above the threshold at least ``k`` apart,
   ``scipy.signal.find_peaks``, each the interval ``[peak - k, peak + k]`` clipped to the recording) or
   ``"runs"`` (each run of consecutive frames above the threshold, as MDMD's code forms them);
4. kept within the type's length bounds;
5. one interval per event: an interval that overlaps one with a higher score is dropped (:func:`single_spots`;
   a spotter with ``keep_overlapping`` keeps them).

:func:`tune` chooses the smoothing and ``p`` (and the spotter its ``k`` and bounds) with the best F1 on
the training subjects' recordings, pooled over them: never on a test subject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ClipError

P_GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))
PRESENCE_THRESHOLD = 0.5


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


class Spotter:
    """What every spotter shares (a subclass is a frozen dataclass with at least ``stride`` and ``p_grid``):
    the stride, ``k`` as half the type's training intervals' mean length, the length bounds of the
    training intervals, the smoothing grid and the peaks rule. A subclass gives ``name``, ``kind``,
    ``traces(frames, points, ks, stride, cache)`` and ``score(trace, k, present)``, and overrides the rest
    where its method says otherwise (MDMD)."""

    name = ""
    kind = ""
    rule = "peaks"
    mask_eyes = False  # a spotter with the option keeps it as a field
    keep_overlapping = False  # one spot per event (single_spots); a spotter with the option keeps it as a field
    learned = False  # a learned spotter trains networks per fold (meau.spotting.learned)
    recognize = False  # a learned spotter with an emotion head keeps the option as a field

    @property
    def needs_landmarks(self) -> bool:
        """Whether the traces need the face's 68 points (found by dlib where the database has none)."""
        return self.mask_eyes

    def stride_for(self, fps: float) -> int:
        """Frames between two computed values: ``stride``, or a 25th of a second at the frame rate."""
        return self.stride or max(1, int(round(fps / 25)))

    def k_for(self, lengths, stride: int, fps: float, kind: str) -> int:
        """Half the type's training intervals' mean length (:func:`choose_k`)."""
        return choose_k(lengths, stride)

    def bounds_for(self, lengths, fps: float, kind: str) -> tuple[int, int]:
        """The type's shortest and longest training interval."""
        return training_bounds(lengths)

    def smoothing_grid(self, k: int) -> tuple:
        return (1, max(1, k // 4), max(1, k // 2))

    def as_dict(self) -> dict:
        """The fixed settings, as config.json and settings.json record them."""
        from dataclasses import asdict

        values = {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}
        return {"spotter": self.kind, **values, **self.described()}

    def described(self) -> dict:
        """What else the record should say (constants of the method)."""
        return {}


@dataclass
class Prepared:
    """One recording's traces, ready for tuning and spotting."""

    key: tuple
    numbers: list
    present: np.ndarray
    traces: dict = field(default_factory=dict)  # k -> trace

    def of(self, kind: str) -> "Prepared":
        """The recording as one type's score reads it: itself (a learned spotter's differ per type: ByKind)."""
        return self


# -- frames and the face's presence ------------------------------------------------------------------------
def grey_frames(frames, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """(grey frames downscaled to size x size, uint8 (T, size, size); the frames' (height, width)).

    ``frames``: image paths, or images already read (grey (H, W) or RGB (H, W, 3) uint8: a video or a
    cropped recording).
    """
    import cv2

    from ..video import read_image, to_grey

    def image(item):
        if isinstance(item, (str, Path)):
            return read_image(item)
        item = np.asarray(item)
        return item if item.ndim == 2 else np.clip(np.rint(to_grey(item)), 0, 255).astype(np.uint8)

    first = image(frames[0])
    shape = first.shape[:2]
    out = np.empty((len(frames), size, size), np.uint8)
    for index, item in enumerate(frames):
        picture = first if index == 0 else image(item)
        if picture.shape[:2] != shape:
            where = item if isinstance(item, (str, Path)) else f"frame {index}"
            raise ClipError(f"{where}: frame size {picture.shape[:2]} differs from the recording's {shape}")
        out[index] = cv2.resize(picture, (size, size), interpolation=cv2.INTER_AREA)
    return out, shape


def face_present(frames: np.ndarray, points: np.ndarray | None, stride: int) -> np.ndarray:
    """Per frame, whether the face is there: the face region (the landmarks' box, or the whole frame of a
    cropped face) of every ``stride``-th frame against the recording's median, normalised
    cross-correlation >= 0.5; frames in between take their neighbours' answer."""
    size = frames.shape[1]
    if points is None:
        x0 = y0 = 0
        x1 = y1 = size
    else:
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


def eye_mask(points: np.ndarray, size: int) -> np.ndarray:
    """Bool (size, size): both eyes (the hull of each eye's six points, dilated by about an eighth of the
    eyes' distance) in a size x size frame, from 68 points in its pixels. Blinks move only these pixels."""
    import cv2

    points = np.asarray(points, dtype=np.float64)
    d = float(np.hypot(*(points[42:48].mean(0) - points[36:42].mean(0)))) or size / 4
    covered = np.zeros((size, size), np.uint8)
    for eye in (points[36:42], points[42:48]):
        cv2.fillConvexPoly(covered, np.rint(eye).astype(np.int32), 1)
    return cv2.dilate(covered, np.ones((3, 3), np.uint8), iterations=max(1, int(round(0.12 * d)))).astype(bool)


def scaled_points(points, shape: tuple, size: int) -> np.ndarray:
    """68 points in a frame of ``shape`` (height, width), moved to the size x size frame it is resized to."""
    return np.asarray(points, dtype=np.float64) * np.array([size / shape[1], size / shape[0]])


def cached_traces(paths, parameters: dict, ks, compute, present=None) -> dict:
    """``{"present": ..., k: trace}`` for one recording, read from the cache where it holds them.

    ``parameters`` (with ``cache``: a folder or None) key the cache with the frames' fingerprint (frames
    given as images, not files, are never cached); ``compute(missing_ks, cached) -> dict`` adds what is
    missing (``present`` and ``k<k>`` entries). ``present``: where the face is, known already (the face
    detector's answer for a recording of your own): the traces are computed there, never cached.
    """
    import hashlib
    import json

    from ..outputs import atomic_path
    from ..video import frames_fingerprint

    wanted = sorted({int(k) for k in ks})
    files = all(isinstance(item, (str, Path)) for item in paths[:1])
    cache_folder = parameters.get("cache") if files else None
    paths = [str(path) for path in paths] if files else paths
    cached, path = {}, None
    if present is not None:
        cache_folder, cached = None, {"present": np.asarray(present, bool)}
    if cache_folder:
        key = hashlib.sha256(json.dumps({"frames": frames_fingerprint(paths),
                                         **{name: value for name, value in parameters.items() if name != "cache"}},
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
        cached.update(compute(missing, cached))
        if path is not None:
            with atomic_path(path) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, **cached)
    return {"present": cached["present"], **{k: cached[f"k{k}"] for k in wanted}}


def dense(trace: np.ndarray) -> np.ndarray:
    """A trace computed every few frames (NaN between), linearly interpolated to every frame between two
    computed values at most twice the usual spacing apart; longer gaps (the face missing) and the frames
    before the first or after the last computed value stay NaN."""
    known = np.flatnonzero(~np.isnan(trace))
    out = np.full(len(trace), np.nan)
    if len(known) == 0:
        return out
    if len(known) == 1:
        out[known] = trace[known]
        return out
    spacing = 2 * max(1, int(np.median(np.diff(known))))
    positions = np.arange(known[0], known[-1] + 1)
    right = np.searchsorted(known, positions)
    left = np.maximum(right - 1, 0)
    exact = known[np.minimum(right, len(known) - 1)] == positions
    bridged = exact | (known[np.minimum(right, len(known) - 1)] - known[left] <= spacing)
    values = np.interp(positions, known, trace[known])
    out[positions[bridged]] = values[bridged]
    return out


def contrast(values: np.ndarray, distance: int) -> np.ndarray:
    """``values(f) - (values(f - d) + values(f + d)) / 2``: a peak against its neighbours; NaN where a
    neighbour lies outside the recording."""
    count = len(values)
    out = np.full(count, np.nan)
    if 0 < distance and 2 * distance < count:
        out[distance:count - distance] = values[distance:count - distance] - (
            values[: count - 2 * distance] + values[2 * distance:]) / 2
    return out


# -- frame score -> intervals ---------------------------------------------------------------------------
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


def spot_intervals(score: np.ndarray, k: int, p: float, length: tuple, numbers, rule: str = "peaks",
                   one_per_event: bool = True) -> list[tuple[int, int, float]]:
    """Intervals (frame numbers) above the threshold by ``rule`` (see the module), within the length
    bounds; with each interval's highest score."""
    threshold = threshold_of(score, p)
    if not np.isfinite(threshold):
        return []
    filled = np.where(np.isnan(score), -np.inf, score)
    if rule == "peaks":
        from scipy.signal import find_peaks

        peaks, _ = find_peaks(filled, height=threshold, distance=max(int(k), 1))
        spans = [(max(peak - k, 0), min(peak + k, len(score) - 1), peak) for peak in peaks]
    elif rule == "runs":
        above = np.concatenate([[False], filled > threshold, [False]])
        edges = np.flatnonzero(np.diff(above.astype(np.int8)))
        spans = [(int(start), int(end) - 1, int(start) + int(np.argmax(filled[start:end])))
                 for start, end in zip(edges[::2], edges[1::2])]
    else:
        raise ValueError(f"rule {rule!r}: 'peaks' or 'runs'")
    intervals = []
    for start, end, peak in spans:
        onset, offset = int(numbers[start]), int(numbers[end])
        if length[0] <= offset - onset + 1 <= length[1]:
            intervals.append((onset, offset, float(score[peak])))
    return single_spots(intervals) if one_per_event else intervals


def single_spots(intervals: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The intervals without those that overlap one with a higher score (same recording and type: the caller's):
    two peaks less than 2k apart are one event, and under the MEGC metric the second spot of an event is a
    false positive. Measured on the spotting benchmark before it was made the rule (README); ties keep the
    earlier interval; the order stays the frames'."""
    kept: list[tuple[int, int, float]] = []
    for interval in sorted(intervals, key=lambda item: (-item[2], item[0])):
        if all(interval[1] < other[0] or interval[0] > other[1] for other in kept):
            kept.append(interval)
    return sorted(kept)


def choose_k(lengths, stride: int) -> int:
    """Half the mean length (frames) of the type's training intervals, snapped to a grid of multiples of
    the stride about 25 % apart (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24 … strides): folds whose
    training subjects differ a little share one k, so each recording's trace is computed once for it."""
    half = float(np.mean(lengths)) / 2 if len(lengths) else 2 * stride
    grid = sorted({stride * max(1, int(round(1.25 ** n))) for n in range(64)})
    return min(grid, key=lambda k: (abs(k - half), k))


def spotted_score(spotter, item: Prepared, settings: TypeSettings) -> np.ndarray:
    """One recording's smoothed frame score under one type's settings."""
    return smoothed(spotter.score(item.traces[settings.k], settings.k, item.present), settings.smoothing)


def spot(spotter, item: Prepared, settings: TypeSettings) -> list[tuple[int, int, float]]:
    return spot_intervals(spotted_score(spotter, item, settings), settings.k, settings.p, settings.length,
                          item.numbers, spotter.rule, not spotter.keep_overlapping)


def tune(spotter, prepared: list[Prepared], truth_by_video: dict, k: int, bounds: tuple) -> TypeSettings:
    """The smoothing and ``p`` of one type with the best F1 on the training recordings (``prepared``),
    pooled over them, for the spotter's ``k`` and length bounds; ties keep the first (the least
    smoothing, the lowest p)."""
    from .score import counts_of, iou_matrix

    best = None
    for window in dict.fromkeys(spotter.smoothing_grid(k)):
        scores = [smoothed(spotter.score(item.traces[k], k, item.present), window) for item in prepared]
        for p in spotter.p_grid:
            tp = n_pred = n_truth = 0
            for item, score in zip(prepared, scores):
                predicted = spot_intervals(score, k, p, bounds, item.numbers, spotter.rule,
                                           not spotter.keep_overlapping)
                truth = truth_by_video.get(item.key, [])
                n_pred += len(predicted)
                n_truth += len(truth)
                if predicted and truth:
                    tp += int((iou_matrix([(a, b) for a, b, _ in predicted], truth) >= 0.5).any(axis=0).sum())
            f1 = counts_of(n_truth, n_pred, tp)["f1"]
            if best is None or f1 > best[0]:
                best = (f1, window, p)
    return TypeSettings(k, best[1], best[2], tuple(int(b) for b in bounds), best[0])


def training_bounds(lengths) -> tuple[int, int]:
    """The shortest and longest training interval of a type (frames)."""
    return (int(min(lengths)), int(max(lengths))) if len(lengths) else (1, 10 ** 9)
