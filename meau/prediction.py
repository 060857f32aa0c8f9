"""AU prediction on new clips from a finished run (or a deep checkpoint).

Inputs are folders of frames of one clip or video files, showing a cropped face (as the databases
ship them) or, with ``crop``, any recording (the face is found, aligned and cropped first, see
:mod:`meau.crop`). Long recordings are cut into windows (``window``/``stride``): one row per window.
Each input is processed on its own: one that fails is listed with its error and the others go on.

Output, one row per input: ``input, status, model, threshold`` (the rule), then per AU
OpenFace-style ``AU01_p`` (probability), ``AU01_t`` (the threshold) and ``AU01_c`` (0/1 decision),
with ``AU01_c = 1`` exactly when ``AU01_p >= AU01_t`` as written in the file (6 decimals). An emotion run
writes ``emotion`` (the class of highest probability) and ``p_<class>`` per class instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .errors import MeauError
from .video import input_rate


def read_final_models(run: Path) -> tuple[dict, dict]:
    """(metadata, arrays) of a handcrafted run's final SVMs, read without unpickling anything."""
    meta_path, array_path = run / "model.json", run / "model.npz"
    if not meta_path.exists() or not array_path.exists():
        if (run / "model.joblib").exists():
            raise MeauError(f"{run / 'model.joblib'}: refused, a pickle (meau < 0.2) could run code; re-create the final "
                            "models with this version: the run's command again with --resume (finished folds are kept)")
        raise MeauError(f"{run}: no model.json/model.npz (the run has not finished all its folds)")
    try:
        meta = json.loads(meta_path.read_text())
        with np.load(array_path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        if meta.get("format") != "meau-linear-svm":
            raise ValueError("not a meau model.json")
        if meta.get("target") == "emotion":
            for name in meta["classes"]:
                meta["calibration"][name]  # noqa: B018 (presence check)
        else:
            for column in meta["au_columns"]:
                meta["calibration"][column], meta["thresholds"][column]  # noqa: B018 (presence check)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise MeauError(f"{run}: unreadable final models ({type(error).__name__}: {error})") from None
    return meta, arrays


class HandcraftedPredictor:
    """The final SVMs of an SVM run, with the features its ``model.json`` describes (rebuilt by the
    features object itself: the same code as the run's)."""

    def __init__(self, run: Path):
        from .handcrafted.features import features_from_bundle

        self.meta, self.arrays = read_final_models(run)
        try:
            self.features = features_from_bundle(self.meta)
        except (KeyError, TypeError, ValueError) as error:
            raise MeauError(f"{run / 'model.json'}: unreadable features ({type(error).__name__}: {error})") from None
        self.target = self.meta.get("target", "aus")
        self.label = self.meta["method"]
        if self.target == "emotion":
            self.au_columns = list(self.meta["classes"])
            self.thresholds = np.zeros(len(self.au_columns))
            self.threshold = EMOTION_RULE
        else:
            self.au_columns = self.meta["au_columns"]
            self.thresholds = np.array([self.meta["thresholds"][c] for c in self.au_columns])
            self.threshold = "AU_p >= AU_t (AU_t: probability of SVM score 0)"

    def scores(self, features: np.ndarray) -> np.ndarray:
        """SVM scores (n, number of AUs or classes) of feature rows (n, d); -1 for an AU without a model (-1e6
        for a class without one: never chosen)."""
        from .handcrafted.svm import linear_scores

        missing = -1e6 if self.target == "emotion" else -1.0
        columns = []
        for column in self.au_columns:
            parts = {key.split("/", 1)[1]: value for key, value in self.arrays.items() if key.startswith(f"{column}/")}
            columns.append(linear_scores(parts, features) if parts else np.full(len(features), missing))
        return np.stack(columns, axis=1)

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """The run's calibration of SVM scores (n, AUs) into probabilities (for classes, normalised over them)."""
        calibration = np.array([self.meta["calibration"][column] for column in self.au_columns])
        probabilities = 1 / (1 + np.exp(-(calibration[:, 0] * scores + calibration[:, 1])))
        if self.target == "emotion":
            probabilities = np.where(scores <= -1e6, 0.0, probabilities)
            probabilities /= np.maximum(probabilities.sum(axis=1, keepdims=True), 1e-12)
        return probabilities

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """The class index of highest SVM score (the run's own decision)."""
        return scores.argmax(axis=1)

    def __call__(self, frames: np.ndarray, name: str):
        scores = self.scores(self.features.clip(frames, name)[None])
        if self.target == "emotion":  # the decision is the SVMs' (highest score), the probabilities describe it
            return self.probabilities(scores)[0], int(self.decide(scores)[0])
        return self.probabilities(scores)[0], self.thresholds


class DeepPredictor:
    """The mean probability of the run's per-fold best checkpoints (or of one checkpoint file).

    Thresholds per AU: those the folds used (0.5, or chosen on each fold's validation set with
    ``--threshold validation``, then averaged over the folds).
    """

    def __init__(self, source: Path, device: str = "auto"):
        from .deep.train import load_checkpoint, resolve_device

        files = sorted(source.glob("checkpoints/fold_*/best.pt")) if source.is_dir() else [source]
        if not files:
            raise MeauError(f"{source}: no checkpoints/fold_*/best.pt in the run folder")
        self.device = resolve_device(device)
        self.models, thresholds, targets = [], [], set()
        for file in files:
            model, self.spec, self.normalisation, self.au_columns, target = load_checkpoint(file, self.device,
                                                                                            with_target=True)
            self.models.append(model)
            targets.add(target)
            thresholds.append(_fold_thresholds(file, self.au_columns))
        if len(targets) > 1:
            raise MeauError(f"{source}: its checkpoints predict different targets ({', '.join(sorted(targets))})")
        self.target = targets.pop()
        self.thresholds = np.mean(thresholds, axis=0)
        from .flow import FlowSpec

        self.flow = isinstance(self.spec, FlowSpec)
        self.label = f"{_model_label(self.models[0])} ({len(self.models)} checkpoint(s))"
        fixed = bool(np.all(self.thresholds == 0.5))
        self.threshold = EMOTION_RULE if self.target == "emotion" else \
            "AU_p >= 0.5" if fixed else "AU_p >= AU_t (mean of the folds' validation thresholds)"

    def __call__(self, frames: np.ndarray, name: str):
        import torch

        x = self._flow_input(frames, name) if self.flow else self._clip_input(frames, name)
        squash = (lambda logits: torch.softmax(logits, dim=1)) if self.target == "emotion" else torch.sigmoid
        with torch.no_grad():
            probabilities = torch.stack([squash(model(x).float())[0] for model in self.models]).mean(0)
        probabilities = probabilities.cpu().numpy()
        if self.target == "emotion":
            return probabilities, int(np.argmax(probabilities))
        return probabilities, self.thresholds

    def _flow_input(self, frames: np.ndarray, name: str):
        import torch

        from .flow import FlowSpec, sample_flow

        spec = FlowSpec.from_dict({**self.spec.as_dict(), "apex": "estimate"})  # a new clip has no coded apex
        return torch.as_tensor(sample_flow(frames, None, spec, name)[0][None], device=self.device)

    def _clip_input(self, frames: np.ndarray, name: str):
        from .deep.data import ClipBatcher, sample_frames
        from .video import preprocess

        if frames.ndim != 4:
            frames = np.repeat(frames[..., None], 3, axis=3)
        clip = preprocess(frames, size=None, short_side=self.spec.short_side, tim_frames=self.spec.tim_frames, name=name,
                          magnify=self.spec.magnify)
        clip = sample_frames(clip, self.spec.frames, self.spec.sampling)
        height, width = clip.shape[1:3]
        if min(height, width) < self.spec.crop:
            raise MeauError(f"{name}: frames of {height} x {width} are smaller than the model's {self.spec.crop} crop")
        return ClipBatcher([clip], self.device, self.normalisation, self.spec).batch([0], train=False)


def _model_label(model) -> str:
    from .deep.resnet3d import DEPTHS

    network = getattr(model, "backbone", None)
    if network is None:
        return type(model).__name__
    depth = next((d for d, (block, layers) in DEPTHS.items()
                  if block is getattr(network, "block", None) and layers == getattr(network, "layers", None)), None)
    return f"{f'res3d{depth}' if depth else type(network).__name__} fusion={model.head.fusion}"


def _fold_thresholds(checkpoint: Path, au_columns) -> np.ndarray:
    """The thresholds the fold of ``RUN/checkpoints/fold_i/best.pt`` used (``RUN/folds/fold_i.json``), else 0.5."""
    extras = checkpoint.parent.parent.parent / "folds" / f"{checkpoint.parent.name}.json"
    chosen = {}
    if extras.exists():
        try:
            chosen = json.loads(extras.read_text()).get("thresholds") or {}
        except json.JSONDecodeError:
            raise MeauError(f"{extras}: unreadable fold file") from None
    return np.array([float(chosen.get(column, 0.5)) for column in au_columns])


def synthetic_warning(source) -> str | None:
    """A warning (and its text) when the run was trained on a synthetic database: its AUs mean nothing on real
    faces. Synthetic databases carry ``synth.json`` at their root."""
    import warnings

    from .runs import synthetic

    config = Path(source) / "config.json"
    if not config.is_file() or not synthetic(json.loads(config.read_text())):
        return None
    text = (f"{source} was trained on a synthetic database (meau synth): its predictions mean nothing on real "
            "faces; train on a licensed database for that")
    warnings.warn(text, stacklevel=3)
    return text


def load_predictor(source, device: str = "auto"):
    source = Path(source)
    if source.is_dir():
        config_path = source / "config.json"
        if not config_path.exists():
            raise MeauError(f"{source}: not a run folder (no config.json)")
        config = json.loads(config_path.read_text())
        if "descriptor" in config.get("parameters", {}):
            return HandcraftedPredictor(source)
        if "model" in config.get("parameters", {}):
            return DeepPredictor(source, device)
        raise MeauError(f"{source}: a {config.get('method', 'this')} run cannot predict new clips")
    if source.is_file():
        return DeepPredictor(source, device)
    raise MeauError(f"{source}: no such run folder or checkpoint")


def _input_frames(item, predictor, *, onset=None, offset=None, crop=None):
    """(frame numbers or None, uint8 clip as the predictor wants it, the frames as recorded) of one input, within
    onset..offset; the frames as recorded are the detector's (the clip itself without ``crop``)."""
    from .video import frames_of_input

    color = isinstance(predictor, DeepPredictor) and not predictor.flow
    if crop is None:
        clip = frames_of_input(item, onset, offset, color=color)
        return _frame_numbers(item, onset, offset, len(clip)), clip, clip
    from .crop import aligned_input, input_frames

    read = input_frames(item)
    numbers, aligned, _ = aligned_input(item, crop, read=read)
    keep = [i for i, n in enumerate(numbers) if (onset is None or n >= onset) and (offset is None or n <= offset)]
    if not keep:
        raise MeauError(f"{item}: no frame in {onset}..{offset}")
    clip = np.stack([aligned[i] for i in keep])
    if color and clip.ndim == 3:
        clip = np.repeat(clip[..., None], 3, axis=3)
    return [numbers[i] for i in keep], clip, [read[1][i] for i in keep]


def _frame_numbers(item, onset, offset, count: int) -> list[int]:
    """The frame numbers of an input's ``count`` frames read within onset..offset: the numbers in a folder's file
    names, a video's 0-based indices (as ``crop`` numbers them)."""
    from .video import folder_frames

    if Path(item).is_dir():
        return [number for number, _ in folder_frames(Path(item))
                if (onset is None or number >= onset) and (offset is None or number <= offset)][:count]
    first = onset or 0
    return list(range(first, first + count))


EMOTION_RULE = "the class of highest score (mean probability over the folds' models for a network)"
BOX_COLUMNS = ["face_x", "face_y", "face_width", "face_height"]
LANDMARK_COLUMNS = [f"x_{k}" for k in range(68)] + [f"y_{k}" for k in range(68)]


def _probability_columns(row, predictor, probabilities, thresholds):
    if getattr(predictor, "target", "aus") == "emotion":  # ``thresholds`` is then the decided class's index
        row["emotion"] = predictor.au_columns[thresholds]
        for name, probability in zip(predictor.au_columns, probabilities):
            row[f"p_{name}"] = round(float(probability), 6)
        return
    for column, probability, threshold in zip(predictor.au_columns, probabilities, thresholds):
        # the decision is taken on the written numbers, so the file never contradicts itself
        row[f"{column}_p"], row[f"{column}_t"] = round(float(probability), 6), round(float(threshold), 6)
        row[f"{column}_c"] = int(row[f"{column}_p"] >= row[f"{column}_t"])


def _decide_windows(pending, predictor, frames, window: int, present, item) -> None:
    """Each ``(row, start)`` of ``pending``: the window [start, start + window)'s face share and prediction, in
    its row (left undecided, its status saying why, when the face is found in fewer than half its frames).
    Windows are independent: they are predicted on every core at once, in threads (the flow, the descriptors
    and the networks run outside Python's lock), each result in its own row whatever the order."""
    from concurrent.futures import ThreadPoolExecutor

    todo = []
    for row, start in pending:
        share = round(float(present[start:start + window].mean()), 4) if present is not None else np.nan
        row["face_share"] = share
        if share < 0.5:  # (NaN, not checked, is not below)
            row["status"] = f"no-face: the face is found in {share:.0%} of the window's frames, nothing decided"
        else:
            todo.append((row, start))

    def predict(start):
        try:
            return predictor(frames[start:start + window], f"{item}@{start}")
        except MeauError as error:
            return error

    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, max(len(todo), 1))) as pool:
        for (row, _), result in zip(todo, pool.map(predict, [start for _, start in todo])):
            if isinstance(result, MeauError):
                row["status"] = f"error: {result}"
            else:
                _probability_columns(row, predictor, *result)


