"""Which database a sheet or a folder looks like: the hint of an error when a command was given the wrong
``--database``. Every registered reader is tried on the sheet (each tells its own format apart: names, header
rows, header-less column contents), and a folder is looked into for each database's frame layouts; two
readers that both read a sheet are told apart by the content of its clip cells (``Database.clip_pattern``).
"""

from __future__ import annotations

import re

from ..errors import MeauError, SheetError

SHARE = 0.8  # the share of clip cells that must match one database's names and not the other's


def _others(database: str):
    from .database import get, names

    return [get(name) for name in names() if name not in (database, "csv")]


def _clip_fit(rows, pattern: str) -> float:
    clips = [str(row.get("clip", "")) for row in rows]
    return sum(bool(re.search(pattern, clip)) for clip in clips) / len(clips) if clips else 0.0


def sheet_lookalike(path, database: str) -> str | None:
    """The first other database whose reader reads ``path`` into rows (by content where two do), or None."""
    readable = []
    for other in _others(database):
        if other.sheet_format is None:
            continue
        try:
            rows = other.read_sheet(path).rows
        except (MeauError, OSError, ValueError, KeyError, TypeError, IndexError):
            continue
        if rows:
            readable.append((other, rows))
    fitting = [other for other, rows in readable if other.clip_pattern and _clip_fit(rows, other.clip_pattern) >= SHARE]
    chosen = fitting or [other for other, _ in readable]
    return chosen[0].name if chosen else None


def sheet_hint(path, database: str, message: str) -> str:
    """``; it reads as a sheet of X (--database x)`` for a sheet another reader reads, else ``""`` (also when the
    message names a lookalike already)."""
    if "reads as" in message:
        return ""
    from .database import get

    found = sheet_lookalike(path, database)
    return f"; it reads as a sheet of {get(found).title} (--database {found})" if found else ""


def check_content(found, reader) -> None:
    """Refuse a sheet (:class:`~meau.databases.sheets.SheetRows`) read without error whose clip cells are another
    database's: more than 80 % of them miss this database's clip names and at least 80 % match another's (MMEW's
    ``S13-07-001`` read as CASME II, whose columns it shares)."""
    rows = found.rows
    if not rows or not reader.clip_pattern or _clip_fit(rows, reader.clip_pattern) > 1 - SHARE:
        return
    for other in _others(reader.name):
        if other.clip_pattern and _clip_fit(rows, other.clip_pattern) >= SHARE:
            examples = ", ".join(list(dict.fromkeys(str(row["clip"]) for row in rows))[:3])
            raise SheetError(f"{found.path}: its clips ({examples}, …) are named as {other.title}'s, not "
                             f"{reader.title}'s; it reads as a sheet of {other.title} (--database {other.name})")


def root_lookalike(root, database: str) -> str | None:
    """The first other database whose frames the folder holds, when it holds none of ``database``'s; or None."""
    from pathlib import Path

    from .layouts import frames_fit, holds_frames

    root = Path(root)
    if database == "csv" or not root.is_dir() or holds_frames(root, database):
        return None
    fits = [(frames_fit(root, other.name), other.name) for other in _others(database)]
    score, name = max(fits, default=(0, None), key=lambda item: item[0])  # the first of the best
    return name if score > 0 else None


def root_hint(root, database: str, message: str) -> str:
    """``; ROOT holds the frames of X (--database x)``, or ``""``."""
    if "reads as" in message:
        return ""
    from .database import get

    found = root_lookalike(root, database)
    return f"; {root} holds the frames of {get(found).title} (--database {found})" if found else ""


def with_root_hint(error: MeauError, root, database: str, frames=None) -> MeauError:
    """``error`` with :func:`root_hint` added (same type), or itself when there is none to add (a frame pattern
    of the user's, ``frames``, names no database)."""
    if frames is not None or root is None:
        return error
    hint = root_hint(root, database, str(error))
    if not hint:
        return error
    try:
        return type(error)(f"{error}{hint}")
    except TypeError:  # an error built from parts (SettingError): left as it is
        return error
