"""Documented corrections for known sheet errors, applied only when the user asks (``--apply-fixes``).

Each database module lists its fixes (``Database.fixes``): a fix names the sample (subject, clip,
and the onset where rows share a clip, or the sheet row where a source identifies the row by
position), the field, the value the distributed sheet holds, the value to use, why, and where the
correction comes from (a corrected release of the sheet, MEB's loaders, or meau's own reading). A
fix applies only when the sheet still holds the expected wrong value, so a corrected or re-released
sheet is never edited. The table is versioned: the version is written to the run's ``config.json``.

Where the right value is not known, a fix marks the value unknown rather than inventing a number:
the pipelines only need onset and offset, and the flow methods estimate a missing apex. ``swaps``
exchange one field between two rows that a source says were swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

FIX_TABLE_VERSION = "2"  # 2: CAS(ME)^3 part A, MMEW and 4DME; fixes carry their source

CORRECTED_RELEASE = "the corrected release of the sheet"
MEB = "MEB (tvaranka/meb), its dataset loader"


@dataclass(frozen=True)
class Fix:
    field: str
    wrong: object  # the value the distributed sheet holds (None: an empty or unreadable cell)
    right: object  # the value to use (None: unknown)
    reason: str
    source: str
    subject: str | None = None
    clip: str | None = None
    onset: int | None = None  # where several rows share a clip
    row: int | None = None  # the sheet row (1-based, header included) where a source identifies the row by position

    def matches(self, row: dict) -> bool:
        if self.row is not None and row["row"] != self.row:
            return False
        if self.subject is not None and (row["subject"], row["clip"]) != (self.subject, self.clip):
            return False
        if self.onset is not None and row["onset"] != self.onset:
            return False
        return row.get(self.field) == self.wrong


@dataclass(frozen=True)
class Swap:
    """Two sheet rows (1-based, header included) whose ``field`` cells a source says were swapped."""

    field: str
    first: int
    second: int
    reason: str
    source: str


def apply_fixes(rows: list[dict], fixes=(), swaps=()) -> list[str]:
    """Apply a database's fixes and swaps to its sheet rows in place; one line per correction made."""
    applied = []
    for fix in fixes:
        for row in rows:
            if fix.matches(row):
                row[fix.field] = fix.right
                applied.append(f"{row['database']} {row['subject']}/{row['clip']} row {row['row']}: {fix.field} "
                               f"{'empty' if fix.wrong is None else fix.wrong} -> "
                               f"{'unknown' if fix.right is None else fix.right} ({fix.reason}; source: {fix.source})")
    by_row = {row["row"]: row for row in rows}
    for swap in swaps:
        a, b = by_row.get(swap.first), by_row.get(swap.second)
        if a is not None and b is not None and a[swap.field] != b[swap.field]:
            a[swap.field], b[swap.field] = b[swap.field], a[swap.field]
            database = a["database"]
            applied.append(f"{database} rows {swap.first} and {swap.second}: {swap.field} swapped "
                           f"({swap.reason}; source: {swap.source})")
    return applied