def _frame_faces(source, presence) -> dict:
    """Per frame with the face (index -> (box, 68 points)), in the frame's pixels as recorded: the detector's box
    in that frame (the presence search's where it searched it) and dlib's landmarks in it; a frame filled in
    between detections (:mod:`meau.presence`) whose face the detector does not find has none. Frames are searched
    on every core at once (:func:`meau.faces.on_every_core`)."""
    from .faces import detect_faces, landmarks, on_every_core

    def face(index):
        box = presence.boxes.get(index)
        if box is None:
            found = detect_faces(source[index])
            box = found[0][0] if found else None
        return None if box is None else (box, landmarks(source[index], box))

    indices = [int(index) for index in np.flatnonzero(presence.present)]
    found = dict(zip(indices, on_every_core(face, indices)))
    return {index: value for index, value in found.items() if value is not None}


def _frame_rows(base, item, numbers, frames, source, presence, window: int, rate: float, rate_source: str,
                predictor) -> list[dict]:
    """One row per frame (``stride`` 1): the frame, its time, whether the face is there, its box and landmarks,
    and the prediction of the window centred on it (none within ``window // 2`` frames of either end)."""
    half = window // 2
    faces = _frame_faces(source, presence) if presence is not None else {}
    present = presence.present if presence is not None else None
    rows, pending = [], []
    for index in range(len(frames)):
        row = {**base, "frame": numbers[index], "timestamp": round(index / rate, 4),
               "face": int(present[index]) if present is not None else None, "fps": rate, "fps_source": rate_source}
        if index in faces:
            (left, top, right, bottom), points = faces[index]
            row.update(face_x=left, face_y=top, face_width=right - left, face_height=bottom - top)
            row.update(zip(LANDMARK_COLUMNS, np.round(np.concatenate([points[:, 0], points[:, 1]]), 2).tolist()))
        start = index - half
        if start < 0 or start + window > len(frames):
            row["status"] = f"edge: no window of {window} frames centred on this frame"
        else:
            row.update(window_start=numbers[start], window_end=numbers[start + window - 1])
            pending.append((row, start))
        rows.append(row)
    _decide_windows(pending, predictor, frames, window, present, item)
    return rows


