"""CASME II (Yan et al., PLoS ONE 2014): 255 micro-expressions of 26 subjects at 200 fps.

Sheet ``CASME2-coding-20140508.xlsx`` (and a 2019-07-01 revision with more columns), header on the
first row: ``Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units, Estimated
Emotion``. Subjects are text (``01``) read back as numbers by most tools; AU cells mix Excel numbers
and strings; one apex is ``/``. Frames: ``Cropped/sub01/EP02_01f/reg_img46.jpg``,
``CASME2-RAW/sub01/EP02_01f/img46.jpg`` (640 x 480) and ``CASME2_RAW_selected/`` (onset..offset only).

It is the default database and the layout of ``meau synth``'s synthetic database.
"""

from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import SynthWriter
from .sheets import SheetFormat

NAME = "casme2"


class Writer(SynthWriter):
    """Text subjects, Excel-number AU cells, a ``?`` cell, side prefixes, intensities, one ``/`` apex."""

    sheet_name = "CASME2-coding-synth.xlsx"
    layout = "casme2 cropped"

    def frame_path(self, row, number):
        return f"Cropped/sub{row['folder_subject']}/{row['clip']}/reg_img{number}.jpg"

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.append(["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
                      "Estimated Emotion"])
        for index, row in enumerate(plan):
            apex = "/" if index == slash_apex_row else row["apex"]
            sheet.append([row["sheet_subject"], row["clip"], None, row["onset"], apex, row["offset"], None, row["cell"],
                          row["emotion"]])
        for cell in sheet["A"][1:]:
            cell.number_format = "@"


DATABASE = Database(
    name=NAME,
    title="CASME II",
    clip_pattern=r"^EP\d+_\d+",  # EP02_01f
    frame_rate=200,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=2,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("OnsetFrame", "Onset Frame"),
            "apex": ("ApexFrame", "Apex Frame"),
            "offset": ("OffsetFrame", "Offset Frame"),
            "au_raw": ("Action Units", "AU"),
            "emotion": ("Estimated Emotion", "Emotion"),
            "objective": ("Objective Class", "Objective Classes"),
        },
        optional=("emotion", "objective"),
    ),
    sheet_globs=("CASME2-coding*.xlsx", "*.xlsx"),
    layouts=(
        named_layout(NAME, "cropped", ("Cropped", "CASME2_Cropped", "Cropped/Cropped"),
                     "sub{subject}/{clip}/reg_img{frame}.jpg"),
        named_layout(NAME, "raw", ("CASME2-RAW", "CASME2_RAW"), "sub{subject}/{clip}/img{frame}.jpg"),
        named_layout(NAME, "selected", ("CASME2_RAW_selected",), "sub{subject}/{clip}/img{frame}.jpg",
                     whole_clip=False),
    ),
    template=TemplateNote("CASME II", "/path/to/CASME2", "CASME2-coding-20140508.xlsx (found in root)",
                          "Cropped/, CASME2-RAW/ or CASME2_RAW_selected/"),
    suites=("cd6me", "megc2019"),
    suite_order=2,
    synth=Writer(),
    default=True,
)
