"""4DME (Li et al., IEEE TAC 2022): micro-expressions in grey, depth and 4D at 60 fps.

Sheet ``4DME_Labelling_Micro_release v1.xlsx``: ``sub_ID, fold_name, Emotion, Onset, Apex, Offset, AUs``
(+ others); AU tokens may carry ``AU`` and the static mark ``(k)`` (``AU4(k)``: counted, flagged
static; ``--policy static-drop`` drops them). Two adjacent rows have their AU cells swapped (MEB);
swapped back with ``--apply-fixes``. Frames: ``gray_micro/<sub_ID>/<fold_name>/<n>.jpg`` (grey); the
name of the cropped copy beside it is inferred.
"""

from .database import Database, TemplateNote
from .fixes import MEB, Swap
from .layouts import named_layout
from .likes import SynthWriter
from .sheets import SheetFormat

NAME = "4dme"


class Writer(SynthWriter):
    """``AU4(k)`` static marks and ``AU`` prefixes, grey frames under ``gray_micro``."""

    sheet_name = "4DME_Labelling_Micro_release v1.xlsx"
    grey = True

    def name_row(self, row, index, k, rng):
        subject = f"S{index + 1:02d}"
        row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
        row["clip"] = f"{subject}_F{k + 1:02d}"

    def frame_path(self, row, number):
        return f"gray_micro/{row['folder_subject']}/{row['clip']}/{number}.jpg"

    def tokens(self, row, index):
        return [f"AU{t}" + ("(k)" if index % 11 == 3 and position == 0 else "")
                for position, t in enumerate(super().tokens(row, index))]

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.append(["sub_ID", "fold_name", "Emotion", "Onset", "Apex", "Offset", "AUs", "Positive", "Negative"])
        for index, row in enumerate(plan):
            sheet.append([row["sheet_subject"], row["clip"], row["emotion"], row["onset"], row["apex"], row["offset"],
                          self.au_text(row, index), None, None])


DATABASE = Database(
    name=NAME,
    title="4DME",
    frame_rate=60,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=0,
        columns={
            "subject": ("sub_ID",),
            "clip": ("fold_name",),
            "onset": ("Onset",),
            "apex": ("Apex",),
            "offset": ("Offset",),
            "au_raw": ("AUs",),
            "emotion": ("Emotion",),
        },
        optional=("emotion",),
    ),
    sheet_globs=("4DME_Labelling*.xlsx", "*.xlsx"),
    layouts=(  # gray_micro/{sub_ID}/{fold_name}/{n}.jpg (grey); the name of the cropped copy beside it is inferred
        named_layout(NAME, "cropped", ("Cropped", "gray_micro_crop", "cropped_micro"), "{subject}/{clip}/reg_{frame}.jpg"),
        named_layout(NAME, "raw", ("gray_micro", "."), "{subject}/{clip}/{frame}.jpg"),
    ),
    # MEB swaps the AU cells of its rows 144 and 145 (sheet rows 146 and 147)
    swaps=(Swap("au_raw", 146, 147, "the AU cells of two adjacent rows are swapped", MEB),),
    template=TemplateNote("4DME", "/path/to/4DME", "4DME_Labelling_Micro_release v1.xlsx",
                          "gray_micro/<sub_ID>/<fold_name>/ (inferred)"),
    suites=("cd6me",),
    suite_order=4,
    synth=Writer(),
    inferred="the folder tree, the cropped copy's name",
)
