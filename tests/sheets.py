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
