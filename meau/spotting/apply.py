"""A spotting run's settings applied to your own recordings: no sheet, no labels, no onsets.

``meau spot flow DB --database … -o runs/spot`` saves, beside its folds, the settings chosen on all its
subjects (``settings.json``: data, never code). ``meau spot flow --run runs/spot VIDEO_OR_FOLDER… -o out``
reads them and spots each recording:

- ``out/intervals.csv``: ``input, video, onset, offset, type, score, onset_s, offset_s`` (frame numbers:
  a video's 0-based indices, a folder's numbers from its file names; seconds from the first frame),
  with ``AUxx_p/_t/_c`` per interval when an AU run describes them (``aus``);
- ``out/figures/<video>.png``: per type, the score over time, the threshold and the spots;
- ``out/<video>.eaf`` with ``eaf``: an ELAN file (``pympi-ling``) with a tier per type, each spot an
  annotation whose value holds its score and AUs, the video linked as its media.

A recording at another frame rate than the run's gets the run's settings in seconds (``k``, the
smoothing and the length bounds scaled to its frames). Each input is processed on its own: one that
fails is listed (``status`` in ``recordings.csv``) and the others go on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import ClipError, FrameError, MeauError, SettingError
from .peaks import Prepared, TypeSettings, spot
from .run import SETTINGS_FORMAT, _file_name, spotting_figure
from .score import TYPES

INTERVAL_COLUMNS = ["input", "video", "onset", "offset", "type", "score", "onset_s", "offset_s"]


def spotters() -> dict:
    """Spotter kind -> its class (the settings file names the kind)."""
    from .diff import DiffSpotter
    from .flow import FlowSpotter
    from .mdmd import MdmdSpotter
    from .softnet import SoftNetSpotter

    return {"flow": FlowSpotter, "mdmd": MdmdSpotter, "diff": DiffSpotter, "softnet": SoftNetSpotter}


@dataclass
class SavedSettings:
    """What ``settings.json`` holds: the spotter, the run's frame rate and stride, and per type its settings."""

    spotter: object
    fps: float
    settings: dict  # type -> TypeSettings
    run: Path | None = None
    classes: list = field(default_factory=list)  # a learned spotter's emotion classes (--recognize)
    models: dict = field(default_factory=dict, repr=False)  # type -> a learned spotter's (model, scale), read once

    def model(self, kind: str):
        """A learned spotter's network for new recordings of one type (``models/<type>.pt``), read once per run."""
        if kind not in self.models:
            from .softnet import load_model

            self.models[kind] = load_model(self.run / "models" / f"{kind}.pt")[:2]
        return self.models[kind]

    def at(self, fps: float) -> dict:
        """The settings for a recording at ``fps``: the run's, in seconds (frames scaled by fps / run fps)."""
        factor = fps / self.fps
        if abs(factor - 1) < 1e-9:
            return dict(self.settings)
        scale = lambda frames: max(1, int(round(frames * factor)))  # noqa: E731
        return {kind: replace(chosen, k=scale(chosen.k), smoothing=scale(chosen.smoothing),
                              length=(scale(chosen.length[0]), scale(chosen.length[1]) if chosen.length[1] < 10 ** 9
                                      else chosen.length[1]))
                for kind, chosen in self.settings.items()}


def read_settings(run, kind: str | None = None) -> SavedSettings:
    """A run's ``settings.json`` (one line naming the run when it has none, or is another spotter's)."""
    path = Path(run) / "settings.json"
    if not path.exists():
        raise SettingError("run", run, "no settings.json: not a finished spotting run of this meau "
                                       "(meau spot … DB --database … -o RUN writes one when every fold is done)")
    try:
        saved = json.loads(path.read_text())
        if saved.get("format") != SETTINGS_FORMAT:
            raise ValueError("not a meau spotting settings file")
        fields = dict(saved["spotter"])
        found = fields.pop("spotter")
        cls = spotters()[found]
        known = {name: value for name, value in fields.items() if name in cls.__dataclass_fields__}
        if "p_grid" in known:
            known["p_grid"] = tuple(known["p_grid"])
        settings = {kind_: TypeSettings.from_dict(saved["settings"][kind_]) for kind_ in TYPES}
        result = SavedSettings(cls(**known), float(saved["fps"]), settings, Path(run), list(saved.get("classes") or []))
    except (ValueError, KeyError, TypeError) as error:
        raise SettingError("run", run, f"unreadable settings.json ({type(error).__name__}: {error})") from None
    if kind is not None and found != kind:
        raise SettingError("run", run, f"a {found} spotting run: use meau spot {found} --run {run}")
    return result


