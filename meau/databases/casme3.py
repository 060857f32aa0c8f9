"""CAS(ME)^3 part A (Li et al., IEEE TPAMI 2022): 860 micro- and 3,346 macro-expressions of 94+ subjects
in long recordings at 30 fps, 1280 x 720.

Sheets: ``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` (worksheet ``label``, micro-expressions) and the
full ``CAS(ME)3_part_A_v2.xls`` (worksheet ``AU+Emotion``, with ``Expression type``), selected with
``--expressions micro|macro|all``. Subjects ``spNO.N``; ``Filename`` is a letter: one long recording
per (subject, letter) holds several expressions, keyed by onset; onset/apex/offset are JPG indices
(from 1). Frames: ``part_A/spNO.1/a/color/355.jpg`` (frames are dropped here and there; the gaps
are listed and the clip kept) and ``Cropped/spNO.1/a/reg_355.jpg`` (``meau crop``). The original
release's four impossible and two implausible rows are fixed only with ``--apply-fixes``.
"""

from .database import Database, TemplateNote
from .fixes import CORRECTED_RELEASE, MEB, Fix
from .layouts import named_layout
from .likes import SynthWriter, letter
from .sheets import SheetFormat

NAME = "casme3"


class Writer(SynthWriter):
    """``spNO.N`` subjects, one recording per (subject, letter) holding several samples, frames dropped
    inside clips, the ``label`` worksheet beside ``Sheet1`` and ``Sheet3``, mixed-case emotions."""

    sheet_name = "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"

    def name_row(self, row, index, k, rng):
        subject = f"spNO.{index + 1}"
        row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
        row["clip"] = letter(k)  # one long recording per letter: several samples share it

    def frame_path(self, row, number):
        return f"part_A/{row['folder_subject']}/{row['clip']}/color/{number}.jpg"

    def dropped(self, row, number, rng):
        return row["onset"] < number < row["offset"] and rng.random() < 0.06

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.title = "label"
        sheet.append(["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"])
        for index, row in enumerate(plan):
            emotion = row["emotion"].capitalize() if index % 3 == 0 else row["emotion"]  # mixed case
            sheet.append([row["sheet_subject"], row["clip"], row["onset"], row["apex"], row["offset"],
                          self.au_text(row, index), 1, emotion])
        workbook.create_sheet("Sheet1")
        workbook.create_sheet("Sheet3")


DATABASE = Database(
    name=NAME,
    title="CAS(ME)^3 part A",
    frame_rate=30,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=0,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("Onset",),
            "apex": ("Apex",),
            "offset": ("Offset",),
            "au_raw": ("AU", "Action Units"),
            "emotion": ("emotion", "Emotion"),
            "expression": ("Expression type",),
        },
        optional=("emotion", "expression"),
        sheets=("label", "AU+Emotion"),
    ),
    sheet_globs=("cas(me)3_part_A_ME_label*.xlsx", "CAS(ME)3_part_A*.xls", "*.xlsx"),
    full_sheet_globs=("CAS(ME)3_part_A_v2.xls", "CAS(ME)3_part_A*.xls*"),
    layouts=(  # one long recording per (subject, letter): part_A/spNO.1/a/color/355.jpg (depth/355.png beside)
        named_layout(NAME, "cropped", ("Cropped",), "{subject}/{clip}/reg_{frame}.jpg"),
        named_layout(NAME, "raw", ("part_A", "."), "{subject}/{clip}/color/{frame}.jpg"),
    ),
    index_base=1,
    fixes=(  # the original release: four impossible rows ...
        Fix("apex", 83, 160, "apex 83 lies before the onset 112 (MEB uses 123)", CORRECTED_RELEASE, "spNO.149", "d", 112),
        Fix("onset", 3647, 2647, "onset 3647 lies after the apex 2668", CORRECTED_RELEASE, "spNO.216", "d"),
        Fix("offset", 0, 1845, "offset 0", CORRECTED_RELEASE, "spNO.40", "e", 1812),
        Fix("offset", 0, 2403, "offset 0", CORRECTED_RELEASE, "spNO.40", "e", 2327),
        # ... and two implausible ones, kept by both releases
        Fix("offset", 3460, 34, "a 3456-frame micro-expression", MEB, "spNO.214", "c", 5),
        Fix("onset", 0, 1, "JPG indices start at 1", MEB, "spNO.216", "e", 0),
        Fix("apex", 0, 1, "JPG indices start at 1", MEB, "spNO.216", "e"),
    ),
    template=TemplateNote("CAS(ME)^3-A", "/path/to/CASME3", "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx",
                          "part_A/spNO.N/<letter>/color/ (meau crop first)"),
    suites=("cd6me",),
    suite_order=6,
    synth=Writer(),
    long_video=True,  # with the full part A sheet: each spNO.N/<letter> is one recording
    video="{subject}_{clip}",
)
