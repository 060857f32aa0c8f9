"""SAMM Long Videos (Yap, Kendrick, Davison, FG 2020): 147 long recordings of 32 participants at 200 fps,
2040 x 1088, grey; 343 macro- and 159 micro-movements coded (502 intervals), for spotting.

Sheet ``SAMM_LongVideos_V2_Release.xlsx`` (a V3 circulates too), worksheet ``FACS_Movement_Only``:
about 9 preamble rows (title, symbol key), then ``Subject, Filename, Inducement Code, Onset, Apex,
Offset, Duration, Type, Action Units, Notes``. ``Filename`` is ``006_1_3``: the recording ``006_1``
(subject and inducement) and the interval's index. ``Type`` is ``Macro`` or ``Micro - 1/2``. An apex
of ``-1`` is not annotated (6 rows); an onset of ``0`` (10 rows) is read as not coded and replaced by
the apex (reported), as the MEGC baselines do. AU cells carry intensity ranges ``4(B/C)``,
alternatives ``12A or 14A``, ``ref(…)`` and free text (``Chewing``, ``reaction?``): a cell that cannot
be parsed keeps its interval, reported by row, its AUs unknown.

Frames: ``SAMM_longvideos/006_1/006_1_0001.jpg``; the digits of the frame number are read from the
files (4 or 5), and sheet frame numbers are the files' numbers (inferred: no copy seen).
"""

import re
from pathlib import Path

from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import LongWriter
from .sheets import SheetFormat

NAME = "sammlv"
FRAME_RATE = 200


class LongVideoSheet(Database):
    """SAMM-LV's rows: ``clip`` is the recording (``Filename`` without its index), kept in ``filename``."""

    def read_sheet(self, path, *, sheet=None, columns=None, extra_fields=(), expressions="all"):
        rows = super().read_sheet(path, sheet=sheet, columns=columns, extra_fields=extra_fields,
                                  expressions=expressions)
        for row in rows.rows:
            row["filename"] = row["clip"]
            match = re.match(r"^(.*)_\d+$", row["clip"])
            row["clip"] = match.group(1) if match else row["clip"]
        return rows

    def join_emotions(self, rows, path):
        """Each micro-expression's ``Estimated Emotion`` from SAMM's short sheet, joined on ``Filename`` as the
        STR baselines do (every real SAMM-LV micro-expression has a row there); macro-expressions have none.
        A micro-expression without a match keeps an empty emotion and is reported (``no-emotion``)."""
        from .database import read_sheet
        from .sheets import Problem, sample_key

        short = read_sheet(path, "samm")
        emotions = {str(row["clip"]): row["emotion"] for row in short.rows}
        problems = []
        for row in rows:
            if row.get("expression", "micro") != "micro":
                continue
            found = emotions.get(str(row["filename"]))
            if found:
                row["emotion"] = found
            else:
                key = sample_key(row["database"], row["subject"], row["clip"], row["onset"])
                problems.append(Problem("no-emotion", f"{row['filename']} is not in {Path(path).name}: its emotion is "
                                        "unknown", row["row"], key, str(path)))
        return problems