@dataclass
class NewRecording:
    """One input: its frames (images), their numbers, frame rate and, for the flow spotter, its 68 points."""

    source: Path
    name: str
    numbers: list
    frames: list
    fps: float
    points: np.ndarray | None = None
    video: bool = False
    presence: object = None  # meau.presence.Presence: where the face is, from the detector
    rate_source: str = ""


def load_recording(path, *, fps: float | None, crop=None, landmarks: bool = False,
                   force_fps: bool = False) -> NewRecording:
    """Read one video or frame folder (with ``crop``, the face found, aligned and cropped first), where its
    face is (:func:`meau.presence.detect_presence`, on the frames as recorded) and its frame rate
    (:func:`meau.video.input_rate`); a recording without a face in any frame is a FrameError."""
    from ..crop import input_frames
    from ..prediction import face_detector_missing
    from ..presence import face_presence
    from ..video import input_rate

    path = Path(path)
    rate, rate_source = input_rate(path, fps, force=force_fps)
    numbers, frames = input_frames(path)
    if crop is None and not landmarks and face_detector_missing():
        presence = None  # no dlib: the spotter's own similarity test says where the face is (said in recordings.csv)
    else:
        presence = face_presence(frames, rate, path)
    points = None
    if crop is not None or landmarks:
        from ..faces import landmarks as face_points

        first = min(presence.boxes)  # the first frame the detector found the face in
        points = face_points(frames[first], presence.boxes[first])
    if crop is not None:
        from ..crop import align

        frames, record, _ = align(frames, [first], crop, points=points)
        points = np.asarray(record["points"], dtype=np.float64)
    name = path.stem if path.is_file() else path.name
    return NewRecording(path, name, list(numbers), list(frames), rate, points, video=path.is_file(),
                        presence=presence, rate_source=rate_source)


def _seconds(recording: NewRecording, number: int, end: bool = False) -> float:
    """Seconds from the recording's first frame to frame ``number`` (its end with ``end``)."""
    index = recording.numbers.index(number)
    return round((index + int(end)) / recording.fps, 4)


def spot_recording(saved: SavedSettings, recording: NewRecording):
    """(Prepared traces, the settings at its frame rate, the intervals as rows of INTERVAL_COLUMNS)."""
    spotter = saved.spotter
    settings = saved.at(recording.fps)
    stride = spotter.stride_for(recording.fps)
    present = recording.presence.present if recording.presence is not None else None
    traces = spotter.traces(recording.frames, recording.points, sorted({s.k for s in settings.values()}), stride, None,
                            present=present)
    item = Prepared(("", recording.name), recording.numbers, traces["present"],
                    {k: traces[k] for k in {s.k for s in settings.values()}})
    if spotter.learned:
        return _spot_learned(saved, recording, item, settings, stride)
    rows = []
    for kind in TYPES:
        for onset, offset, peak in spot(spotter, item, settings[kind]):
            rows.append((str(recording.source), recording.name, onset, offset, kind, round(peak, 6),
                         _seconds(recording, onset), _seconds(recording, offset, end=True)))
    return item, settings, rows


def _spot_learned(saved: SavedSettings, recording, item, settings, stride):
    """A learned spotter's networks for new recordings (``models/<type>.pt`` of the run) on one recording."""
    from .learned import ByKind, interval_rows
    from .softnet import scored

    rows, by_kind = [], {}
    for kind in TYPES:
        result = scored(*saved.model(kind), item, settings[kind].k, stride)
        by_kind[kind] = result.item
        for row in interval_rows(saved.spotter, result, settings[kind], kind, saved.classes):
            onset, offset = row[2], row[3]
            rows.append((str(recording.source), recording.name, *row[2:6], _seconds(recording, onset),
                         _seconds(recording, offset, end=True), *row[6:]))
    return ByKind(item.key, item.numbers, by_kind), settings, rows


