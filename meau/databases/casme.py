"""CASME (Yan et al., FG 2013): 197 micro-expressions of 19 subjects at 60 fps, Sections A and B.

The combined sheet (``Section A.xls``, legacy .xls): ``Subject, Filename, OnsetF, ApexF1, ApexF2,
OffsetF, Onset, Total, AU, Emotion``; ``Onset`` and ``Total`` are milliseconds. ``\\`` marks a missing
value (21 rows have no ``OffsetF``: it is estimated from ``Total``); ``comtempt`` is corrected;
several rows share a clip folder (keyed by onset). Frames: ``CASME_A/Section A/sub01/EP01_5/EP01_5-113.jpg``
(numbers sometimes padded to 3) and ``Cropped/sub01/EP01_5/reg_EP01_5-113.jpg``.
"""

from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import SynthWriter
from .sheets import SheetFormat

NAME = "casme"
FRAME_RATE = 60


class Writer(SynthWriter):
    """The combined Section A/B header; ``\\`` offsets recovered from ``Total``; ``comtempt``; rows
    sharing a clip folder; frames ``{clip}-{n:03d}`` under ``CASME_A/Section A``. Written as ``.xlsx``
    (meau writes no legacy ``.xls``; the reader takes both)."""

    sheet_name = "CASME-Section-AB-synth.xlsx"
    excel_numbers = True

    def name_row(self, row, index, k, rng):
        # every third sample shares the clip folder of the one before (several rows, one folder)
        clip_number = k - (1 if k % 3 == 2 else 0)
        row["sheet_subject"] = row["folder_subject"] = row["subject"]
        row["clip"] = f"EP{clip_number + 1:02d}_{index % 9 + 1}"

    def frame_path(self, row, number):
        return f"CASME_A/Section A/sub{row['folder_subject']}/{row['clip']}/{row['clip']}-{number:03d}.jpg"

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.append(["Subject", "Filename", None, "OnsetF", "ApexF1", "ApexF2", "OffsetF", None, "Onset", "Total", "AU",
                      "Emotion"])
        for index, row in enumerate(plan):
            frames = row["offset"] - row["onset"] + 1
            total_ms = round(frames * 1000 / FRAME_RATE)
            offset = "\\" if index % 10 == 7 else row["offset"]  # OffsetF missing: recovered from Total
            emotion = "comtempt" if row["emotion"] == "others" and index % 4 == 0 else row["emotion"]
            sheet.append([row["sheet_subject"], row["clip"], None, row["onset"], row["apex"], None, offset, None,
                          round(row["onset"] * 1000 / 60), total_ms, self.au_text(row, index), emotion])


DATABASE = Database(
    name=NAME,
    title="CASME",
    frame_rate=FRAME_RATE,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=2,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("OnsetF",),
            "apex": ("ApexF1", "ApexF"),
            "offset": ("OffsetF",),
            "au_raw": ("AU", "Action Units"),
            "emotion": ("Emotion",),
            "total_ms": ("Total",),
        },
        optional=("emotion", "total_ms"),
        emotion_fixes={"comtempt": "contempt"},
    ),
    sheet_globs=("*.xls", "*.xlsx"),
    layouts=(
        named_layout(NAME, "cropped", ("Cropped",), "sub{subject}/{clip}/reg_{clip}-{frame}.jpg"),
        named_layout(NAME, "raw", ("CASME_A/Section A", "CASME_B/Section B", "Section A", "Section B"),
                     "sub{subject}/{clip}/{clip}-{frame}.jpg"),
    ),
    template=TemplateNote("CASME", "/path/to/CASME", "the combined Section A/B .xls", "Cropped/ or CASME_A/Section A/ …"),
    suites=("cd6me",),
    suite_order=1,
    synth=Writer(),
)