class Writer(LongWriter):
    """9 preamble rows, worksheet ``FACS_Movement_Only``, integer subjects, ``Macro`` / ``Micro - 1/2``,
    intensity ranges, alternatives and free-text AU cells, an apex of -1, an onset of 0; grey frames."""

    sheet_name = "SAMM_LongVideos_V2_Release.xlsx"
    grey = True
    frame_rate = FRAME_RATE

    def name_recording(self, recording, subject_index, video_index):
        subject = f"{subject_index + 6:03d}"
        recording.update(sheet_subject=subject_index + 6, subject=subject, clip=f"{subject}_{video_index + 1}")

    def frame_path(self, recording, number):
        return f"SAMM_longvideos/{recording['clip']}/{recording['clip']}_{number:04d}.jpg"

    def au_text(self, interval, index):
        tokens = [f"{side or ''}{au}" for au, side in interval["aus"].items()]
        if index % 11 == 3:
            return "Chewing"  # free text: the interval is kept, its AUs unknown
        if index % 7 == 2:
            tokens[0] += "(B/C)"
        elif index % 7 == 5 and len(tokens) > 1:
            return f"{tokens[0]}A or {'+'.join(tokens[1:])}"
        return "+".join(tokens)

    def write_rows(self, workbook, sheet, intervals):
        sheet.title = "FACS_Movement_Only"
        for line in ("SAMM Long Videos (synthetic)", "FACS coded movements", "", "Key:", "A = asymmetric",
                     "B/C = intensity range", "", ""):
            sheet.append([line])
        sheet.append(["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
                      "Action Units", "Notes"])
        for index, interval in enumerate(intervals):
            apex = -1 if index == 4 else interval["apex"]  # not annotated
            onset = 0 if index == 6 else interval["onset"]  # not coded: the apex replaces it
            sheet.append([interval["sheet_subject"], f"{interval['clip']}_{interval['number']}",
                          int(interval["clip"].split("_")[1]), onset, apex, interval["offset"],
                          interval["offset"] - interval["onset"] + 1,
                          "Macro" if interval["type"] == "macro" else "Micro - 1/2", self.au_text(interval, index),
                          None])

    def write_emotions(self, out, intervals):
        """SAMM's short sheet (``SAMM_Micro_FACS_Codes_v2.xlsx``, its own format) holding every micro-expression
        under its SAMM-LV ``Filename``, with the ``Estimated Emotion`` its AUs show: what ``--emotions-sheet``
        joins, as the STR baselines join the real one."""
        from .likes import write_sheet
        from .samm import DATABASE as SAMM

        plan = [{**interval, "clip": f"{interval['clip']}_{interval['number']}", "cell": "",
                 "sheet_subject": interval["subject"], "emotion": SAMM_EMOTIONS.get(interval["emotion"], "other")}
                for interval in intervals if interval["type"] == "micro"]
        write_sheet(SAMM.synth, out / EMOTIONS_SHEET, plan, -1)


EMOTIONS_SHEET = "SAMM_Micro_FACS_Codes_v2.xlsx"
SAMM_EMOTIONS = {"happiness": "happiness", "surprise": "surprise", "disgust": "disgust", "repression": "contempt",
                 "others": "other"}  # the synthetic emotions under SAMM's names


DATABASE = LongVideoSheet(
    name=NAME,
    title="SAMM Long Videos",
    frame_rate=FRAME_RATE,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=3,
        sheet="FACS_Movement_Only",
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("Onset", "Onset Frame"),
            "apex": ("Apex", "Apex Frame"),
            "offset": ("Offset", "Offset Frame"),
            "au_raw": ("Action Units",),
            "expression": ("Type",),
            "emotion": ("Estimated Emotion", "Emotion"),
        },
        optional=("emotion",),
        header_search_rows=40,
        missing_marks=("-1", "0"),
    ),
    sheet_globs=("SAMM_LongVideos*.xlsx", "SAMM_LongVideos*.csv", "*.xlsx"),
    layouts=(
        named_layout(NAME, "cropped", ("Cropped",), "{clip}/reg_{clip}_{frame:04d}.jpg"),
        named_layout(NAME, "raw", ("SAMM_longvideos", "SAMM_LongVideos", "."), "{clip}/{clip}_{frame}.jpg"),
    ),
    template=TemplateNote("SAMM-LV", "/path/to/SAMM_LongVideos", "SAMM_LongVideos_V2_Release.xlsx",
                          "SAMM_longvideos/<subject>_<inducement>/"),
    synth=Writer(),
    inferred="frame numbers = the files' numbers (4 or 5 digits); an onset of 0 = not coded",
    long_video=True,
    default_expressions="all",
    keep_unparseable=True,
    fill_ends=True,
)