def frames_clip(recording: NewRecording):
    """``clip_of`` (see :func:`meau.spotting.aus.interval_aus`) for an input held in memory."""
    from ..video import to_grey

    def clip_of(row, color):
        chosen = [frame for frame, number in zip(recording.frames, recording.numbers)
                  if int(row["onset"]) <= number <= int(row["offset"])]
        clip = np.stack(chosen)
        if color and clip.ndim == 3:
            return np.repeat(clip[..., None], 3, axis=3)
        if not color and clip.ndim == 4:
            return np.clip(np.rint(to_grey(clip)), 0, 255).astype(np.uint8)
        return clip

    return clip_of


def _touches(table, numbers, presence) -> list[bool]:
    """Per spotted interval, whether it reaches into a stretch without the face (kept, flagged: the spot may
    be the face leaving or arriving, which a reader should see rather than lose)."""
    if presence is None or not len(table):
        return [False] * len(table)
    index = {number: i for i, number in enumerate(numbers)}
    return [bool((~presence.present[index[int(onset)]:index[int(offset)] + 1]).any())
            for onset, offset in zip(table["onset"], table["offset"])]


def write_eaf(path, recording: NewRecording, intervals, au_columns) -> Path:
    """An ELAN file: a tier per type (``micro``, ``macro``), one annotation per spot from its first frame's
    start to its last frame's end, valued ``score 0.8123; AU4+AU12`` (the AUs decided present), the video
    linked as its media (``MEDIA_URL`` a ``file://`` URL, ``RELATIVE_MEDIA_URL`` relative to the ``.eaf``);
    with an emotion per spot, the value starts with it (``positive; score 0.8123``)."""
    from ..outputs import atomic_path

    path = Path(path)
    eaf = _eaf_class()(author="meau")
    if recording.video:  # ELAN finds the video by its file:// URL, or relative to the .eaf on another machine
        source = recording.source.resolve()
        relative = Path(os.path.relpath(source, path.parent.resolve())).as_posix()
        eaf.add_linked_file(source.as_uri(), relpath=relative if relative.startswith("../") else f"./{relative}",
                            mimetype=_mimetype(recording.source))
    for kind in TYPES:
        eaf.add_tier(kind)
    eaf.remove_tier("default")
    for row in intervals.to_dict("records"):
        present = [f"AU{int(c[2:])}" for c in au_columns if str(row.get(f"{c}_c")) == "1"]
        value = f"score {row['score']:.4f}" + (f"; {'+'.join(present) or 'no AU'}" if au_columns else "")
        if isinstance(row.get("emotion"), str) and row["emotion"]:
            value = f"{row['emotion']}; {value}"
        eaf.add_annotation(row["type"], int(round(row["onset_s"] * 1000)), int(round(row["offset_s"] * 1000)), value)
    with atomic_path(path) as temporary:
        temporary.unlink()  # pympi renames a file already there to a hidden .bak, which would stay behind
        eaf.to_file(str(temporary))
    return path


def _eaf_class():
    """pympi-ling's ``Eaf``, or one line naming the extra that installs it."""
    try:
        from pympi.Elan import Eaf
    except ImportError:
        raise SettingError("eaf", True, "writing ELAN files needs pympi-ling: pip install 'meau[elan]'") from None
    return Eaf


def _mimetype(path: Path) -> str:
    return {".mp4": "video/mp4", ".avi": "video/x-msvideo", ".mov": "video/quicktime", ".mpg": "video/mpeg",
            ".mpeg": "video/mpeg", ".wav": "audio/x-wav"}.get(path.suffix.lower(), "video/*")


