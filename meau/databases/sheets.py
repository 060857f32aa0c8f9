"""Coding-sheet readers: CASME II (.xlsx), CASME (combined Section A/B .xls), SAMM v2 (.xlsx), CAS(ME)^3
part A (the micro-expression ``label`` sheet, or the full ``AU+Emotion`` sheet with its expression
type) and part C (``mockCrimeME``), MMEW, 4DME, and a generic CSV.

Every reader returns a :class:`SheetRows` table with one row per coded micro-expression and the
columns ``database, subject, clip, onset, apex, offset, emotion, au_raw, row`` (``row`` is the
1-based row of the sheet, for messages), plus the problems it met. Cells are read as text first,
columns are found by name, never by position.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..annotations import cell_to_text
from ..errors import SheetError, shorten

ROW_COLUMNS = ["database", "subject", "clip", "onset", "apex", "offset", "emotion", "au_raw", "row"]


@dataclass
class Problem:
    """One thing wrong with one row (or file), kept for the validation report."""

    kind: str
    message: str
    row: int | None = None
    key: str = ""
    path: str = ""


@dataclass
class SheetRows:
    rows: list[dict]
    path: Path
    sha256: str
    problems: list[Problem] = field(default_factory=list)
    sheet_name: str | None = None


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _normalise(name) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find_columns(header, wanted: dict[str, tuple[str, ...]], path, optional=()) -> dict[str, int]:
    """Map our field names to column indices by (normalised) header name."""
    normalised = [_normalise(cell) for cell in header]
    found = {}
    for field_name, candidates in wanted.items():
        for candidate in candidates:
            if _normalise(candidate) in normalised:
                found[field_name] = normalised.index(_normalise(candidate))
                break
        else:
            if field_name not in optional:
                raise SheetError(
                    f"{path}: no column {candidates[0]!r} in the header "
                    f"({', '.join(str(c) for c in header if str(c).strip())})"
                )
    return found


_text = cell_to_text


def _subject(cell, width: int) -> str:
    text = _text(cell)
    if text.lower().startswith("sub"):
        text = text[3:]
    return text.zfill(width) if text.isdigit() else text


MISSING_MARKS = {"", "/", "\\", "-", "?", "nan", "none"}


def _frame(cell, what, row_number, key, problems, path) -> int | None:
    text = _text(cell)
    if text.lower() in MISSING_MARKS:
        problems.append(Problem("missing-frame-number", f"{what} is {shorten(text) if text else 'empty'}", row_number, key, str(path)))
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem("bad-frame-number", f"{what} {shorten(text)} is not a number", row_number, key, str(path)))
        return None
    if not value.is_integer() or value < 0:
        problems.append(Problem("bad-frame-number", f"{what} {shorten(text)} is not a frame number", row_number, key, str(path)))
        return None
    return int(value)


def _read_table(path: Path, sheet=None) -> tuple[list[list], str | None]:
    """All cells of one sheet as Python objects (numbers stay numbers, text stays text)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            if sheet is None:
                worksheet = workbook.worksheets[0]
            elif sheet in workbook.sheetnames:
                worksheet = workbook[sheet]
            else:
                raise SheetError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
            table = [list(row) for row in worksheet.iter_rows(values_only=True)]
            name = worksheet.title
            workbook.close()
            return table, name
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            if sheet is None:
                worksheet = book.sheet_by_index(0)
            elif sheet in book.sheet_names():
                worksheet = book.sheet_by_name(sheet)
            else:
                raise SheetError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheet_names())})")
            return [worksheet.row_values(i) for i in range(worksheet.nrows)], worksheet.name
        if suffix in (".csv", ".tsv", ".txt"):
            import csv

            with open(path, newline="", encoding="utf-8-sig") as handle:
                dialect = "excel-tab" if suffix == ".tsv" else "excel"
                return [row for row in csv.reader(handle, dialect)], None
    except SheetError:
        raise
    except FileNotFoundError:
        raise SheetError(f"{path}: no such file") from None
    except Exception as error:  # openpyxl/xlrd raise many types for a corrupt file
        raise SheetError(f"{path}: cannot read the sheet ({type(error).__name__}: {error})") from None
    raise SheetError(f"{path}: unknown sheet format {suffix!r} (expected .xlsx, .xls or .csv)")


def _empty(row) -> bool:
    return all(_text(cell) == "" for cell in row)


@dataclass(frozen=True)
class SheetFormat:
    database: str
    subject_width: int
    columns: dict[str, tuple[str, ...]]
    sheet: str | None = None
    optional: tuple[str, ...] = ()
    header_search_rows: int = 1
    emotion_fixes: dict[str, str] = field(default_factory=dict)
    sheets: tuple[str, ...] = ()  # worksheet names tried in order when none is given (else the first sheet)
    header_key: str = "subject"  # the field whose column opens the header row


