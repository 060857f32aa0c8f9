"""Documented corrections for known sheet errors, applied only when the user asks (``--apply-fixes``).

Each fix names the sample (database, subject, clip, and the onset where rows share a clip), the
field, the value the distributed sheet holds, the value to use, why, and where the correction comes
from (a corrected release of the sheet, MEB's loaders, or meau's own reading). A fix applies only
when the sheet still holds the expected wrong value, so a corrected or re-released sheet is never
edited. The table is versioned: the version is written to the run's ``config.json``.

Where the right value is not known (SAMM's two apex errors), the fix marks the value unknown rather
than inventing a number: the pipelines only need onset and offset, and the flow methods estimate a
missing apex. Rows that MEB identifies by position (MMEW's missing apexes and offsets, 4DME's two
swapped AU cells) are keyed by their sheet row and by the value (empty) or the neighbour they need.
"""

from __future__ import annotations

from dataclasses import dataclass

FIX_TABLE_VERSION = "2"  # 2: CAS(ME)^3 part A, MMEW and 4DME; fixes carry their source


@dataclass(frozen=True)
class Fix:
    database: str
    field: str
    wrong: object  # the value the distributed sheet holds (None: an empty or unreadable cell)
    right: object  # the value to use (None: unknown)
    reason: str
    source: str
    subject: str | None = None
    clip: str | None = None
    onset: int | None = None  # where several rows share a clip
    row: int | None = None  # the sheet row (1-based, header included) where MEB identifies the row by position

    def matches(self, row: dict) -> bool:
        if row["database"] != self.database:
            return False
        if self.row is not None and row["row"] != self.row:
            return False
        if self.subject is not None and (row["subject"], row["clip"]) != (self.subject, self.clip):
            return False
        if self.onset is not None and row["onset"] != self.onset:
            return False
        return row.get(self.field) == self.wrong


CORRECTED_RELEASE = "the corrected release of the sheet"
MEB = "MEB (tvaranka/meb), its dataset loader"

FIXES = [
    Fix("samm", "apex", 1143, None, "apex 1143 lies after the offset 1134; apex unknown", "meau", "028", "028_4_1"),
    Fix("samm", "apex", 1930, None, "apex 1930 lies before the onset 4896; apex unknown", "meau", "032", "032_3_1"),
    # CAS(ME)^3 part A, the original release: four impossible rows
    Fix("casme3", "apex", 83, 160, "apex 83 lies before the onset 112 (MEB uses 123)", CORRECTED_RELEASE, "spNO.149", "d", 112),
    Fix("casme3", "onset", 3647, 2647, "onset 3647 lies after the apex 2668", CORRECTED_RELEASE, "spNO.216", "d"),
    Fix("casme3", "offset", 0, 1845, "offset 0", CORRECTED_RELEASE, "spNO.40", "e", 1812),
    Fix("casme3", "offset", 0, 2403, "offset 0", CORRECTED_RELEASE, "spNO.40", "e", 2327),
    # ... and two implausible ones, kept by both releases
    Fix("casme3", "offset", 3460, 34, "a 3456-frame micro-expression", MEB, "spNO.214", "c", 5),
    Fix("casme3", "onset", 0, 1, "JPG indices start at 1", MEB, "spNO.216", "e", 0),
    Fix("casme3", "apex", 0, 1, "JPG indices start at 1", MEB, "spNO.216", "e"),
]
# MMEW: 16 rows without a usable apex and offset; MEB's estimates, by its 0-based row index (sheet row = index + 2)
_MMEW = {33: (40, 75), 35: (15, 54), 36: (46, 59), 37: (20, 98), 38: (25, 80), 39: (20, 93), 40: (23, 58),
         41: (28, 61), 42: (32, 68), 142: (56, 88), 143: (32, 80), 145: (27, 85), 146: (22, 61), 148: (29, 108),
         154: (31, 72), 156: (38, 106)}
for _index, (_apex, _offset) in _MMEW.items():
    FIXES.append(Fix("mmew", "apex", None, _apex, "no usable apex in the sheet; estimated", MEB, row=_index + 2))
    FIXES.append(Fix("mmew", "offset", None, _offset, "no usable offset in the sheet; estimated", MEB, row=_index + 2))
# 4DME: MEB swaps the AU cells of its rows 144 and 145 (sheet rows 146 and 147)
SWAPS = [("4dme", "au_raw", 146, 147, "the AU cells of two adjacent rows are swapped", MEB)]


def apply_fixes(rows: list[dict], sha256: str | None = None) -> list[str]:
    """Apply the fix table in place; return one line per correction made (with its source)."""
    applied = []
    for fix in FIXES:
        for row in rows:
            if fix.matches(row):
                row[fix.field] = fix.right
                applied.append(f"{fix.database} {row['subject']}/{row['clip']} row {row['row']}: {fix.field} "
                               f"{'empty' if fix.wrong is None else fix.wrong} -> "
                               f"{'unknown' if fix.right is None else fix.right} ({fix.reason}; source: {fix.source})")
    by_row = {(row["database"], row["row"]): row for row in rows}
    for database, field, first, second, reason, source in SWAPS:
        a, b = by_row.get((database, first)), by_row.get((database, second))
        if a is not None and b is not None and a[field] != b[field]:
            a[field], b[field] = b[field], a[field]
            applied.append(f"{database} rows {first} and {second}: {field} swapped ({reason}; source: {source})")
    return applied
