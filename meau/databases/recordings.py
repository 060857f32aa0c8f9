"""Long recordings and their coded intervals: what spotting reads from a long-video database.

A recording is one folder of frames (every frame of it, not an interval's), named by the database
(``15_0101``, ``006_1``, ``spNO.1_a``); its truth intervals come from the sheet, with their type (micro
or macro) and AUs. Recordings without a coded interval are found in the folder tree too (their
predictions are false positives). Every problem is listed: a recording whose folder is missing
(its intervals are left out and said so), an interval without usable ends, an interval past the
recording's last frame (clipped to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MeauError, SettingError
from .sheets import Problem, sample_key

TRUTH_COLUMNS = ["subject", "video", "onset", "offset", "type", "apex", "emotion", "row"]


@dataclass
class Recording:
    """One long recording: ``frames`` (paths in frame order) and their ``numbers``; ``landmarks``:
    68 x 2 points of the face in the frames' pixels where ``landmarks.csv`` gives them."""

    database: str
    subject: str
    video: str
    frames: list
    numbers: list
    fps: float
    landmarks: np.ndarray | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.subject, self.video


@dataclass
class LongVideos:
    """The recordings of a long-video database and its truth intervals (one row each, ``TRUTH_COLUMNS``
    and the AU columns, AUs empty where unknown)."""

    database: str
    recordings: list
    truth: object  # pandas DataFrame
    au_columns: list
    problems: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    layout: str = ""

    @property
    def subjects(self) -> list[str]:
        return sorted({recording.subject for recording in self.recordings}, key=natural_order)

    @property
    def validation(self):
        from .sheets import problems_frame

        return problems_frame(self.problems)


def natural_order(text: str):
    """A sort key putting ``s2`` before ``s10`` (subjects, recordings)."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def load_recordings(selection) -> LongVideos:
    """The recordings and truth of a :class:`~meau.databases.DatasetSelection` of a long-video database (an error
    names the database the root looks like, when it is another's)."""
    from .lookalike import with_root_hint

    try:
        return _load_recordings(selection)
    except MeauError as error:
        if selection.root is None or selection.datasets is not None:
            raise
        raise with_root_hint(error, selection.root, selection.database, selection.frames) from None


def _load_recordings(selection) -> LongVideos:
    from .database import get
    from .dataset import annotate, find_sheet
    from .layouts import clip_folders, clip_folder, detect_layout

    selection = selection.check()
    if selection.datasets is not None:
        raise SettingError("datasets", None, "spotting reads one long-video database: give {root} and {database}")
    database = get(selection.database)
    if not database.long_video:
        from .database import names

        spotting = [name for name in names() if get(name).long_video]
        raise SettingError("database", selection.database, f"not a database of long recordings; spotting reads "
                           f"{', '.join(spotting)}")
    root = Path(selection.root)
    sheet = find_sheet(root, database.name, selection.sheet, selection.expressions)
    labels = annotate(sheet, database.name, aus="auto", min_count=1, expressions=selection.expressions,
                      policy=selection.labels.policy, fixes=selection.labels.apply_fixes,
                      emotions_sheet=selection.emotions_sheet)
    table = labels.table
    problems = list(labels.problems)
    probe = table.head(5).to_dict("records")
    layout, bases = detect_layout(root, database.name, selection.layout, probe=probe)
    landmarks = _landmarks(root, database.name)
    recordings, seen = [], {}
    for row in table.drop_duplicates(["subject", "clip"]).to_dict("records"):
        folder = clip_folder(layout, bases, row)
        if folder is None:
            problems.append(Problem("missing-recording", f"no folder for the recording {database.video_name(row)}: "
                                    "its intervals are left out", row["row"],
                                    sample_key(row["database"], row["subject"], database.video_name(row))))
            continue
        seen[folder.resolve()] = True
        recordings.append(_recording(database, row["subject"], row["clip"], folder, layout, row, landmarks))
    for fields, folder in clip_folders(layout, bases):  # recordings without a coded interval
        if folder.resolve() in seen:
            continue
        clip = database.folder_clip(folder.name) if "clip" in fields else None
        subject = fields.get("subject") or _subject_of(clip, table)
        if clip is None or subject is None:
            continue
        row = {"subject": subject, "clip": clip}
        recordings.append(_recording(database, subject, clip, folder, layout, row, landmarks))
    recordings = [recording for recording in recordings if recording.frames]
    if not recordings:
        raise MeauError(f"{root}: no recording of the sheet has its frames under this root ({layout.name} layout)")
    truth = _truth(table, labels.au_columns, database, recordings, problems)
    for source in labels.sources:
        source.setdefault("root", str(root))
    return LongVideos(database.name, recordings, truth, labels.au_columns, problems, labels.sources, layout.name)


def _subject_of(clip, table):
    known = table.loc[table["clip"] == clip, "subject"]
    return str(known.iloc[0]) if len(known) else None


def _recording(database, subject, clip, folder, layout, row, landmarks) -> Recording:
    from .layouts import list_frames

    frames = list_frames(folder, layout.pattern.regex({**row, "clip": clip, "subject": subject}))
    points = landmarks.get((str(subject), str(clip)))
    return Recording(database.name, str(subject), database.video_name({"subject": subject, "clip": clip}),
                     list(frames.values()), list(frames), float(database.frame_rate or 30), points)


def _landmarks(root: Path, database: str) -> dict:
    """{(subject, clip): 68 x 2 points} from the root's ``landmarks.csv`` (meau crop's or meau synth's)."""
    from ..faces import read_landmarks

    path = root / "landmarks.csv"
    if not path.is_file():
        return {}
    points = {}
    for sample, values in read_landmarks(path, points="output").items():
        parts = str(sample).split("/")
        if len(parts) >= 3:
            points.setdefault((parts[-3], parts[-2]), values)
    return points


def _truth(table, au_columns, database, recordings, problems):
    """The truth intervals of the recordings found: ends known and within the recording (clipped to
    its last frame, reported); intervals of a missing recording are left out."""
    import pandas as pd

    by_key = {(recording.subject, recording.video): recording for recording in recordings}
    rows = []
    for row in table.to_dict("records"):
        video = database.video_name(row)
        recording = by_key.get((str(row["subject"]), video))
        key = sample_key(row["database"], row["subject"], video, row["onset"])
        if recording is None:
            continue
        if pd.isna(row["onset"]) or pd.isna(row["offset"]):
            problems.append(Problem("missing-frame-number", "onset or offset unknown: the interval cannot be scored",
                                    row["row"], key))
            continue
        onset, offset = int(row["onset"]), int(row["offset"])
        if onset > offset:
            problems.append(Problem("impossible-frames", f"onset {onset} > offset {offset}: left out", row["row"], key))
            continue
        first, last = recording.numbers[0], recording.numbers[-1]
        if offset > last or onset < first:
            clipped = (max(onset, first), min(offset, last))
            problems.append(Problem("interval-clipped", f"{onset}..{offset} lies outside the recording's frames "
                                    f"{first}..{last}: clipped to {clipped[0]}..{clipped[1]}", row["row"], key))
            if clipped[0] > clipped[1]:
                continue
            onset, offset = clipped
        rows.append({"subject": str(row["subject"]), "video": video, "onset": onset, "offset": offset,
                     "type": row.get("type", "micro"), "apex": row["apex"], "emotion": row.get("emotion", ""),
                     "row": row["row"], **{column: row[column] for column in au_columns}})
    truth = pd.DataFrame(rows, columns=TRUTH_COLUMNS + list(au_columns))
    for column in au_columns:
        truth[column] = truth[column].astype("Int64")
    return truth