def spot_inputs(run, inputs, out, *, kind: str | None = None, fps: float | None = None, crop=None, aus=None,
                emotions=None, eaf: bool = False, figures: bool = True, overwrite: bool = False, echo=print,
                force_fps: bool = False) -> dict:
    """Spot each input with the run's saved settings into the output folder ``out`` (see the module).

    ``aus``: (AU run, its predictor) from :func:`meau.spotting.aus.au_predictor`. Returns a summary.
    """
    import pandas as pd

    from ..outputs import OutputFolder, check_separate, write_csv

    saved = read_settings(run, kind)
    if eaf:
        _eaf_class()  # missing: one line before anything is read or written
    inputs = [Path(item) for item in inputs]
    missing = [item for item in inputs if not item.exists()]
    if missing:
        raise MeauError(f"{missing[0]}: no such video or frame folder")
    check_separate(out, [*inputs, run])
    folder = OutputFolder(out, "spotting")
    mode = folder.check_claim(resume=False, overwrite=overwrite, what="output folder")
    names = [item.stem if item.is_file() else item.name for item in inputs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise MeauError(f"two inputs are named {repeated[0]!r}: their outputs would collide; rename one")
    if mode == "overwrite":
        folder.clear()
    folder.mark()
    rows, statuses = [], []
    for item in inputs:
        try:
            recording = load_recording(item, fps=fps, crop=crop, landmarks=saved.spotter.needs_landmarks,
                                       force_fps=force_fps)
            prepared, settings, found = spot_recording(saved, recording)
            if recording.presence is None:  # no dlib: where the spotter's own test found the face
                from ..presence import Presence

                recording.presence = Presence(np.asarray(prepared.present, bool), 0)
        except (FrameError, ClipError) as error:
            statuses.append({"input": str(item), "status": f"error: {error}", "frames": 0, "fps": None,
                             "fps_source": None, "intervals": 0})
            echo(str(error) if str(item) in str(error) else f"{item}: {error}")  # the path once
            continue
        from .learned import emotion_columns

        table = pd.DataFrame(found, columns=INTERVAL_COLUMNS + emotion_columns(saved.classes))
        table.insert(INTERVAL_COLUMNS.index("offset_s") + 1, "touches_no_face",
                     _touches(table, recording.numbers, recording.presence))
        for describe in (aus, emotions):
            if describe is not None:
                from .aus import interval_aus

                table = interval_aus(table, frames_clip(recording), describe[0], predictor=describe[1])
        au_columns = list(aus[1].au_columns) if aus is not None else []
        if figures:
            spotting_figure(saved.spotter, prepared, {k: v.as_dict() for k, v in settings.items()},
                            table.assign(subject=""), None, recording.fps,
                            folder.file("figures", f"{_file_name(('', recording.name))}.png"),
                            gaps=[(recording.numbers[a], recording.numbers[b])
                                  for a, b in recording.presence.stretches()])
        if eaf:
            write_eaf(folder.file(f"{_file_name(('', recording.name))}.eaf"), recording, table, au_columns)
        rows.append(table)
        gaps = recording.presence.summary(recording.numbers, recording.fps)
        statuses.append({"input": str(item), "status": "ok", "frames": len(recording.numbers), "fps": recording.fps,
                         "fps_source": recording.rate_source, "intervals": len(table), **gaps})
        without = f", {gaps['frames_without_face']} frame(s) without the face ({gaps['share_without_face']:.0%}: " \
                  f"{gaps['stretches_without_face']}; nothing spotted there)" if gaps["frames_without_face"] else ""
        echo(f"{item}: {len(recording.numbers)} frames at {recording.fps:g} fps ({recording.rate_source}), "
             f"{len(table)} interval(s){without}")
    intervals = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=INTERVAL_COLUMNS)
    table = pd.DataFrame(statuses)
    for column in ("frames_without_face", "intervals", "frames"):  # integers, also beside a failed input's row
        if column in table:
            table[column] = table[column].astype("Int64")
    write_csv(folder.file("recordings.csv"), table)
    write_csv(folder.file("intervals.csv"), intervals)
    return {"inputs": len(inputs), "failed": sum(s["status"] != "ok" for s in statuses),
            "intervals": len(intervals), "spotter": saved.spotter.name}
