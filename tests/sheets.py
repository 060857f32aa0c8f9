"""Builders for coding sheets with the quirks of the distributed files (data.md §3)."""

from __future__ import annotations


def write_casme2(path, rows, *, revision_2019=False):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    header = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion"]
    if revision_2019:
        header = header[:2] + ["Objective Classes"] + header[2:]  # extra column shifts every position
    sheet.append(header)
    for row in rows:
        row = list(row)
        if revision_2019:
            row = row[:2] + ["1"] + row[2:]
        sheet.append(row)
    book.save(path)
    return path


def write_casme_xls(path, rows):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    header = ["Subject", "Filename", "", "OnsetF", "ApexF1", "ApexF2", "OffsetF", "", "Onset", "Total", "AU", "Emotion"]
    for j, value in enumerate(header):
        sheet.write(0, j, value)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is not None:
                sheet.write(i, j, value)
    book.save(str(path))
    return path


def write_samm(path, rows, preamble_rows=13):
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "FACS_Codes_Full"
    first.append(["not this sheet"])
    sheet = book.create_sheet("MICRO_ONLY")
    sheet.append(["Please cite: Davison et al., SAMM, IEEE TAC 2018"])
    for i in range(preamble_rows - 2):
        sheet.append([f"Key {i}: A = asymmetric" if i % 2 == 0 else None])
    sheet.append([None])
    sheet.append(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
                  "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _assign(counts: dict[int, int], rows: int) -> list[list[int]]:
    """AU lists for ``rows`` rows such that AU k is in exactly counts[k] rows (rotating starts)."""
    cells = [[] for _ in range(rows)]
    start = 0
    for au, count in counts.items():
        for offset in range(count):
            cells[(start + offset) % rows].append(au)
        start = (start + count) % rows
    return cells


CASME3_A_COUNTS = {1: 153, 2: 128, 4: 274, 5: 44, 6: 8, 7: 27, 9: 50, 10: 10, 12: 15, 14: 193, 15: 6, 17: 20, 24: 59, 38: 30}
CASME3_C_COUNTS = {2: 40, 4: 74, 10: 15, 14: 25, 24: 26, 25: 18}


def casme3_a_rows(count: int = 860, subjects: int = 94):
    """Rows of the part A micro-expression sheet: spNO subjects, letters shared by several rows, the
    L/R/T/B prefixes, mixed-case emotions, and the original release's six known errors."""
    cells = _assign(CASME3_A_COUNTS, count)
    rows = []
    for index, aus in enumerate(cells):
        subject = f"spNO.{index % subjects + 1}"
        letter = "abcdefghijklm"[(index // subjects) % 13]
        onset = 100 + 40 * (index // (subjects * 13)) + 7 * (index % 5)
        tokens = []
        for position, au in enumerate(aus):
            prefix = ("", "R", "L", "T", "B")[(index + position) % 5] if au not in (1, 2) or position else ""
            tokens.append(f"{prefix}{au}")
        cell = "+".join(tokens) if tokens else "?"
        emotion = ("others", "Others", "disgust", "Surprise")[index % 4]
        rows.append([subject, letter, onset, onset + 5, onset + 12, cell, 1, emotion])
    # the original release's four impossible rows and two implausible ones (data.md §3)
    rows[0][:5] = ["spNO.149", "d", 112, 83, 190]
    rows[1][:5] = ["spNO.216", "d", 3647, 2668, 2690]
    rows[2][:5] = ["spNO.40", "e", 1812, 1830, 0]
    rows[3][:5] = ["spNO.40", "e", 2327, 2350, 0]
    rows[4][:5] = ["spNO.214", "c", 5, 20, 3460]
    rows[5][:5] = ["spNO.216", "e", 0, 0, 20]
    return rows


def write_casme3_a(path, rows, *, full=False):
    """The micro sheet (``label`` beside the empty ``Sheet1`` and ``Sheet3``), or the full part A
    sheet (``AU+Emotion`` with ``Expression type``, and ``eye blink``) when ``full``."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "AU+Emotion" if full else "label"
    header = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
    sheet.append(header + (["Expression type"] if full else []))
    for row in rows:
        sheet.append(list(row))
    for name in (("eye blink",) if full else ("Sheet1", "Sheet3")):
        book.create_sheet(name)
    book.save(path)
    return path


def casme3_c_rows(count: int = 165, subjects: int = 20):
    """Rows of ``mockCrimeME``: integer subjects, no apex, comma lists with a trailing comma, a
    full-width comma, and an uncertain ``13?``."""
    cells = _assign(CASME3_C_COUNTS, count)
    rows = []
    for index, aus in enumerate(cells):
        tokens = [("L" if (index + k) % 4 == 1 else "") + str(au) for k, au in enumerate(aus)]
        text = ",".join(tokens) if tokens else "?"
        if index % 10 == 3 and tokens:
            text += ","
        if index % 25 == 7 and len(tokens) > 1:
            text = text.replace(",", "，", 1)
        if index % 30 == 11:
            text = (text + ",13?") if tokens else "13?"
        rows.append([index % subjects + 1, index // subjects + 1, 50 + index, 60 + index, text,
                     ("negative", "surprise", "others", "positive")[index % 4]])
    return rows


def write_casme3_c(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "mockCrimeME"
    sheet.append(["sub", "count", "onset", "offset", "au", "emotion"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path
