"""``--samples FILE``: keep only the samples a published list names (the MEGC2019 composite's clip list …).

The list is a CSV with a header: ``subject, clip`` and optionally ``database``. Subjects match as the readers
name them and as the folders and lists write them: CASME II's ``sub01`` is subject ``01``, SMIC's ``s1`` and
``s01`` are one subject, SAMM's ``6`` is ``006``. With a ``database`` column, rows of another database are
ignored (it names a reader, such as ``casme2``, or a datasets file's label). Every listed sample that is not
found is reported by name, and every sample left out is listed (``not-listed``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..errors import MeauError

_SUBJECT = re.compile(r"^(sub|s)?0*(\d+)$")


def subject_key(subject) -> str:
    """The form in which subject names are compared: ``sub01`` and ``01`` -> ``1``; ``s01`` and ``s1`` -> ``s1``;
    ``006`` and ``6`` -> ``6``; any other name case-folded."""
    text = str(subject).strip().casefold()
    match = _SUBJECT.match(text)
    if not match:
        return text
    prefix = "s" if match.group(1) == "s" else ""
    return f"{prefix}{int(match.group(2))}"


def read_csv_table(path, what: str, required, needs: str):
    """A CSV file with a header as text cells, its column names stripped and case-folded; one line naming the
    file when it is missing or unreadable (``what``: ``samples list``, ``predictions file`` …) or lacks one of
    the ``required`` columns (``needs`` says what it must hold)."""
    import pandas as pd

    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MeauError(f"{path}: no such {what}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise MeauError(f"{path}: not a CSV {what} ({error})") from None
    table.columns = [str(column).strip().casefold() for column in table.columns]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise MeauError(f"{path}: {needs}; no column {missing[0]}")
    return table


def read_list(path) -> list[dict]:
    return read_csv_table(path, "samples list", ("subject", "clip"),
                          "a samples list needs a header with subject and clip (and optionally database)"
                          ).to_dict("records")


def keep_listed(dataset, path):
    """``dataset`` restricted to the samples of the list at ``path`` (see the module)."""
    from .sheets import Problem, sample_key

    rows = read_list(path)
    names = {}  # the names a database of the dataset goes by (label and reader), case-folded
    for source in dataset.sources:
        label = str(source.get("label") or source.get("database"))
        for name in (label, source.get("database")):
            if name:
                names[str(name).casefold()] = label
    table = dataset.table
    own = {str(name) for name in table["database"].unique()}
    wanted, listed = set(), []
    for row in rows:
        database = str(row.get("database", "")).strip()
        if database:
            database = names.get(database.casefold())
            if database is None:
                continue  # another database's row
            databases = [database]
        else:
            databases = sorted(own)
        candidates = [(database, subject_key(row["subject"]), str(row["clip"]).strip()) for database in databases]
        wanted.update(candidates)
        listed.append((candidates, row))
    keys = [(str(d), subject_key(s), str(c).strip()) for d, s, c in table[["database", "subject", "clip"]].itertuples(
        index=False)]
    keep = [key in wanted for key in keys]
    if not any(keep):
        raise MeauError(f"{path}: none of its samples is in the dataset (subjects and clips as the sheets name them)")
    problems = list(dataset.problems)
    found = set(keys)
    for candidates, row in listed:
        if not any(key in found for key in candidates):
            problems.append(Problem("listed-not-found", f"{Path(path).name}: subject {row['subject']} clip "
                                    f"{row['clip']} is not among the samples read", None,
                                    sample_key("|".join(sorted({k[0] for k in candidates})), row["subject"],
                                               row["clip"])))
    for index in [i for i, kept in enumerate(keep) if not kept]:
        row = table.iloc[index]
        problems.append(Problem("not-listed", f"not in {Path(path).name}", int(row["row"]) if "row" in table else None,
                                sample_key(row["database"], row["subject"], row["clip"], row["onset"])))
    return dataclasses.replace(dataset, table=table[keep].reset_index(drop=True), problems=problems)
