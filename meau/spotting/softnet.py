"""SoftNet (Liong et al. 2021), and MEAN's emotion head (Liong, See, Chan 2023): a learned spotter, trained and
tuned on the training subjects only.

Per recording (frames as stored: aligned once, as ``meau crop`` writes them):

1. Grey frames downscaled to ``size`` x ``size``; dense Farneback flow from frame ``t`` to ``t + k`` every
   ``stride`` frames (the flow spotter's flows: same size, stride and method, so one pass serves both and
   fills the flow spotter's trace cache too).
2. The nose region's mean flow subtracted (head motion); u, v and the optical strain in SoftNet's regions
   (each eye with its brow, the eye itself masked against blinks; the mouth), each region resized and
   composed into one 3 x 42 x 42 image: the two eye regions side by side above the mouth.
3. A shallow three-stream CNN (SoftNet's: one stream per channel, 3, 5 and 8 filters of 5 x 5, pooling, a
   400-unit layer) regresses SoftNet's pseudo-label: 1 where ``[t, t + k]`` overlaps a truth interval of
   the type, else 0. With ``recognize`` (MEAN) a second head gives per-window emotion probabilities,
   trained on the windows that overlap an interval of a known class.
4. The window's prediction is placed at its centre ``t + k / 2`` and averaged over ``2k + 1`` frames (SoftNet
   averages over the 2k windows after ``t - k``, which puts the peak k / 2 early); from there the shared
   peaks path (:mod:`meau.spotting.peaks`): smoothing, threshold, intervals ``[peak - k, peak + k]``,
   length bounds.

Honest by construction, per fold and type: the training subjects are split (every third one, from the
second, in natural order, is an *inner validation* subject: about a third of them, spread over the list,
at least one); a network trained on the others picks the number of epochs (the best spotting F1 on the
inner validation subjects, each epoch's smoothing and ``p`` tuned there) and the smoothing and ``p``; a
network trained on every training subject for that many epochs spots the test subject. The test subject's
labels are never read; its recordings only at test time.

Each interval's emotion (``recognize``): the majority of the per-window emotions over ``[peak - k, peak)``,
with the mean class probabilities over the same windows (``p_<class>``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ClipError
from .peaks import P_GRID, Prepared, Spotter, dense, eye_mask, face_present, grey_frames, scaled_points, smoothed

FEATURE_VERSION = 1
IMAGE = 42  # SoftNet's composed image: 42 x 42, two 21 x 21 eye regions above a 21 x 42 mouth region
CHANNELS = ("u", "v", "strain")


@dataclass(frozen=True)
class SoftNetSpotter(Spotter):
    """The spotter's fixed settings; the epochs, smoothing and ``p`` are chosen per fold and type."""

    size: int = 96
    method: str = "farneback"
    stride: int | None = None
    p_grid: tuple = P_GRID
    keep_overlapping: bool = False  # True: every peak is a spot, even inside a higher one (before meau 0.6)
    epochs: int = 12  # the most epochs tried; the inner validation subjects choose how many
    batch_size: int = 64
    learning_rate: float = 1e-3
    negatives: float = 3.0  # non-expression windows per expression window in each epoch (SoftNet's downsampling)
    recognize: bool = False
    classes: str = "megc"
    seed: int = 0
    deterministic: bool = False

    name = "SoftNet"
    kind = "softnet"
    needs_landmarks = True
    learned = True

    def described(self) -> dict:
        return {"network": "SoftNet: three 5x5 conv streams (3, 5, 8 filters) on u, v, strain; 400 units; "
                           + ("score and emotion heads (MEAN)" if self.recognize else "score head"),
                "pseudo_label": "1 where [t, t + k] overlaps a truth interval of the type",
                "inner_split": "every third training subject from the second (natural order) validates",
                "optimiser": "Adam", "image": IMAGE}

    def score(self, trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
        return frame_score(trace, k, present)

    def traces(self, paths, points, ks, stride: int, cache=None, present=None) -> dict:
        return recording_features(paths, points, ks, stride, self.size, self.method, cache, present)


# -- features ----------------------------------------------------------------------------------------------
def regions(points: np.ndarray, size: int) -> tuple[list, np.ndarray, np.ndarray]:
    """([(x0, y0, x1, y1) of the right eye with its brow, the left, the mouth], eye mask, nose mask) in a
    size x size frame from its 68 points."""
    from .flow import roi_masks

    points = np.asarray(points, dtype=np.float64)
    d = float(np.hypot(*(points[42:48].mean(0) - points[36:42].mean(0)))) or size / 4

    def box(chosen, left, top, right, bottom):
        x0, y0 = chosen.min(0) - (left * d, top * d)
        x1, y1 = chosen.max(0) + (right * d, bottom * d)
        x0, y0 = int(np.clip(np.floor(x0), 0, size - 2)), int(np.clip(np.floor(y0), 0, size - 2))
        return x0, y0, int(np.clip(np.ceil(x1), x0 + 2, size)), int(np.clip(np.ceil(y1), y0 + 2, size))

    boxes = [box(np.vstack([points[17:22], points[36:42]]), 0.15, 0.2, 0.15, 0.25),
             box(np.vstack([points[22:27], points[42:48]]), 0.15, 0.2, 0.15, 0.25),
             box(points[48:68], 0.2, 0.2, 0.2, 0.2)]
    _, nose = roi_masks(points, size)
    return boxes, eye_mask(points, size), nose


def flow_image(flow: np.ndarray, boxes, eyes: np.ndarray, nose: np.ndarray) -> np.ndarray:
    """One 3 x 42 x 42 float32 image (u, v, optical strain) from a flow field (size, size, 2)."""
    import cv2

    compensated = flow - flow[nose].mean(axis=0)
    u, v = compensated[..., 0], compensated[..., 1]
    u_y, u_x = np.gradient(u)
    v_y, v_x = np.gradient(v)
    strain = np.sqrt(u_x ** 2 + v_y ** 2 + 0.5 * (u_y + v_x) ** 2)
    stacked = np.dstack([u, v, strain]).astype(np.float32)
    stacked[eyes] = 0.0
    half = IMAGE // 2
    out = np.empty((IMAGE, IMAGE, 3), np.float32)
    for (x0, y0, x1, y1), (top, left, height, width) in zip(boxes, ((0, 0, half, half), (0, half, half, half),
                                                                    (half, 0, half, IMAGE))):
        out[top:top + height, left:left + width] = cv2.resize(stacked[y0:y1, x0:x1], (width, height),
                                                              interpolation=cv2.INTER_AREA)
    return out.transpose(2, 0, 1)


def positions(count: int, k: int, stride: int) -> np.ndarray:
    """The window starts ``t`` (every ``stride`` frames while ``t + k`` is a frame of the recording)."""
    return np.arange(0, max(count - k, 0), stride)


def recording_features(paths, points, ks, stride: int, size: int, method: str = "farneback",
                       cache_folder=None, present=None) -> dict:
    """``{"present": bool per frame, k: float16 images (windows, 3, 42, 42)}`` for one recording (windows at
    :func:`positions`, zeros where the face is missing at ``t`` or ``t + k``); cached by the frames'
    fingerprint and the parameters. The flow spotter's traces of the same flows are cached as well."""
    from ..flow import optical_flow
    from . import flow as flow_spotter
    from .peaks import cached_traces

    motion = {}

    def compute(missing, cached):
        frames, shape = grey_frames(paths, size)
        scaled = scaled_points(points, shape, size)
        boxes, eyes, nose = regions(scaled, size)
        rois, _ = flow_spotter.roi_masks(scaled, size)
        present = cached["present"] if "present" in cached else face_present(frames, scaled, stride)
        found = {"present": present}
        for k in missing:
            starts = positions(len(frames), k, stride)
            images = np.zeros((len(starts), 3, IMAGE, IMAGE), np.float16)
            trace = np.full(len(frames), np.nan, np.float32)
            for index, t in enumerate(starts):
                if present[t] and present[t + k]:
                    field = optical_flow(frames[t], frames[t + k], method)
                    images[index] = flow_image(field, boxes, eyes, nose)
                    trace[t] = flow_spotter.region_motion(field, rois, nose)
            found[f"k{k}"] = images
            motion[f"k{k}"] = trace
        motion["present"] = present
        return found

    parameters = {"points": np.round(points, 3).tolist(), "stride": stride, "size": size, "method": method,
                  "v": FEATURE_VERSION, "features": "softnet", "cache": cache_folder}
    features = cached_traces(paths, parameters, ks, compute, present)
    if motion and cache_folder and present is None:  # the same flows give the flow spotter's traces: cache them for `spot flow`
        shared = {"points": parameters["points"], "stride": stride, "size": size, "method": method,
                  "v": flow_spotter.TRACE_VERSION, "cache": cache_folder}
        cached_traces(paths, shared, [int(name[1:]) for name in motion if name != "present"],
                      lambda missing, cached: {name: value for name, value in motion.items()
                                               if name == "present" or int(name[1:]) in missing})
    return features


# -- labels and scores -------------------------------------------------------------------------------------
def pseudo_labels(starts: np.ndarray, k: int, truth: list, classes: list | None = None):
    """(SoftNet's pseudo-label per window: 1 where ``[t, t + k]`` overlaps a truth interval, else 0; the class
    index of the interval it overlaps most, -1 where none or unknown). ``truth``: frame indices
    ``(onset, offset[, class or None])``."""
    labels = np.zeros(len(starts), np.float32)
    emotions = np.full(len(starts), -1, np.int64)
    best = np.zeros(len(starts))
    for interval in truth:
        onset, offset = interval[0], interval[1]
        overlap = np.minimum(starts + k, offset) - np.maximum(starts, onset) + 1
        hit = overlap > 0
        labels[hit] = 1.0
        label = interval[2] if len(interval) > 2 else None
        if classes is not None and label in classes:
            better = hit & (overlap > best)
            emotions[better] = classes.index(label)
            best[better] = overlap[better]
    return labels, emotions


def frame_score(trace: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
    """Window predictions (at their starts ``t``; NaN elsewhere) moved to their centres ``t + k // 2``,
    interpolated between windows and averaged over ``2k + 1`` frames; NaN where the face is missing."""
    values = dense(trace)
    centred = np.full(len(values), np.nan)
    shift = k // 2
    if shift < len(values):
        centred[shift:] = values[:len(values) - shift]
    score = smoothed(centred, 2 * k + 1)
    score[~present] = np.nan
    return score


# -- the network -------------------------------------------------------------------------------------------
def network(classes: int = 0):
    """SoftNet: one stream per channel (u: 3, v: 5, strain: 8 filters of 5 x 5, ReLU, 3 x 3 max pooling),
    concatenated, 2 x 2 max pooling, 400 ReLU units, a linear score (and ``classes`` emotion logits: MEAN)."""
    import torch
    from torch import nn

    class SoftNet(nn.Module):
        def __init__(self):
            super().__init__()
            # the three streams as one convolution whose weights are block-diagonal (each output channel sees
            # its own input channel): the same network as three, in one call (1.7x faster on the CPU)
            self.conv = nn.Conv2d(3, 16, 5, padding=2)
            streams = torch.zeros(16, 3, 1, 1)
            streams[:3, 0], streams[3:8, 1], streams[8:, 2] = 1, 1, 1
            self.register_buffer("streams", streams, persistent=False)
            self.pool = nn.MaxPool2d(3, 3)
            self.trunk = nn.Sequential(nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(16 * 7 * 7, 400), nn.ReLU())
            self.score = nn.Linear(400, 1)
            self.emotion = nn.Linear(400, classes) if classes else None

        def forward(self, x):
            merged = self.pool(torch.relu(nn.functional.conv2d(x, self.conv.weight * self.streams, self.conv.bias,
                                                               padding=2)))
            hidden = self.trunk(merged)
            score = self.score(hidden)[:, 0]
            return score, (self.emotion(hidden) if self.emotion is not None else None)

    return SoftNet()


@dataclass
class Windows:
    """Training windows of some recordings: images (n, 3, 42, 42) float16, pseudo-labels, class indices."""

    images: np.ndarray
    labels: np.ndarray
    emotions: np.ndarray


def _with_face(item: Prepared, starts: np.ndarray, k: int) -> np.ndarray:
    """Which windows ``[t, t + k]`` have the face at both ends."""
    return item.present[starts] & item.present[np.minimum(starts + k, len(item.present) - 1)]


def windows_of(items, truth_by_video: dict, k: int, stride: int, classes) -> Windows:
    """Every window with the face of ``items`` (Prepared with features) and its labels from the truth."""
    images, labels, emotions = [], [], []
    for item in items:
        starts = positions(len(item.present), k, stride)
        index = {number: i for i, number in enumerate(item.numbers)}
        truth = [(index.get(onset, _nearest(item.numbers, onset)), index.get(offset, _nearest(item.numbers, offset)),
                  *extra) for onset, offset, *extra in truth_by_video.get(item.key, [])]
        y, e = pseudo_labels(starts, k, truth, classes)
        valid = _with_face(item, starts, k)
        images.append(item.traces[k][valid])
        labels.append(y[valid])
        emotions.append(e[valid])
    if not images:
        return Windows(np.zeros((0, 3, IMAGE, IMAGE), np.float16), np.zeros(0, np.float32), np.zeros(0, np.int64))
    return Windows(np.concatenate(images), np.concatenate(labels), np.concatenate(emotions))


def _nearest(numbers, frame) -> int:
    return int(np.argmin(np.abs(np.asarray(numbers) - frame)))


class Trainer:
    """Trains one network on windows: Adam, MSE on the pseudo-label (+ cross-entropy on the windows of a
    known class), each epoch all expression windows and ``negatives`` times as many others drawn anew."""

    def __init__(self, spotter: SoftNetSpotter, classes: int, scale: np.ndarray, seed: int):
        import torch

        self.spotter, self.scale = spotter, np.asarray(scale, np.float32)
        if spotter.deterministic:
            torch.use_deterministic_algorithms(True)
        torch.manual_seed(seed)
        self.model = network(classes)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=spotter.learning_rate)
        self.rng = np.random.default_rng(seed)

    def epoch(self, windows: Windows) -> float:
        import torch
        import torch.nn.functional as F

        positive = np.flatnonzero(windows.labels > 0)
        negative = np.flatnonzero(windows.labels == 0)
        wanted = int(round(self.spotter.negatives * max(len(positive), 1)))
        if len(negative) > wanted:
            negative = self.rng.choice(negative, wanted, replace=False)
        chosen = self.rng.permutation(np.concatenate([positive, negative]))
        self.model.train()
        total = 0.0
        for start in range(0, len(chosen), self.spotter.batch_size):
            batch = np.sort(chosen[start:start + self.spotter.batch_size])
            x = torch.from_numpy(windows.images[batch].astype(np.float32) / self.scale[None, :, None, None])
            y = torch.from_numpy(windows.labels[batch])
            score, logits = self.model(x)
            loss = F.mse_loss(score, y)
            known = torch.from_numpy(windows.emotions[batch])
            if logits is not None and bool((known >= 0).any()):
                loss = loss + F.cross_entropy(logits[known >= 0], known[known >= 0])
            self.optimiser.zero_grad()
            loss.backward()
            self.optimiser.step()
            total += float(loss.detach()) * len(batch)
        return total / max(len(chosen), 1)


def predict(model, scale, images: np.ndarray, batch: int = 512) -> tuple[np.ndarray, np.ndarray | None]:
    """(scores (n,), class probabilities (n, C) or None) of windows."""
    import torch

    model.eval()
    scores, probabilities = [], []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(images[start:start + batch].astype(np.float32) /
                                 np.asarray(scale, np.float32)[None, :, None, None])
            score, logits = model(x)
            scores.append(score.numpy())
            if logits is not None:
                probabilities.append(torch.softmax(logits, dim=1).numpy())
    if not scores:
        return np.zeros(0), None
    return np.concatenate(scores), (np.concatenate(probabilities) if probabilities else None)


@dataclass
class Scored:
    """One recording scored by one type's network: ``item`` (Prepared whose trace at ``k`` holds the window
    predictions), ``probabilities`` (windows, C) or None, the window starts."""

    item: Prepared
    starts: np.ndarray
    probabilities: np.ndarray | None = None


def scored(model, scale, item: Prepared, k: int, stride: int) -> Scored:
    """A recording's windows through a network: the score trace at the window starts (NaN without a face)."""
    starts = positions(len(item.present), k, stride)
    valid = _with_face(item, starts, k)
    score, probabilities = predict(model, scale, item.traces[k][valid])
    trace = np.full(len(item.present), np.nan, np.float32)
    trace[starts[valid]] = score
    full = None
    if probabilities is not None:
        full = np.full((len(starts), probabilities.shape[1]), np.nan, np.float32)
        full[valid] = probabilities
    return Scored(Prepared(item.key, item.numbers, item.present, {k: trace}), starts, full)


def interval_emotion(result: Scored, score: np.ndarray, onset: int, offset: int, k: int, classes) -> tuple:
    """(class, probabilities) of a spotted interval: the majority of the per-window emotions over
    ``[peak - k, peak)`` (the peak: the interval's highest value of ``score``, the recording's smoothed score,
    computed once for all its intervals), their mean probabilities."""
    numbers = np.asarray(result.item.numbers)
    first, last = int(np.searchsorted(numbers, onset)), int(np.searchsorted(numbers, offset))
    inside = np.where(np.isnan(score[first:last + 1]), -np.inf, score[first:last + 1])
    peak = first + int(np.argmax(inside))
    chosen = (result.starts >= peak - k) & (result.starts < peak) & ~np.isnan(result.probabilities[:, 0])
    if not chosen.any():  # no window with a face just before the peak: the nearest ones
        known = np.flatnonzero(~np.isnan(result.probabilities[:, 0]))
        if len(known) == 0:
            return "", np.full(len(classes), np.nan)
        chosen = known[np.argsort(np.abs(result.starts[known] - peak))[:1]]
    probabilities = result.probabilities[chosen]
    votes = np.bincount(probabilities.argmax(axis=1), minlength=len(classes))
    mean = probabilities.mean(axis=0)
    winner = int(np.lexsort((-mean, -votes))[0])  # the most votes; a tie goes to the higher mean probability
    return classes[winner], mean


# -- one fold ----------------------------------------------------------------------------------------------
def inner_split(subjects: list[str]) -> tuple[list[str], list[str]]:
    """(inner training, inner validation) subjects: every third one from the second (natural order)
    validates, at least one; the rest train."""
    validation = subjects[1::3] or subjects[-1:]
    return [s for s in subjects if s not in validation], validation


def channel_scale(windows: Windows) -> np.ndarray:
    """Per channel, the root mean square of the training windows (the inputs' scale)."""
    if len(windows.images) == 0:
        return np.ones(3, np.float32)
    sample = windows.images[:: max(1, len(windows.images) // 2000)].astype(np.float32)
    return np.maximum(np.sqrt((sample ** 2).mean(axis=(0, 2, 3))), 1e-6).astype(np.float32)


def train_fold(spotter: SoftNetSpotter, train: list, truth_by_video: dict, labelled: dict, k: int, bounds: tuple,
               stride: int, classes: list | None, seed: int):
    """The network of one fold and type, and its tuned settings, from the training recordings only
    (``truth_by_video``: key -> [(onset, offset)] of the type; ``labelled``: the same with each class or None).

    Returns (model, scale, TypeSettings, record): ``record`` says what was chosen and on what.
    """
    from .peaks import TypeSettings, tune

    import time

    started = time.perf_counter()
    from ..databases.recordings import natural_order

    subjects = sorted({item.key[0] for item in train}, key=natural_order)
    inner, validation = inner_split(subjects)
    inner_items = [item for item in train if item.key[0] in inner]
    validation_items = [item for item in train if item.key[0] in validation]
    every = windows_of(train, labelled, k, stride, classes)
    scale = channel_scale(every)
    count = len(classes) if classes else 0
    positives = int((every.labels > 0).sum())
    if positives == 0 or not inner_items or not validation_items:
        why = "no expression window in the training subjects" if positives == 0 else "fewer than two training subjects"
        raise ClipError(f"SoftNet cannot be trained for this fold: {why}")
    windows = windows_of(inner_items, labelled, k, stride, classes)
    trainer = Trainer(spotter, count, scale, seed)
    history, best = [], None
    for epoch in range(1, spotter.epochs + 1):
        loss = trainer.epoch(windows)
        results = [scored(trainer.model, scale, item, k, stride).item for item in validation_items]
        chosen = tune(spotter, results, truth_by_video, k, bounds)
        history.append({"epoch": epoch, "loss": round(loss, 6), "validation_f1": round(chosen.training_f1, 6)})
        if best is None or chosen.training_f1 > best[1].training_f1:
            best = (epoch, chosen)
    epochs, chosen = best
    final = Trainer(spotter, count, scale, seed)
    for _ in range(epochs):
        final.epoch(every)
    settings = TypeSettings(k, chosen.smoothing, chosen.p, chosen.length, chosen.training_f1)
    record = {"epochs": epochs, "history": history, "inner_training": inner, "inner_validation": validation,
              "windows": int(len(every.labels)), "expression_windows": positives,
              "training_s": round(time.perf_counter() - started, 2),
              "chosen_on": "epochs, smoothing and p: the inner validation subjects (a network trained on the "
                           "inner training subjects); weights: every training subject for that many epochs"}
    return final.model, scale, settings, record


def train_all(spotter: SoftNetSpotter, items: list, labelled: dict, k: int, stride: int, classes, epochs: int,
              seed: int):
    """The network for new recordings: every subject's windows, ``epochs`` epochs."""
    every = windows_of(items, labelled, k, stride, classes)
    scale = channel_scale(every)
    trainer = Trainer(spotter, len(classes) if classes else 0, scale, seed)
    for _ in range(epochs):
        trainer.epoch(every)
    return trainer.model, scale


# -- checkpoints (read back with weights_only=True) -------------------------------------------------------
def save_model(path, model, scale, meta: dict) -> None:
    import torch

    from ..outputs import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        torch.save({"state": model.state_dict(), "scale": [float(v) for v in scale], "meta": meta}, temporary)


def load_model(path):
    """(model, scale, meta) of a checkpoint written by :func:`save_model`; loaded with ``weights_only=True``."""
    import torch

    from ..errors import MeauError

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = network(len(saved["meta"].get("classes") or []))
        model.load_state_dict(saved["state"])
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise MeauError(f"{path}: unreadable SoftNet checkpoint ({type(error).__name__}: {first})") from None
    model.eval()
    return model, np.asarray(saved["scale"], np.float32), saved["meta"]