def predict_inputs(source, inputs, *, onset=None, offset=None, device: str = "auto", echo=print, crop=None,
                   window: int | None = None, stride: int | None = None, fps: float | None = None,
                   force_fps: bool = False):
    """Predict every input; return a DataFrame (failed inputs carry their error in ``status``).

    ``crop`` (a :class:`meau.crop.CropSettings`) finds, aligns and crops the face first (one
    transform per input, from the first frame with a face). ``window`` N with ``stride`` S: one row
    per window ``[start, start + N)`` of an input's frames, treated as a clip (onset = its first
    frame, apex estimated), with its start/end frame and time (``fps``: the video's own rate by
    default, 30 for frame folders). With ``stride`` 1, one row per frame instead, as py-feat's
    ``detect_video`` and OpenFace give: ``frame``, ``timestamp``, ``face`` (1/0), the face's box
    (``face_x, face_y, face_width, face_height``) and the 68 landmarks (``x_0 … x_67, y_0 … y_67``) in the
    frame's pixels as recorded, then the window centred on the frame.

    Where the face is comes from the face detector (:func:`meau.presence.detect_presence`): an input without a face
    in any frame is an error, a window whose face is found in fewer than half its frames is left undecided
    (``status`` says so; ``face_share`` per window).
    """
    import pandas as pd

    if window is not None and window < 2:
        raise MeauError(f"--window {window}: a window needs at least 2 frames")
    if stride is not None and stride < 1:
        raise MeauError(f"--stride {stride}: must be at least 1 frame")
    per_frame = window is not None and stride == 1
    predictor = load_predictor(source, device)
    missing = face_detector_missing()
    if missing and crop is None:
        echo(f"warning: where the face is was not checked ({missing})")
    rows = []
    for item in inputs:
        base = {"input": str(item), "status": "ok", "model": predictor.label, "threshold": predictor.threshold}
        try:
            rate, rate_source = input_rate(item, fps, force=force_fps)
            numbers, frames, recorded = _input_frames(item, predictor, onset=onset, offset=offset, crop=crop)
            presence = _presence(item, rate, recorded)
            present = presence.present if presence is not None else None
            if window is None:
                row = dict(base)
                _probability_columns(row, predictor, *predictor(frames, str(item)))
                rows.append(row)
                continue
            if window > len(frames):
                raise MeauError(f"--window {window} is longer than the input's {len(frames)} frames")
            if rate_source.startswith("assumed"):
                echo(f"{item}: {rate:g} fps {rate_source}")
            if per_frame:
                rows += _frame_rows(base, item, numbers, frames, recorded, presence, window, rate, rate_source,
                                    predictor)
                continue
            pending = [({**base, "window_start": numbers[start], "window_end": numbers[start + window - 1],
                         "start_s": round(start / rate, 4), "end_s": round((start + window) / rate, 4), "fps": rate,
                         "fps_source": rate_source}, start)
                       for start in range(0, len(frames) - window + 1, stride or max(window // 2, 1))]
            _decide_windows(pending, predictor, frames, window, present, item)
            rows += [row for row, _ in pending]
        except MeauError as error:
            rows.append({**base, "status": f"error: {error}"})
            echo(f"{item}: {error}")
    columns = ["input", "status", "model", "threshold"]
    if per_frame:
        columns[1:1] = ["frame", "timestamp", "face", *BOX_COLUMNS, *LANDMARK_COLUMNS]
        columns[-2:-2] = ["window_start", "window_end", "fps", "fps_source", "face_share"]
    elif window is not None:
        columns[1:1] = ["window_start", "window_end", "start_s", "end_s", "fps", "fps_source", "face_share"]
    if getattr(predictor, "target", "aus") == "emotion":
        columns += ["emotion"] + [f"p_{name}" for name in predictor.au_columns]
        integers = {}
    else:
        for column in predictor.au_columns:
            columns += [f"{column}_p", f"{column}_t", f"{column}_c"]
        integers = {f"{c}_c": "Int64" for c in predictor.au_columns}
    if window is not None:  # frame numbers stay integers even where a failed input leaves them empty
        integers.update(window_start="Int64", window_end="Int64")
    if per_frame:
        integers.update({name: "Int64" for name in ["frame", "face", *BOX_COLUMNS]})
    return pd.DataFrame(rows, columns=columns).astype(integers)


def face_detector_missing() -> str | None:
    """Why the face's presence cannot be checked (dlib, the face extra, not installed), or None."""
    from .faces import _dlib

    try:
        _dlib()
    except MeauError as error:
        return str(error)
    return None


def _presence(item, rate: float, frames):
    """:class:`meau.presence.Presence` of an input's frames as recorded (None without dlib: not checked); a
    FrameError when the detector finds the face in no frame (every frame searched)."""
    from .presence import face_presence

    return None if face_detector_missing() else face_presence(frames, rate, item)


def _merged(starts, ends) -> list[tuple[float, float]]:
    """Overlapping spans [start, end] (sorted by start) joined into one."""
    spans: list[list[float]] = []
    for left, right in zip(starts, ends):
        if spans and left <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], right)
        else:
            spans.append([left, right])
    return [(left, right) for left, right in spans]


def traces_figure(table, path) -> Path:
    """AU probabilities over time from windowed predictions, as small multiples: one panel per AU.

    The inputs follow one another along the time axis, their boundaries marked and named; in each panel
    the probability per window (at the window's centre), the threshold dashed, and the windows decided
    present shaded.
    """
    from .annotations import au_from_column
    from .figures import pyplot, save_figure

    plt = pyplot()
    emotion = "emotion" in table.columns
    au_columns = [column[2:] for column in table.columns if column.startswith("p_")] if emotion else \
        [column[:-2] for column in table.columns if column.endswith("_p")]
    inputs = list(dict.fromkeys(table["input"]))
    figure, axes = plt.subplots(len(au_columns), 1, figsize=(9, 0.4 + 1.35 * len(au_columns)), sharex=True,
                                squeeze=False)
    offset, boundaries = 0.0, []
    for item in inputs:
        rows = table[(table["input"] == item) & (table["status"] == "ok")]
        if rows.empty:
            continue
        if "timestamp" in rows.columns:  # one row per frame: the frame's own time span
            centre = rows["timestamp"].to_numpy(float) + offset
            start, end = centre - 0.5 / rows["fps"].to_numpy(float), centre + 0.5 / rows["fps"].to_numpy(float)
        else:
            start, end = rows["start_s"].to_numpy(float) + offset, rows["end_s"].to_numpy(float) + offset
            centre = (start + end) / 2
        for index, (axis, column) in enumerate(zip(axes[:, 0], au_columns)):
            colour = f"C{index % 10}"
            if emotion:  # a class's probability, shaded where it is the decided class
                axis.plot(centre, rows[f"p_{column}"], color=colour, linewidth=1.2)
                decided = rows["emotion"].to_numpy() == column
            else:
                axis.plot(centre, rows[f"{column}_p"], color=colour, linewidth=1.2)
                axis.step(centre, rows[f"{column}_t"], where="mid", color="black", linestyle="--", linewidth=0.8)
                decided = rows[f"{column}_c"].to_numpy() == 1
            for left, right in _merged(start[decided], end[decided]):
                axis.axvspan(left, right, color=colour, alpha=0.18, linewidth=0)
        boundaries.append((offset, float(end.max()), Path(item).name))
        offset = float(end.max())
    for axis, column in zip(axes[:, 0], au_columns):
        axis.set_ylim(0, 1)
        axis.set_ylabel(column if emotion else f"AU{au_from_column(column)}", rotation=0, ha="right", va="center",
                        fontsize=8)
        axis.tick_params(labelsize=7)
        for left, _, _ in boundaries[1:]:
            axis.axvline(left, color="0.3", linewidth=1.0)
    for left, right, name in boundaries:
        axes[0, 0].text((left + right) / 2, 1.04, name, ha="center", va="bottom", fontsize=8,
                        transform=axes[0, 0].get_xaxis_transform())
    axes[-1, 0].set_xlabel("time (s), window centre; inputs one after another")
    figure.suptitle("probability of each class per window (line), windows decided as that class (shaded)" if emotion
                    else "probability per window (line), threshold (dashed), decided present (shaded)", fontsize=8,
                    y=1.0)
    figure.tight_layout()
    return save_figure(figure, Path(path))
