"""MMEW (Ben et al., IEEE TPAMI 2021): 300 micro-expressions of 30 subjects at 90 fps.

Sheet ``MMEW_Micro_Exp.xlsx``: ``Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units,
Estimated Emotion, remarks``; ``Filename`` is ``S13-07-001``-like; the side of a unilateral AU is
written after the number in 7 cells (``12L``). 16 rows have no usable apex/offset: MEB's estimates
are applied with ``--apply-fixes`` (by sheet row). The folder tree is inferred from MEB's loader:
``Micro_Expression/<emotion>/<Filename>/<n>.jpg`` (emotion folders in any case).
"""

from .database import Database, TemplateNote
from .fixes import MEB, Fix
from .layouts import named_layout
from .likes import SynthWriter
from .sheets import SheetFormat

NAME = "mmew"

# 16 rows without a usable apex and offset; MEB's estimates, by its 0-based row index (sheet row = index + 2)
_ESTIMATES = {33: (40, 75), 35: (15, 54), 36: (46, 59), 37: (20, 98), 38: (25, 80), 39: (20, 93), 40: (23, 58),
              41: (28, 61), 42: (32, 68), 142: (56, 88), 143: (32, 80), 145: (27, 85), 146: (22, 61), 148: (29, 108),
              154: (31, 72), 156: (38, 106)}


class Writer(SynthWriter):
    """``S13-07-001``-style file names under capitalised emotion folders; a row without an apex."""

    sheet_name = "MMEW_Micro_Exp.xlsx"
    excel_numbers = True

    def name_row(self, row, index, k, rng):
        subject = f"S{index + 1:02d}"
        row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
        row["clip"] = f"{subject}-{int(rng.integers(1, 8)):02d}-{k + 1:03d}"

    def frame_path(self, row, number):
        return f"Micro_Expression/{row['emotion'].capitalize()}/{row['clip']}/{number}.jpg"

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.append(["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
                      "remarks"])
        for index, row in enumerate(plan):
            apex = None if index == slash_apex_row else row["apex"]  # no usable apex: estimated by flow methods
            sheet.append([row["sheet_subject"], row["clip"], row["onset"], apex, row["offset"], self.au_text(row, index),
                          row["emotion"], None])


DATABASE = Database(
    name=NAME,
    title="MMEW",
    clip_pattern=r"^S\d+-\d+-\d+$",  # S13-07-001: subject-emotion-index
    frame_rate=90,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=2,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("OnsetFrame",),
            "apex": ("ApexFrame",),
            "offset": ("OffsetFrame",),
            "au_raw": ("Action Units",),
            "emotion": ("Estimated Emotion",),
        },
        optional=("emotion",),
    ),
    sheet_globs=("MMEW_Micro_Exp*.xlsx", "*.xlsx"),
    layouts=(  # inferred from MEB's loader: Micro_Expression/{emotion}/{Filename}/{n}.jpg
        named_layout(NAME, "cropped", ("Cropped",), "{subject}/{clip}/reg_{frame}.jpg"),
        named_layout(NAME, "raw", ("Micro_Expression", "."), "{emotion}/{clip}/{frame}.jpg"),
    ),
    fixes=tuple(fix for index, (apex, offset) in _ESTIMATES.items() for fix in (
        Fix("apex", None, apex, "no usable apex in the sheet; estimated", MEB, row=index + 2),
        Fix("offset", None, offset, "no usable offset in the sheet; estimated", MEB, row=index + 2))),
    template=TemplateNote("MMEW", "/path/to/MMEW", "MMEW_Micro_Exp.xlsx",
                          "Micro_Expression/<emotion>/<Filename>/ (inferred)"),
    suites=("cd6me",),
    suite_order=5,
    synth=Writer(),
    inferred="the folder tree, frame numbers = sheet numbers",
)
