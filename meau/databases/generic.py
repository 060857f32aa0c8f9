"""Any other database: a CSV (or spreadsheet) sheet whose columns you name, frames by a pattern.

``--database csv --sheet samples.csv --column subject=Subject … --frames '{subject}/{clip}/img{frame}.jpg'``:
the default column names are ``subject, clip, onset, apex, offset, au, emotion`` (and ``database``,
whose cells then name each row's database); a frame pattern's other fields are read as text from
the columns of the same names.
"""

from pathlib import Path

from ..errors import SheetError
from .database import Database
from .sheets import SheetFormat, SheetRows, _empty, _find_columns, _make_row, _read_table, _text, file_sha256

NAME = "csv"
DEFAULT_COLUMNS = {"subject": "subject", "clip": "clip", "onset": "onset", "apex": "apex", "offset": "offset",
                   "au_raw": "au", "emotion": "emotion", "database": "database"}


class GenericDatabase(Database):
    """A database described by its column mapping, read with the generic CSV reader."""

    def read_sheet(self, path, *, sheet=None, columns=None, extra_fields=(), expressions="micro"):
        if expressions != "micro":
            raise SheetError(f"{path}: expressions {expressions}: a {self.name} sheet has no expression type column")
        return read_generic(Path(path), dict(columns or {}), sheet, extra_fields, self)


def read_generic(path: Path, columns: dict[str, str], sheet, extra_fields, database) -> SheetRows:
    table, sheet_name = _read_table(path, sheet)
    if not table:
        raise SheetError(f"{path}: the file is empty")
    defaults = dict(DEFAULT_COLUMNS)
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
    result = SheetRows([], path, file_sha256(path), sheet_name=sheet_name)
    for index in range(1, len(table)):
        row = table[index]
        if _empty(row):
            continue
        cells = {name: (row[col] if col < len(row) else None) for name, col in mapping.items()}
        record = _make_row(database, cells, index + 1, path, result.problems)
        if "database" in mapping:
            record["database"] = _text(cells["database"]).lower() or database.name
        for name in extra_fields:
            record.setdefault(name, _text(cells[name]))
        result.rows.append(record)
    return result


DATABASE = GenericDatabase(
    name=NAME,
    title="a CSV sheet",
    sheet_format=SheetFormat(database=NAME, subject_width=2, columns={}),
    sheet_globs=("*.xlsx", "*.xls", "*.csv"),
)
