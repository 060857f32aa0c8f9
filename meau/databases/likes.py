"""``meau synth --like NAME``: the synthetic database in another database's sheet format and folder
layout, with that database's quirks, so every reader is exercised end to end.

Per database: how subjects and clips are named (:func:`name_rows`), where a frame file goes
(:func:`frame_path`), whether frames are grey (``GREY``), and how the sheet is written (:func:`write_sheet`). The synthetic plan (subjects, samples, AUs, frame
ranges) is the same for every ``like``; only names, layout and sheet differ. Quirks that need
chance draw from their own random stream, so the plan and the frames never depend on them.

Quirks written, per database (data.md §3, §4):

- casme2: text subjects, Excel-number AU cells, a ``?`` cell, side prefixes, intensities, one ``/`` apex.
- casme: the combined Section A/B header (``OnsetF, ApexF1, ApexF2, OffsetF, Onset, Total``); ``\\``
  offsets recovered from ``Total`` (ms); ``comtempt``; rows sharing a clip folder; frames
  ``{clip}-{n:03d}`` under ``CASME_A/Section A``. Written as ``.xlsx`` (meau writes no legacy ``.xls``;
  the reader takes both).
- samm: 13 preamble rows, sheet ``MICRO_ONLY``, ``A/L12``-style cells, grey ``{subject}_{frame:05d}``.
- casme3: ``spNO.N`` subjects, one long recording per (subject, letter) holding several samples,
  frames dropped inside clips, ``label`` sheet beside ``Sheet1`` and ``Sheet3``, mixed-case emotions.
- casme3c: sheet ``mockCrimeME`` without an apex, integer ``sub``, comma lists with a trailing
  comma, a full-width comma and an uncertain ``13?``; unpadded subject folders.
- mmew: ``S13-07-001``-style file names under capitalised emotion folders; a row without an apex.
- 4dme: ``AU4(k)`` static marks and ``AU`` prefixes, grey frames under ``gray_micro``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .sheets import FRAME_RATES

LIKE_NAMES = ("casme2", "casme", "samm", "casme3", "casme3c", "mmew", "4dme")


def _letter(k: int) -> str:
    return "abcdefghijklm"[min(k // 3, 12)]


def name_rows(like: str, plan: list[dict], rng: np.random.Generator) -> None:
    """Give every planned row the names of ``like`` (``sheet_subject``, ``subject``, ``clip``), in place."""
    counters: dict[str, int] = {}
    for row in plan:
        index = int(row["subject"]) - 1
        k = counters.get(row["subject"], 0)
        counters[row["subject"]] = k + 1
        if like == "casme2":
            row["sheet_subject"], row["folder_subject"] = row["subject"], row["subject"]
        elif like == "casme":
            # every third sample shares the clip folder of the one before (several rows, one folder)
            clip_number = k - (1 if k % 3 == 2 else 0)
            row["sheet_subject"] = row["folder_subject"] = row["subject"]
            row["clip"] = f"EP{clip_number + 1:02d}_{index % 9 + 1}"
        elif like == "samm":
            subject = f"{index + 6:03d}"
            row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
            row["clip"] = f"{subject}_{k % 7 + 1}_{k // 7 + 1}"
        elif like == "casme3":
            subject = f"spNO.{index + 1}"
            row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
            row["clip"] = _letter(k)  # one long recording per letter: several samples share it
        elif like == "casme3c":
            row["sheet_subject"] = index + 1  # an integer in the sheet
            row["folder_subject"] = str(index + 1)  # unpadded folders (the reader pads the subject)
            row["subject"] = f"{index + 1:02d}"
            row["clip"] = str(k + 1)
        elif like == "mmew":
            subject = f"S{index + 1:02d}"
            row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
            row["clip"] = f"{subject}-{int(rng.integers(1, 8)):02d}-{k + 1:03d}"
        elif like == "4dme":
            subject = f"S{index + 1:02d}"
            row["sheet_subject"] = row["folder_subject"] = row["subject"] = subject
            row["clip"] = f"{subject}_F{k + 1:02d}"
        else:
            raise ValueError(f"synth --like: unknown database {like!r}; choose from {', '.join(LIKE_NAMES)}")


def frame_path(like: str, row: dict, number: int) -> str:
    """Where frame ``number`` of a planned row goes, relative to the root."""
    subject, clip = row["folder_subject"], row["clip"]
    if like == "casme2":
        return f"Cropped/sub{subject}/{clip}/reg_img{number}.jpg"
    if like == "casme":
        return f"CASME_A/Section A/sub{subject}/{clip}/{clip}-{number:03d}.jpg"
    if like == "samm":
        return f"SAMM/{subject}/{clip}/{subject}_{number:05d}.jpg"
    if like == "casme3":
        return f"part_A/{subject}/{clip}/color/{number}.jpg"
    if like == "casme3c":
        return f"part_C/{subject}/{clip}/color/{number}.jpg"
    if like == "mmew":
        return f"Micro_Expression/{row['emotion'].capitalize()}/{clip}/{number}.jpg"
    if like == "4dme":
        return f"gray_micro/{subject}/{clip}/{number}.jpg"
    raise ValueError(like)


GREY = {"samm", "4dme"}
SHEETS = {"casme2": "CASME2-coding-synth.xlsx", "casme": "CASME-Section-AB-synth.xlsx",
          "samm": "SAMM_Micro_FACS_Codes_v2.xlsx", "casme3": "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx",
          "casme3c": "CAS(ME)3_part_C_ME.xlsx", "mmew": "MMEW_Micro_Exp.xlsx",
          "4dme": "4DME_Labelling_Micro_release v1.xlsx"}


def dropped(like: str, row: dict, number: int, rng: np.random.Generator) -> bool:
    """CAS(ME)^3 part A drops frames here and there inside a clip (never its onset or offset)."""
    return like == "casme3" and row["onset"] < number < row["offset"] and rng.random() < 0.06


def _cell_tokens(row) -> list[str]:
    return [f"{side or ''}{au}" for au, side in row["aus"].items()]


def write_sheet(like: str, path: Path, plan: list[dict], slash_apex_row: int, rng: np.random.Generator) -> None:
    """The coding sheet of ``like`` for the plan, with the database's quirks."""
    import openpyxl

    from ..runs import atomic_path

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"

    def au_text(row, index):
        if row["cell"] == "?":
            return "?"
        tokens = _cell_tokens(row)
        if like == "samm" and tokens and index % 5 == 1:
            tokens[0] = ("A/" if tokens[0][0] in "LR" else "A") + tokens[0]  # SAMM's asymmetric prefixes
        if like == "4dme":
            tokens = [f"AU{t}" + ("(k)" if index % 11 == 3 and position == 0 else "") for position, t in enumerate(tokens)]
        if like == "casme3c":
            text = ",".join(tokens)
            if index % 9 == 4:
                text += ","  # a trailing comma
            if index % 13 == 6 and "," in text:
                text = text.replace(",", "，", 1)  # a full-width comma
            if index % 17 == 8:
                text += ",13?"  # an uncertain AU: reported, not counted
            return text
        text = "+".join(tokens)
        return int(text) if text.isdigit() and like in ("casme2", "casme", "mmew") else text

    if like == "casme2":
        sheet.append(["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
                      "Estimated Emotion"])
        for index, row in enumerate(plan):
            apex = "/" if index == slash_apex_row else row["apex"]
            sheet.append([row["sheet_subject"], row["clip"], None, row["onset"], apex, row["offset"], None, row["cell"],
                          row["emotion"]])
        for cell in sheet["A"][1:]:
            cell.number_format = "@"
    elif like == "casme":
        sheet.append(["Subject", "Filename", None, "OnsetF", "ApexF1", "ApexF2", "OffsetF", None, "Onset", "Total", "AU",
                      "Emotion"])
        for index, row in enumerate(plan):
            frames = row["offset"] - row["onset"] + 1
            total_ms = round(frames * 1000 / FRAME_RATES["casme"])
            offset = "\\" if index % 10 == 7 else row["offset"]  # OffsetF missing: recovered from Total
            emotion = "comtempt" if row["emotion"] == "others" and index % 4 == 0 else row["emotion"]
            sheet.append([row["sheet_subject"], row["clip"], None, row["onset"], row["apex"], None, offset, None,
                          round(row["onset"] * 1000 / 60), total_ms, au_text(row, index), emotion])
    elif like == "samm":
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
                          row["offset"], duration, "Micro", au_text(row, index), row["emotion"].capitalize(), 1, None])
        for cell in sheet["A"][14:]:
            cell.number_format = "@"
    elif like == "casme3":
        sheet.title = "label"
        sheet.append(["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"])
        for index, row in enumerate(plan):
            emotion = row["emotion"].capitalize() if index % 3 == 0 else row["emotion"]  # mixed case
            sheet.append([row["sheet_subject"], row["clip"], row["onset"], row["apex"], row["offset"], au_text(row, index),
                          1, emotion])
        workbook.create_sheet("Sheet1")
        workbook.create_sheet("Sheet3")
    elif like == "casme3c":
        sheet.title = "mockCrimeME"
        sheet.append(["sub", "count", "onset", "offset", "au", "emotion"])
        for index, row in enumerate(plan):
            sheet.append([row["sheet_subject"], int(row["clip"]), row["onset"], row["offset"], au_text(row, index),
                          {"happiness": "positive", "surprise": "surprise"}.get(row["emotion"], "negative"
                                                                               if row["emotion"] != "others" else "others")])
    elif like == "mmew":
        sheet.append(["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
                      "remarks"])
        for index, row in enumerate(plan):
            apex = None if index == slash_apex_row else row["apex"]  # no usable apex: estimated by flow methods
            sheet.append([row["sheet_subject"], row["clip"], row["onset"], apex, row["offset"], au_text(row, index),
                          row["emotion"], None])
    elif like == "4dme":
        sheet.append(["sub_ID", "fold_name", "Emotion", "Onset", "Apex", "Offset", "AUs", "Positive", "Negative"])
        for index, row in enumerate(plan):
            sheet.append([row["sheet_subject"], row["clip"], row["emotion"], row["onset"], row["apex"], row["offset"],
                          au_text(row, index), None, None])
    with atomic_path(path) as temporary:
        workbook.save(temporary)


def reader_key(like: str, row: dict) -> str:
    """The sample key the reader will give a planned row (``database/subject/clip/onset``)."""
    return f"{like}/{row['subject']}/{row['clip']}/{row['onset']}"
