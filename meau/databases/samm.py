"""SAMM (Davison et al., IEEE TAC 2018): 159 micro-movements of 29 subjects at 200 fps, grey 960 x 650.

Sheet ``SAMM_Micro_FACS_Codes_v2.xlsx``, worksheet ``MICRO_ONLY``: 13 preamble rows (citation, a key
of symbols) before the header ``Subject, Filename, Inducement Code, Onset Frame, Apex Frame, Offset
Frame, Duration, Micro, Action Units, Estimated Emotion, Objective Classes, Notes``; subjects are
text (``006``); AU cells carry ``A/L12``, ``T``/``B`` prefixes. Frames: whole frames
``SAMM/006/006_1_2/006_05562.jpg``; ``Cropped/`` is what ``meau crop`` writes. Two impossible apexes
are fixed (marked unknown) only with ``--apply-fixes``.
"""

from .database import Database, TemplateNote
from .fixes import Fix
from .layouts import named_layout
from .likes import SynthWriter, objective_class
from .sheets import SheetFormat

NAME = "samm"


class Writer(SynthWriter):
    """13 preamble rows, worksheet ``MICRO_ONLY``, ``A/L12``-style cells, grey ``{subject}_{frame:05d}``."""

    sheet_name = "SAMM_Micro_FACS_Codes_v2.xlsx"
    grey = True

    def name_row(self, row, index, k, rng):
        subject = f"{index + 6:03d}"
        row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
        row["clip"] = f"{subject}_{k % 7 + 1}_{k // 7 + 1}"

    def frame_path(self, row, number):
        subject = row["folder_subject"]
        return f"SAMM/{subject}/{row['clip']}/{subject}_{number:05d}.jpg"

    def tokens(self, row, index):
        tokens = super().tokens(row, index)
        if tokens and index % 5 == 1:
            tokens[0] = ("A/" if tokens[0][0] in "LR" else "A") + tokens[0]  # SAMM's asymmetric prefixes
        return tokens

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        sheet.title = "MICRO_ONLY"
        preamble = ["SAMM micro-movement FACS codes (synthetic)", "Please cite the SAMM paper", "", "Key:", "A = asymmetric",
                    "T = top", "B = bottom", "", "", "", "", "", ""]
        for line in preamble:
            sheet.append([line])
        sheet.append(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
                      "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"])
        for index, row in enumerate(plan):
            duration = row["offset"] - row["onset"] + 1
            sheet.append([row["sheet_subject"], row["clip"], row["clip"].rsplit("_", 1)[0], row["onset"], row["apex"],
                          row["offset"], duration, "Micro", self.au_text(row, index), row["emotion"].capitalize(),
                          objective_class(row["aus"]), None])
        for cell in sheet["A"][14:]:
            cell.number_format = "@"


DATABASE = Database(
    name=NAME,
    title="SAMM",
    frame_rate=200,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=3,
        sheet="MICRO_ONLY",
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("Onset Frame",),
            "apex": ("Apex Frame",),
            "offset": ("Offset Frame",),
            "au_raw": ("Action Units",),
            "emotion": ("Estimated Emotion",),
            "objective": ("Objective Classes", "Objective Class"),
        },
        optional=("emotion", "objective"),
        header_search_rows=40,
    ),
    sheet_globs=("SAMM_Micro_FACS_Codes*.xlsx", "*.xlsx"),
    layouts=(  # SAMM ships whole frames only; 'cropped' is what meau crop writes
        named_layout(NAME, "cropped", ("Cropped",), "{subject}/{clip}/reg_{subject}_{frame:05d}.jpg"),
        named_layout(NAME, "raw", ("SAMM", "."), "{subject}/{clip}/{subject}_{frame}.jpg"),
    ),
    fixes=(
        Fix("apex", 1143, None, "apex 1143 lies after the offset 1134; apex unknown", "meau", "028", "028_4_1"),
        Fix("apex", 1930, None, "apex 1930 lies before the onset 4896; apex unknown", "meau", "032", "032_3_1"),
    ),
    template=TemplateNote("SAMM", "/path/to/SAMM", "SAMM_Micro_FACS_Codes_v2.xlsx (sheet MICRO_ONLY)",
                          "SAMM/ (whole frames: meau crop first)"),
    suites=("cd6me", "megc2019"),
    suite_order=3,
    synth=Writer(),
)
