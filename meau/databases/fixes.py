"""Documented corrections for known sheet errors, applied only when the user asks (``--apply-fixes``).

Each fix names the sample, the field, the value the distributed sheet holds and the value to use.
A fix applies only when the sheet still holds the expected wrong value, so a corrected or
re-released sheet is never edited. The table is versioned: the version is written to the run's
``config.json``.

Where the right value is not known (SAMM's two apex errors), the fix marks the apex unknown rather
than inventing a number: the pipelines only need onset and offset.
"""

from __future__ import annotations

FIX_TABLE_VERSION = "1"

# (database, subject, clip, field, value in the sheet, corrected value, reason)
FIXES = [
    ("samm", "028", "028_4_1", "apex", 1143, None, "apex 1143 lies after the offset 1134; apex unknown"),
    ("samm", "032", "032_3_1", "apex", 1930, None, "apex 1930 lies before the onset 4896; apex unknown"),
]


def apply_fixes(rows: list[dict]) -> list[str]:
    """Apply the fix table in place; return one line per correction made."""
    applied = []
    for database, subject, clip, field, wrong, right, reason in FIXES:
        for row in rows:
            if (row["database"], row["subject"], row["clip"]) == (database, subject, clip) and row[field] == wrong:
                row[field] = right
                applied.append(f"{database} {subject}/{clip} row {row['row']}: {field} {wrong} -> {right} ({reason})")
    return applied