FORMATS = {
    "casme2": SheetFormat(
        database="casme2",
        subject_width=2,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("OnsetFrame", "Onset Frame"),
            "apex": ("ApexFrame", "Apex Frame"),
            "offset": ("OffsetFrame", "Offset Frame"),
            "au_raw": ("Action Units", "AU"),
            "emotion": ("Estimated Emotion", "Emotion"),
        },
        optional=("emotion",),
    ),
    "casme": SheetFormat(
        database="casme",
        subject_width=2,
        columns={
            "subject": ("Subject",),
            "clip": ("Filename",),
            "onset": ("OnsetF",),
            "apex": ("ApexF1", "ApexF"),
            "offset": ("OffsetF",),
            "au_raw": ("AU", "Action Units"),
            "emotion": ("Emotion",),
            "total_ms": ("Total",),
        },
        optional=("emotion", "total_ms"),
        emotion_fixes={"comtempt": "contempt"},
    ),
    "samm": SheetFormat(
        database="samm",
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
        },
        optional=("emotion",),
        header_search_rows=40,
    ),
    # CAS(ME)^3 part A: the micro-expression sheet (sheet 'label') or the full part A sheet (sheet
    # 'AU+Emotion', with 'Expression type'); one long recording per (subject, letter): key by onset
    "casme3": SheetFormat(
        database="casme3",
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
    # CAS(ME)^3 part C: no apex column; 'count' numbers the samples of a subject
    "casme3c": SheetFormat(
        database="casme3c",
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
    "mmew": SheetFormat(
        database="mmew",
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
    "4dme": SheetFormat(
        database="4dme",
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
        header_key="subject",
    ),
}

FRAME_RATES = {"casme2": 200, "casme": 60, "samm": 200, "casme3": 30, "casme3c": 30, "mmew": 90, "4dme": 60}
EXPRESSIONS = ("micro", "macro", "all")


def guess_database(header) -> str | None:
    """The database whose sheet has every required column of ``header`` (for a wrong --database)."""
    normalised = {_normalise(cell) for cell in header if cell is not None}
    for name, fmt in FORMATS.items():
        required = [candidates for field_name, candidates in fmt.columns.items() if field_name not in fmt.optional]
        if all(any(_normalise(c) in normalised for c in candidates) for candidates in required):
            return name
    return None


def read_sheet(path, database: str, *, sheet: str | None = None, columns: dict[str, str] | None = None,
               extra_fields=(), expressions: str = "micro") -> SheetRows:
    """Read a coding sheet as distributed.

    Parameters
    ----------
    path : path-like
        ``CASME2-coding-20140508.xlsx``, CASME's ``Section A.xls``, ``SAMM_Micro_FACS_Codes_v2.xlsx``,
        or a CSV file for ``database='csv'``.
    database : {'casme2', 'casme', 'samm', 'csv'}
    sheet : str, optional
        Worksheet name (SAMM: ``MICRO_ONLY`` by default; others: the first sheet).
    columns : dict, optional
        For ``'csv'``: our field (``subject, clip, onset, apex, offset, au_raw, emotion``, and
        ``database`` to take the database name from a column) -> the file's column name.
    extra_fields : list of str
        For ``'csv'``: further columns kept as text under their names (or ``columns``' names for
        them), such as the fields of a frame pattern; a missing one is an error naming it.
    expressions : {'micro', 'macro', 'all'}
        CAS(ME)^3 part A: which rows of the full sheet (its ``Expression type``) to keep; the
        micro-expression sheet holds micro-expressions only.

    Returns
    -------
    SheetRows
        Rows with ``onset``/``apex``/``offset`` as int or None; problems for every cell that
        could not be read (the row is kept, marked, and dropped later by validation).
    """
    path = Path(path)
    if database == "csv":
        return _read_generic(path, columns or {}, sheet, extra_fields)
    if columns:
        raise SheetError(f"columns ({', '.join(f'{k}={v}' for k, v in columns.items())}) map the columns of a CSV "
                         f"sheet (--database csv); the {database} reader finds its columns by name")
    if database not in FORMATS:
        raise SheetError(f"unknown database {database!r}; choose from {', '.join([*FORMATS, 'csv'])}")
    if expressions not in EXPRESSIONS:
        raise SheetError(f"--expressions must be one of {', '.join(EXPRESSIONS)}, not {expressions!r}")
    fmt = FORMATS[database]
    table, sheet_name = _read_first_sheet(path, sheet or fmt.sheet, fmt.sheets)
    key = _normalise(fmt.columns[fmt.header_key][0])
    header_index = None
    for index, row in enumerate(table[: fmt.header_search_rows]):
        if row and _normalise(_text(row[0])) == key:
            header_index = index
            break
    if header_index is None:
        found = table[0] if table else []
        guess = guess_database(found)
        hint = f"; its columns ({', '.join(str(c) for c in found if str(c).strip())}) look like {guess}, not {database}" \
            if guess and guess != database else ""
        raise SheetError(f"{path}: no header row starting with {fmt.columns[fmt.header_key][0]!r} in the first "
                         f"{fmt.header_search_rows} row(s){hint}")
    try:
        mapping = _find_columns(table[header_index], fmt.columns, path, fmt.optional)
    except SheetError as error:
        guess = guess_database(table[header_index])
        if guess and guess != database:
            raise SheetError(f"{error}: these columns look like a {guess} sheet, not {database}") from None
        raise
    if database == "casme3" and expressions != "micro" and "expression" not in mapping:
        raise SheetError(f"{path}: --expressions {expressions} needs the full part A sheet (CAS(ME)3_part_A_v2.xls, "
                         "sheet AU+Emotion, with 'Expression type'); this one holds micro-expressions only")
    result = SheetRows([], path, file_sha256(path), sheet_name=sheet_name)
    for index in range(header_index + 1, len(table)):
        row = table[index]
        if _empty(row):
            continue
        row_number = index + 1
        cells = {name: (row[col] if col < len(row) else None) for name, col in mapping.items()}
        if "expression" in mapping:
            kind = "macro" if "macro" in _text(cells["expression"]).lower() else "micro"
            if expressions != "all" and kind != expressions:
                continue
        record = _make_row(fmt, cells, row_number, path, result.problems)
        if database == "casme3":
            record["expression"] = kind if "expression" in mapping else "micro"
        result.rows.append(record)
    return result


def _read_first_sheet(path: Path, sheet, candidates) -> tuple[list[list], str | None]:
    """The named worksheet, else the first of ``candidates`` the file has, else its first sheet."""
    if sheet is not None or not candidates or path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _read_table(path, sheet)
    for name in candidates:
        try:
            return _read_table(path, name)
        except SheetError as error:
            if "no sheet" not in str(error):
                raise
    return _read_table(path, None)


def _make_row(fmt: SheetFormat, cells, row_number, path, problems) -> dict:
    subject = _subject(cells["subject"], fmt.subject_width)
    clip = _text(cells["clip"])
    key = f"{subject}/{clip}"
    onset = _frame(cells["onset"], "onset", row_number, key, problems, path)
    # a sheet without an apex column (CAS(ME)^3 C) has no apex to report missing
    apex = _frame(cells["apex"], "apex", row_number, key, problems, path) if "apex" in cells else None
    offset = _frame(cells["offset"], "offset", row_number, key, problems, path)
    if offset is None and onset is not None and _text(cells.get("total_ms")):
        # CASME gives the total duration in ms; with OffsetF missing ('\') it is the only way to the offset.
        try:
            total_ms = float(_text(cells["total_ms"]))
            offset = onset + int(round(total_ms * FRAME_RATES[fmt.database] / 1000.0)) - 1
            problems.append(
                Problem("offset-estimated", f"offset estimated as {offset} from Total = {total_ms:g} ms", row_number, key, str(path))
            )
        except ValueError:
            pass
    emotion = _text(cells.get("emotion")).strip().lower()
    emotion = fmt.emotion_fixes.get(emotion, emotion)
    return {
        "database": fmt.database,
        "subject": subject,
        "clip": clip,
        "onset": onset,
        "apex": apex,
        "offset": offset,
        "emotion": emotion,
        "au_raw": _text(cells["au_raw"]),
        "row": row_number,
    }


def _read_generic(path: Path, columns: dict[str, str], sheet, extra_fields=()) -> SheetRows:
    table, sheet_name = _read_table(path, sheet)
    if not table:
        raise SheetError(f"{path}: the file is empty")
    defaults = {"subject": "subject", "clip": "clip", "onset": "onset", "apex": "apex", "offset": "offset",
                "au_raw": "au", "emotion": "emotion", "database": "database"}
    defaults.update({name: name for name in extra_fields if name not in defaults})
    unknown = [name for name in columns if name not in defaults]
    if unknown:
        raise SheetError(f"{path}: column mapping {unknown[0]}={columns[unknown[0]]}: {unknown[0]!r} is no field "
                         f"(fields: {', '.join(defaults)})")
    wanted = {name: (columns.get(name, default),) for name, default in defaults.items()}
    mapping = _find_columns(table[0], wanted, path, optional=("apex", "emotion", "database", *extra_fields))
    for name in extra_fields:
        if name not in mapping:
            raise SheetError(f"{path}: the frame pattern names {{{name}}}, which is no sheet column "
                             f"({', '.join(str(c) for c in table[0] if str(c).strip())})")
    fmt = SheetFormat(database="csv", subject_width=2, columns={})
    result = SheetRows([], path, file_sha256(path), sheet_name=sheet_name)
    for index in range(1, len(table)):
        row = table[index]
        if _empty(row):
            continue
        cells = {name: (row[col] if col < len(row) else None) for name, col in mapping.items()}
        record = _make_row(fmt, cells, index + 1, path, result.problems)
        if "database" in mapping:
            record["database"] = _text(cells["database"]).lower() or "csv"
        for name in extra_fields:
            record.setdefault(name, _text(cells[name]))
        result.rows.append(record)
    return result
