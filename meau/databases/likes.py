"""``meau synth --like NAME``: the synthetic database in another database's sheet format and folder
layout, with that database's quirks, so every reader is exercised end to end.

A database's module gives a :class:`SynthWriter`: how subjects and clips are named
(:meth:`~SynthWriter.name_row`), where a frame file goes (:meth:`~SynthWriter.frame_path`), whether
frames are grey, which frames a recording drops, and how the sheet is written
(:meth:`~SynthWriter.write_rows`). The synthetic plan (subjects, samples, AUs, frame ranges) is the
same for every database; only names, layout and sheet differ. Quirks that need chance draw from
their own random stream, so the plan and the frames never depend on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def letter(k: int) -> str:
    """CAS(ME)^3's recording letters: three samples per letter, ``a`` … ``m``."""
    return "abcdefghijklm"[min(k // 3, 12)]


def cell_tokens(row) -> list[str]:
    """The planted AUs of a row as tokens (``L12``, ``4``)."""
    return [f"{side or ''}{au}" for au, side in row["aus"].items()]


def objective_class(aus) -> int:
    """SAMM's objective class (Davison et al. 2018, classes of AU combinations) of a planted sample: I AU12,
    II AU1 + AU2, III AU4 with AU7, IV AU9, V AU14, VI AU15 or AU17, VII the rest."""
    if 12 in aus:
        return 1
    if 1 in aus and 2 in aus:
        return 2
    if 4 in aus and 7 in aus:
        return 3
    if 9 in aus:
        return 4
    if 14 in aus:
        return 5
    if 15 in aus or 17 in aus:
        return 6
    return 7


class SynthWriter:
    """How ``meau synth --like`` writes one database (see the module). Subclasses set the attributes
    and override the hooks; the defaults are CASME II-like."""

    sheet_name = ""
    grey = False
    layout = None  # what synth.json says of the folder tree (None: "<name> (as distributed)")
    excel_numbers = False  # a single-number AU cell is written as an Excel number

    def name_row(self, row: dict, index: int, k: int, rng: np.random.Generator) -> None:
        """Set ``sheet_subject``, ``folder_subject``, ``subject`` and ``clip`` of a planned row, in place
        (``index``: the subject's 0-based number, ``k``: the row's number within its subject)."""
        row["sheet_subject"] = row["folder_subject"] = row["subject"]

    def frame_path(self, row: dict, number: int) -> str:
        """Where frame ``number`` of a planned row goes, relative to the root."""
        raise NotImplementedError

    def dropped(self, row: dict, number: int, rng: np.random.Generator) -> bool:
        """Whether the recording lost this frame (never the onset or offset)."""
        return False

    def tokens(self, row: dict, index: int) -> list[str]:
        return cell_tokens(row)

    def au_text(self, row: dict, index: int):
        """The AU cell of row ``index`` as the database writes it."""
        if row["cell"] == "?":
            return "?"
        text = "+".join(self.tokens(row, index))
        return int(text) if text.isdigit() and self.excel_numbers else text

    def write_rows(self, workbook, sheet, plan: list[dict], slash_apex_row: int) -> None:
        """Fill the workbook (``sheet`` is its first worksheet, titled ``Sheet1``)."""
        raise NotImplementedError


def name_rows(writer: SynthWriter, plan: list[dict], rng: np.random.Generator) -> None:
    """Give every planned row the writer's names, in place."""
    counters: dict[str, int] = {}
    for row in plan:
        index = int(row["subject"]) - 1
        k = counters.get(row["subject"], 0)
        counters[row["subject"]] = k + 1
        writer.name_row(row, index, k, rng)


def write_sheet(writer: SynthWriter, path: Path, plan: list[dict], slash_apex_row: int) -> None:
    """The coding sheet of the writer's database for the plan, with its quirks (written atomically)."""
    import openpyxl

    from ..outputs import atomic_path

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    writer.write_rows(workbook, sheet, plan, slash_apex_row)
    with atomic_path(path) as temporary:
        workbook.save(temporary)


def reader_key(like: str, row: dict) -> str:
    """The sample key the reader will give a planned row (``database/subject/clip/onset``)."""
    return f"{like}/{row['subject']}/{row['clip']}/{row['onset']}"


class LongWriter:
    """How ``meau synth --like`` writes a long-video database: recordings of ``seconds`` at the
    database's ``frame_rate`` holding planted micro- and macro-expressions, and its sheet (one row per
    interval). Subclasses name recordings, place frames and write the sheet's rows."""

    sheet_name = ""
    grey = False
    frame_rate = 30
    first_frame = 1  # the number of a recording's first frame file
    layout = None

    def name_recording(self, recording: dict, subject_index: int, video_index: int) -> None:
        """Set ``sheet_subject``, ``subject`` and ``clip`` (the recording's name) of a planned recording."""
        raise NotImplementedError

    def frame_path(self, recording: dict, number: int) -> str:
        raise NotImplementedError

    def write_rows(self, workbook, sheet, intervals: list[dict]) -> None:
        """Fill the workbook with one row per planted interval (``sheet`` is its first worksheet)."""
        raise NotImplementedError

    def write_emotions(self, out: Path, intervals: list[dict]) -> None:
        """Whatever else the database ships for the intervals' emotions (SAMM-LV: SAMM's short sheet)."""


def write_long_sheet(writer: LongWriter, path: Path, intervals: list[dict]) -> None:
    """The sheet of a synthetic long-video database (written atomically)."""
    import openpyxl

    from ..outputs import atomic_path

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    writer.write_rows(workbook, sheet, intervals)
    with atomic_path(path) as temporary:
        workbook.save(temporary)
