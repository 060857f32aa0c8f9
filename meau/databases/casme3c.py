"""CAS(ME)^3 part C (Li et al., IEEE TPAMI 2022): 165 micro-expressions of a mock-crime paradigm at 30 fps.

Sheet ``CAS(ME)3_part_C_ME.xlsx``, worksheet ``mockCrimeME``: ``sub, count, onset, offset, au,
emotion``, with no apex column (flow methods estimate it); ``sub`` is an integer (padded to two
digits); AU cells are comma lists with a trailing comma, a full-width comma and an uncertain ``13?``
(reported, not counted unless ``--policy uncertain-keep``). The folder tree is inferred from part A's:
``part_C/<sub>/<count>/color/<N>.jpg``, subject folders padded or not.
"""

from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import SynthWriter
from .sheets import SheetFormat

NAME = "casme3c"


class Writer(SynthWriter):
    """No apex, integer ``sub``, comma lists with a trailing comma, a full-width comma and an uncertain
    ``13?``; unpadded subject folders."""

    sheet_name = "CAS(ME)3_part_C_ME.xlsx"

    def name_row(self, row, index, k, rng):
        row["sheet_subject"] = index + 1  # an integer in the sheet
        row["folder_subject"] = str(index + 1)  # unpadded folders (the reader pads the subject)
        row["subject"] = f"{index + 1:02d}"
        row["clip"] = str(k + 1)

    def frame_path(self, row, number):
        return f"part_C/{row['folder_subject']}/{row['clip']}/color/{number}.jpg"

    def au_text(self, row, index):
        if row["cell"] == "?":
            return "?"
        text = ",".join(self.tokens(row, index))
        if index % 9 == 4:
            text += ","  # a trailing comma
        if index % 13 == 6 and "," in text:
            text = text.replace(",", "，", 1)  # a full-width comma
        if index % 17 == 8:
            text += ",13?"  # an uncertain AU: reported, not counted
        return text

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.title = "mockCrimeME"
        sheet.append(["sub", "count", "onset", "offset", "au", "emotion"])
        for index, row in enumerate(plan):
            sheet.append([row["sheet_subject"], int(row["clip"]), row["onset"], row["offset"], self.au_text(row, index),
                          {"happiness": "positive", "surprise": "surprise"}.get(row["emotion"], "negative"
                                                                               if row["emotion"] != "others" else "others")])


DATABASE = Database(
    name=NAME,
    title="CAS(ME)^3 part C",
    frame_rate=30,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=2,
        columns={
            "subject": ("sub",),
            "clip": ("count",),
            "onset": ("onset",),
            "apex": ("apex",),
            "offset": ("offset",),
            "au_raw": ("au",),
            "emotion": ("emotion",),
        },
        optional=("emotion", "apex"),
        sheets=("mockCrimeME",),
    ),
    sheet_globs=("CAS(ME)3_part_C*.xlsx", "*.xlsx"),
    layouts=(  # inferred from part A's: part_C/{sub}/{count}/color/{N}.jpg, sub padded or not
        named_layout(NAME, "cropped", ("Cropped",), "{subject}/{clip}/reg_{frame}.jpg"),
        named_layout(NAME, "raw", ("part_C", "."), "{subject}/{clip}/color/{frame}.jpg"),
        named_layout(NAME, "raw-unpadded", ("part_C", "."), "{subject:d}/{clip}/color/{frame}.jpg"),
    ),
    index_base=1,
    template=TemplateNote("CAS(ME)^3-C", "/path/to/CASME3", "CAS(ME)3_part_C_ME.xlsx",
                          "part_C/<sub>/<count>/color/ (inferred)"),
    synth=Writer(),
    inferred="the folder tree (part A's, subject padded or not)",
)
