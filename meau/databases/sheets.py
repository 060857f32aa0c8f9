"""Coding sheets as distributed: one shared reader driven by a database's :class:`SheetFormat`.

A format names the columns a database's sheet holds (found by name, never by position), where its
header row is (after a preamble), how subjects are padded and emotions corrected, and which
worksheets to try. Every reader returns a :class:`SheetRows` table with one row per coded micro-expression and the
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


PROBLEM_COLUMNS = ["kind", "message", "row", "key", "path"]


def sample_key(database, subject, clip, onset=None) -> str:
    """The one key of ``validation.csv`` and every problem list: ``database/subject/clip/onset`` (the clip of a
    long-video database is its recording; the onset is empty where unknown or for a whole recording)."""
    try:
        onset = "" if onset is None or onset != onset else str(int(float(onset)))  # (NaN != NaN)
    except (TypeError, ValueError):
        onset = str(onset).strip()
    return f"{database}/{subject}/{clip}/{onset}"


def problems_frame(problems):
    """The problems (Problem objects or dicts) as the table ``validation.csv`` holds: one row each."""
    import pandas as pd

    table = pd.DataFrame([problem if isinstance(problem, dict) else vars(problem) for problem in problems],
                         columns=PROBLEM_COLUMNS)
    numbers = pd.to_numeric(table["row"], errors="coerce")
    if numbers.notna().sum() == table["row"].notna().sum() and (numbers.dropna() % 1 == 0).all():
        table["row"] = numbers.astype("Int64")  # sheet rows are integers, also beside problems without a row
    return table


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


def _frame(cell, what, row_number, key, problems, path, missing=()) -> int | None:
    text = _text(cell)
    if text.lower() in MISSING_MARKS or (text and text in missing):
        problems.append(Problem("missing-frame-number", f"{what} is {shorten(text) if text else 'empty'} (not coded)",
                                row_number, key, str(path)))
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
    """The columns of one database's sheet (our field -> the header names it goes by) and its quirks.

    A format with an ``expression`` column (optional) reads the expression type of each row
    (``macro`` in the cell: macro, else micro) and selects rows by ``--expressions``.
    """

    database: str
    subject_width: int
    columns: dict[str, tuple[str, ...]]
    sheet: str | None = None
    optional: tuple[str, ...] = ()
    header_search_rows: int = 1
    emotion_fixes: dict[str, str] = field(default_factory=dict)
    sheets: tuple[str, ...] = ()  # worksheet names tried in order when none is given (else the first sheet)
    header_key: str = "subject"  # the field whose column opens the header row
    missing_marks: tuple[str, ...] = ()  # frame cells that also mean "not coded" (SAMM-LV's -1, CAS(ME)^2's 0)


EXPRESSIONS = ("micro", "macro", "all")


def read_formatted_sheet(path, database, *, sheet: str | None = None, expressions: str = "micro") -> SheetRows:
    """The rows of a sheet in ``database``'s :class:`SheetFormat` (see :func:`meau.databases.read_sheet`; a
    sheet of another database is named as such where sheets become labels, :mod:`meau.databases.lookalike`)."""
    path = Path(path)
    fmt = database.sheet_format
    table, sheet_name = _read_first_sheet(path, sheet or fmt.sheet, fmt.sheets)
    key = _normalise(fmt.columns[fmt.header_key][0])
    header_index = None
    for index, row in enumerate(table[: fmt.header_search_rows]):
        if row and _normalise(_text(row[0])) == key:
            header_index = index
            break
    if header_index is None:
        found = [str(cell) for cell in (table[0] if table else []) if cell is not None and str(cell).strip()]
        shown = f" (its first row: {shorten(', '.join(found), 120)})" if found else ""
        raise SheetError(f"{path}: no header row starting with {fmt.columns[fmt.header_key][0]!r} in the first "
                         f"{fmt.header_search_rows} row(s){shown}")
    mapping = _find_columns(table[header_index], fmt.columns, path, fmt.optional)
    result = SheetRows([], path, file_sha256(path), sheet_name=sheet_name)
    rows_from_table(database, table, mapping, header_index + 1, path, expressions, result)
    return result


def rows_from_table(database, table, mapping: dict, first: int, path, expressions: str, result: SheetRows) -> None:
    """Append the rows ``table[first:]`` to ``result``: cells found by ``mapping`` (field -> column),
    typed rows selected by ``expressions``, and, for a database that says so, missing ends filled."""
    typed = "expression" in mapping
    if expressions != "micro" and not typed:
        full = f" ({database.title}: {database.full_sheet_globs[0]})" if database.full_sheet_globs else ""
        raise SheetError(f"{path}: expressions {expressions} needs a sheet that codes the expression type of each "
                         f"row{full}; this one holds micro-expressions only")
    for index in range(first, len(table)):
        row = table[index]
        if _empty(row):
            continue
        row_number = index + 1
        cells = {name: (row[col] if col < len(row) else None) for name, col in mapping.items()}
        kind = "micro"
        if typed:
            kind = "macro" if "macro" in _text(cells["expression"]).lower() else "micro"
            if expressions != "all" and kind != expressions:
                continue
        record = _make_row(database, cells, row_number, path, result.problems)
        if "expression" in database.sheet_format.columns:
            record["expression"] = kind
        if database.fill_ends:
            fill_missing_ends(record, result.problems, path)
        result.rows.append(record)


def fill_missing_ends(row: dict, problems: list, path) -> None:
    """A long-video sheet's rule for ends it does not code: a missing onset or offset is replaced by the
    apex (as the MEGC organisers' baseline did for CAS(ME)^2's offsets), reported; without an apex the
    interval cannot be scored and validation drops it."""
    key = sample_key(row["database"], row["subject"], row["clip"], row["onset"] if row["onset"] is not None
                     else row["apex"])
    for end in ("onset", "offset"):
        if row[end] is None and row["apex"] is not None:
            row[end] = row["apex"]
            problems.append(Problem(f"{end}-estimated", f"{end} not coded: the apex {row['apex']} used instead",
                                    row["row"], key, str(path)))


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


def _make_row(database, cells, row_number, path, problems) -> dict:
    fmt = database.sheet_format
    subject = _subject(cells["subject"], fmt.subject_width)
    clip = _text(cells["clip"])
    key = sample_key(fmt.database, subject, clip, _text(cells["onset"]))
    missing = fmt.missing_marks
    onset = _frame(cells["onset"], "onset", row_number, key, problems, path, missing)
    # a sheet without an apex column (CAS(ME)^3 C) has no apex to report missing
    apex = _frame(cells["apex"], "apex", row_number, key, problems, path, missing) if "apex" in cells else None
    offset = _frame(cells["offset"], "offset", row_number, key, problems, path, missing)
    if offset is None and onset is not None and _text(cells.get("total_ms")):
        # CASME gives the total duration in ms; with OffsetF missing ('\') it is the only way to the offset.
        try:
            total_ms = float(_text(cells["total_ms"]))
            offset = onset + int(round(total_ms * database.frame_rate / 1000.0)) - 1
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
        **({"objective": _text(cells.get("objective")).strip()} if "objective" in cells else {}),
        **({"self_report": _text(cells.get("self_report")).strip().lower()} if "self_report" in cells else {}),
        "au_raw": _text(cells["au_raw"]),
        "row": row_number,
    }
