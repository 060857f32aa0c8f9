"""Coding sheet + folder layout -> labelled samples with their frame files (any registered database).

A sample (one micro-expression) is keyed by ``(database, subject, clip, onset)``, never by folder
alone: several rows may share a clip folder or a long recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..annotations import Policy, au_column, parse_au_string, present_aus
from ..errors import AUParseError, FrameError, MeauError, PathError, SettingError, SheetError
from ..video import check_frames
from .database import get, read_sheet
from .fixes import FIX_TABLE_VERSION, apply_fixes
from .layouts import ROW_FIELDS, FramePattern, describe_gaps, detect_layout, is_pattern, list_frames, resolve_frames
from .sheets import Problem, problems_frame, sample_key

KEY_COLUMNS = ["database", "subject", "clip", "onset"]


@dataclass
class Labels:
    """One row per coded micro-expression with a 0/1 column per selected AU."""

    table: "object"  # pandas.DataFrame
    au_columns: list[str]
    problems: list[Problem] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    policy: Policy = Policy()
    fixes_applied: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # emotion classes (``emotion_class`` column); [] for AUs

    @property
    def target(self) -> str:
        """What a run on these samples predicts: ``aus`` (the AU columns) or ``emotion`` (one of ``classes``)."""
        return "emotion" if self.classes else "aus"

    def positives(self) -> dict[str, int]:
        return {column: int(self.table[column].sum()) for column in self.au_columns}


@dataclass
class Dataset(Labels):
    """:class:`Labels` of the samples whose frames were found, with a ``frames`` column (list of paths).

    ``table`` has one row per sample (keys, onset/apex/offset, AU columns, ``frames``,
    ``frame_numbers``); ``validation`` lists every problem met; ``clip(i)`` reads sample ``i``'s
    frames only when asked (lazily).
    """

    layout: str = ""
    rows_read: int = 0

    def __len__(self) -> int:
        return len(self.table)

    @property
    def validation(self):
        """The problems met (one row each: kind, message, row, key, path), as ``validation.csv`` has them."""
        return problems_frame(self.problems)

    def without(self, failures: dict, *, kind: str) -> "Dataset":
        """The dataset without the samples ``failures`` names ({index: message}), each listed as a
        problem of ``kind`` (the same object when nothing failed)."""
        if not failures:
            return self
        import dataclasses

        table = self.table
        problems = list(self.problems)
        for index in sorted(failures):
            row = table.iloc[index]
            problems.append(Problem(kind, failures[index], int(row["row"]) if "row" in table else None,
                                    sample_key(row["database"], row["subject"], row["clip"], row["onset"]),
                                    str(row["frames"][0]) if "frames" in table and len(row["frames"]) else ""))
        keep = [index for index in range(len(table)) if index not in failures]
        return dataclasses.replace(self, table=table.iloc[keep].reset_index(drop=True), problems=problems)

    def labels(self, index: int):
        """The 0/1 AU vector of sample ``index`` (``au_columns`` order)."""
        return self.table[self.au_columns].iloc[index].to_numpy()

    def clip(self, index: int, *, color: bool = False, size=(128, 128), tim_frames: int | None = 10,
             magnify: dict | None = None):
        """Sample ``index``'s frames as a uint8 clip ((T, H, W) grey or (T, H, W, 3) RGB), resized to
        ``size`` (None: as stored), magnified with ``magnify`` settings, interpolated to ``tim_frames``
        frames by TIM (None: every frame) - the handcrafted pipelines' reading."""
        from ..video import load_clip

        return load_clip([str(p) for p in self.table["frames"].iloc[index]], color=color, size=size,
                         tim_frames=tim_frames, magnify=magnify)


def sample_keys(table) -> list[str]:
    return [sample_key(d, s, c, o) for d, s, c, o in table[KEY_COLUMNS].itertuples(index=False)]


def parse_aus_option(aus, option: str = "--aus") -> list[int] | None:
    """``'auto'`` -> None; ``'1,2,4'`` or ``[1, 2, 4]`` -> a sorted list of AU numbers (errors name ``option``)."""
    if aus is None or (isinstance(aus, str) and aus.strip().lower() == "auto"):
        return None
    items = aus.replace("AU", "").replace("au", "").split(",") if isinstance(aus, str) else aus
    try:
        numbers = sorted({int(str(item).strip()) for item in items if str(item).strip()})
    except ValueError:
        raise MeauError(f"{option} must be 'auto' or AU numbers such as 1,2,4 (got {aus!r})") from None
    if not numbers or any(not 1 <= number <= 99 for number in numbers):
        raise MeauError(f"{option} must list FACS AU numbers between 1 and 99 (got {aus!r})")
    return numbers


def annotate(
    sheet,
    database: str,
    *,
    aus="auto",
    min_count: int = 15,
    policy: Policy = Policy(),
    skip_unparseable: bool = False,
    fixes: bool = False,
    columns: dict[str, str] | None = None,
    sheet_name: str | None = None,
    extra_fields: list[str] | tuple[str, ...] = (),
    expressions: str | None = None,
    require_aus: bool = True,
    emotions_sheet=None,
) -> Labels:
    """Read a coding sheet and turn its AU cells into binary labels.

    Parameters
    ----------
    sheet : path-like
        The coding sheet as distributed (see :func:`meau.databases.sheets.read_sheet`).
    database : str
        A registered database (:func:`meau.databases.names`).
    aus : 'auto' or str or list of int
        ``'auto'`` keeps the AUs with at least ``min_count`` positives; otherwise the AU numbers.
    policy : Policy
        Presence policy; the default counts every mention of an AU.
    skip_unparseable : bool
        Drop rows whose AU cell cannot be parsed (each is reported) instead of failing.
    fixes : bool
        Apply the database's documented fixes (:mod:`meau.databases.fixes`).
    extra_fields : list of str
        For the CSV reader: further sheet columns to keep as text (those a frame pattern names).
    expressions : {'micro', 'macro', 'all'}, optional
        Sheets that code the expression type: which expressions to read (default: the database's,
        micro, or all for a long-video database).

    A long-video database's table also has ``video`` (the recording) and ``type`` (micro or macro),
    and where its sheet holds free text for AUs (``keep_unparseable``), such a row keeps its
    interval, is reported, and its AU columns are empty (unknown). ``require_aus=False`` (emotion
    recognition, spotting truth) does the same for every sheet and accepts a sheet without any AU.
    ``emotions_sheet``: another sheet holding the rows' emotions (SAMM's short sheet for SAMM-LV's
    micro-expressions, joined on ``Filename``; rows without a match are reported).
    """
    import pandas as pd

    reader = get(database)
    if require_aus and not reader.codes_aus:
        raise MeauError(f"{reader.title} codes no AUs: it serves emotion recognition (--target emotion)")
    expressions = expressions or reader.default_expressions
    rows = _read_named_sheet(sheet, database, sheet=sheet_name, columns=columns, extra_fields=extra_fields,
                             expressions=expressions)
    problems = list(rows.problems)
    if emotions_sheet is not None:
        problems.extend(reader.join_emotions(rows.rows, emotions_sheet))
    fixes_applied = apply_fixes(rows.rows, reader.fixes, reader.swaps) if fixes else []
    records, present, seen = [], [], {}
    for row in rows.rows:
        where = f"{rows.path.name} row {row['row']}"
        key = _key(row)
        # a long recording may hold a micro- and a macro-expression from the same onset (SAMM-LV's 025_5 at 840):
        # an interval's identity includes its type and offset
        identity = f"{key}/{row.get('offset')}/{row.get('expression', '')}" if reader.long_video else key
        if identity in seen:  # the same expression coded twice: keep the first, report the other
            same = "onset, offset and type" if reader.long_video else "and onset"
            problems.append(Problem("duplicate-sample", f"same database, subject, clip {same} as row {seen[identity]}",
                                    row["row"], key, str(rows.path)))
            continue
        seen[identity] = row["row"]
        try:
            tokens = parse_au_string(row["au_raw"], where=where)
        except AUParseError as error:
            if not require_aus:  # emotion recognition or spotting truth: the AU cell plays no part
                problems.extend(_check_frames(row, rows.path))
                records.append(row)
                present.append(None)
                continue
            if reader.keep_unparseable and not skip_unparseable:
                problems.append(Problem("unparseable-au", f"{error}; the interval is kept, its AUs unknown", row["row"],
                                        _key(row), str(rows.path)))
                problems.extend(_check_frames(row, rows.path))
                records.append(row)
                present.append(None)
                continue
            if not skip_unparseable:
                raise
            problems.append(Problem("unparseable-au", str(error), row["row"], _key(row), str(rows.path)))
            continue
        problems.extend(_check_frames(row, rows.path))
        uncertain = [token.text for token in tokens if token.uncertain]
        if uncertain:
            counted = "counted" if policy.uncertain == "keep" else "not counted (--policy uncertain-keep counts it)"
            problems.append(Problem("uncertain-au", f"{', '.join(uncertain)} marked uncertain: {counted}",
                                    row["row"], key, str(rows.path)))
        records.append(row)
        present.append(present_aus(tokens, policy))
    table = pd.DataFrame(records, columns=list(rows.rows[0].keys()) if rows.rows else None)
    if table.empty:
        raise MeauError(f"{rows.path}: no usable rows")
    for column in ("onset", "apex", "offset"):
        table[column] = table[column].astype("Int64")
    # a long recording's intervals are spotting truth with or without AUs
    selected = _selected_aus([aus_present for aus_present in present if aus_present is not None], aus, min_count,
                             rows.path, required=require_aus and not reader.long_video)
    unknown = any(aus_present is None for aus_present in present)
    for number in selected:
        values = [None if aus_present is None else int(number in aus_present) for aus_present in present]
        table[au_column(number)] = pd.array(values, dtype="Int64") if unknown else values
    if reader.long_video:
        table.insert(table.columns.get_loc("clip") + 1, "video", [reader.video_name(row) for row in records])
        table.insert(table.columns.get_loc("offset") + 1, "type", table.pop("expression")
                     if "expression" in table else "micro")
    source = {"path": str(rows.path), "name": rows.path.name, "sha256": rows.sha256, "database": database,
              "sheet": rows.sheet_name, "fix_table": FIX_TABLE_VERSION if fixes else None}
    return Labels(table, [au_column(n) for n in selected], problems, [source], policy, fixes_applied)


def _selected_aus(present: list[set], aus, min_count: int, path, required: bool = True) -> list[int]:
    """The AU numbers to keep: those with at least ``min_count`` positives (``aus='auto'``), or the
    named ones, each of which must be coded somewhere in the sheet (none may be found when not ``required``)."""
    wanted = parse_aus_option(aus)
    counts: dict[int, int] = {}
    for aus_present in present:
        for number in aus_present:
            counts[number] = counts.get(number, 0) + 1
    if wanted is None:
        selected = sorted(number for number, count in counts.items() if count >= min_count)
        if not selected and required:
            raise SettingError("min_count", min_count, "no AU has that many positives; lower {min_count}",
                               where=str(path))
        return selected
    unknown = [number for number in wanted if number not in counts]
    if unknown:
        raise MeauError(f"{path}: AU{', AU'.join(map(str, unknown))} never coded in the sheet "
                        f"(coded: {', '.join(f'AU{n}' for n in sorted(counts))})")
    return wanted


def _read_named_sheet(path, database: str, **options):
    """:func:`read_sheet`, where a sheet of another database (it fails, or its clip cells are another's) is an
    error naming that database (:mod:`meau.databases.lookalike`)."""
    from .lookalike import check_content, sheet_hint

    try:
        rows = read_sheet(path, database, **options)
    except SheetError as error:
        raise SheetError(f"{error}{sheet_hint(path, database, str(error))}") from None
    check_content(rows, get(database))
    return rows


def _key(row) -> str:
    return sample_key(row["database"], row["subject"], row["clip"], row["onset"])


LONGEST_SAMPLE_S = 4.0  # a macro-expression lasts at most about 4 s; longer rows are flagged as implausible


def _registered(name):
    try:
        return get(name)
    except ValueError:  # a CSV sheet may name its rows' databases freely
        return None


def _check_frames(row, path) -> list[Problem]:
    onset, apex, offset = row["onset"], row["apex"], row["offset"]
    found = []
    database = _registered(row["database"])
    rate = database.frame_rate if database is not None else None
    if rate and onset is not None and offset is not None and (offset - onset + 1) / rate > LONGEST_SAMPLE_S:
        found.append(Problem("implausible-frames", f"onset {onset} to offset {offset} lasts {(offset - onset + 1) / rate:.1f} s "
                             f"at {rate} fps", row["row"], _key(row), str(path)))
    if database is not None and database.index_base == 1 and 0 in (onset, apex):
        found.append(Problem("implausible-frames", f"frame 0 where JPG indices start at 1 (onset {onset}, apex {apex})",
                             row["row"], _key(row), str(path)))
    if onset is not None and offset is not None and onset > offset:
        found.append(Problem("impossible-frames", f"onset {onset} > offset {offset}", row["row"], _key(row), str(path)))
    if apex is not None:
        if onset is not None and apex < onset:
            found.append(Problem("impossible-frames", f"apex {apex} < onset {onset}", row["row"], _key(row), str(path)))
        if offset is not None and apex > offset:
            found.append(Problem("impossible-frames", f"apex {apex} > offset {offset}", row["row"], _key(row), str(path)))
    return found


def load_dataset(
    root,
    database: str,
    sheet,
    *,
    layout: str | None = None,
    strict: bool = False,
    labels: Labels | None = None,
    frames: str | None = None,
    **annotate_options,
) -> Dataset:
    """Join a coding sheet with the frame folders under ``root``.

    Every row is validated: onset and offset known, onset <= offset, the onset and
    offset frames present (frames dropped inside the range are listed, ``dropped-frames``, and the
    clip kept; for the 'selected' variant the folder holds nothing else), and every frame file
    sound (not empty, not truncated, readable, of the clip's size: :func:`meau.video.check_frames`).
    Rows that fail are reported and dropped, or raise with ``strict=True``. AUs chosen with
    ``aus='auto'`` are counted on the kept samples.

    ``frames`` says where the frames are: a database name (whose named layouts are searched,
    default ``database``; a sheet without layouts needs one) or a frame pattern relative to ``root`` such as
    ``"{subject}/{clip}/img{frame}.jpg"`` (see :class:`meau.databases.layouts.FramePattern`).
    The kept table gains ``frames`` (paths in frame order) and ``frame_numbers``.
    """
    wanted_aus = annotate_options.pop("aus", "auto")
    min_count = annotate_options.pop("min_count", 15)
    require_aus = annotate_options.get("require_aus", True)
    frames = frames or database
    if not is_pattern(frames) and not get(frames).layouts:
        from .database import with_layouts

        raise MeauError(f"a {frames} sheet needs its frames: a pattern such as '{{subject}}/{{clip}}/img{{frame}}.jpg' "
                        f"(frames) or the layout of a database ({', '.join(with_layouts())})")
    pattern = FramePattern(frames) if is_pattern(frames) else None
    if labels is None:
        extra = [field for field in pattern.fields if field not in ROW_FIELDS] if pattern else []
        if extra and get(database).sheet_format.columns:  # a named reader's sheet has only its own fields
            pattern.check_fields(ROW_FIELDS, where=str(sheet))
        labels = annotate(sheet, database, aus="auto", min_count=1, extra_fields=extra, **annotate_options)
    if pattern is not None:
        pattern.check_fields(set(labels.table.columns) - {"row", "au_raw"}, where=str(sheet))
    labels = _without_unknown_aus(labels) if require_aus else labels
    all_au_columns = labels.au_columns
    probe = labels.table.head(5).to_dict("records")  # rows whose folders tell the layout variants apart
    chosen_layout, bases = detect_layout(root, frames, layout, probe=probe)
    table = labels.table
    problems = list(labels.problems)
    frames_column, numbers_column, keep = [], [], []
    for index, row in enumerate(table.itertuples(index=False)):
        found, problem = _row_frames(row, chosen_layout, bases, problems)
        if problem is not None:
            if strict:
                raise FrameError(f"row {row.row} ({problem.key}): {problem.message}")
            problems.append(problem)
            continue
        keep.append(index)
        frames_column.append(found.paths)
        numbers_column.append(found.numbers)
    kept = table.iloc[keep].reset_index(drop=True).copy()
    if kept.empty:
        raise MeauError(f"{root}: no sample of the sheet has its frames under this root ({chosen_layout.name} layout)")
    kept["frames"] = frames_column
    kept["frame_numbers"] = numbers_column
    au_columns = select_au_columns(kept, all_au_columns, wanted_aus, min_count,
                                   where=f"among the {len(kept)} samples found") if require_aus else []
    dropped = [column for column in all_au_columns if column not in au_columns]
    kept = kept.drop(columns=dropped)
    for source in labels.sources:
        source.setdefault("root", str(root))
    return Dataset(kept, au_columns, problems, labels.sources, labels.policy, labels.fixes_applied,
                   layout=chosen_layout.name if pattern is None else f"pattern {pattern.text}", rows_read=len(table))


def _without_unknown_aus(labels: Labels) -> Labels:
    """The rows whose AUs are known (the others listed, ``unknown-aus``): what AU detection can learn from."""
    import dataclasses

    table = labels.table
    unknown = table[labels.au_columns].isna().any(axis=1).to_numpy() if labels.au_columns else []
    if not any(unknown):
        return labels
    problems = list(labels.problems) + [
        Problem("unknown-aus", "the AU cell could not be parsed: no labels to learn from", int(row["row"]),
                _key(row)) for row in table[unknown].to_dict("records")]
    kept = table[~unknown].reset_index(drop=True).copy()
    kept[labels.au_columns] = kept[labels.au_columns].astype(int)
    return dataclasses.replace(labels, table=kept, problems=problems)


def _row_frames(row, layout, bases, problems):
    """(the row's frames, None) or (None, the problem that drops it); problems that keep the row
    (dropped frames, a 'selected' folder holding more frames) are appended to ``problems``."""
    key = sample_key(row.database, row.subject, row.clip, row.onset)
    if _missing(row.onset) or _missing(row.offset):
        return None, Problem("missing-frame-number", "onset or offset unknown", row.row, key)
    if row.onset > row.offset:
        return None, Problem("impossible-frames", f"onset {row.onset} > offset {row.offset}", row.row, key)
    fields = row._asdict()
    try:
        found = resolve_frames(layout, bases, fields, int(row.onset), int(row.offset))
    except PathError as error:  # a cell that would climb out of the root: never followed
        return None, Problem("unsafe-path", str(error), row.row, key)
    except FrameError as error:
        return None, Problem("missing-frames", str(error), row.row, key)
    damaged = check_frames(found.paths)
    if damaged:
        return None, Problem("bad-frame", damaged, row.row, key, damaged.split(": ")[0])
    folder = str(found.paths[0].parent)
    if not layout.whole_clip:
        total = len(list_frames(found.paths[0].parent, layout.pattern.regex(fields)))
        if total != len(found.paths):
            problems.append(Problem("frame-count", f"folder holds {total} frames, sheet range {len(found.paths)}",
                                    row.row, key, folder))
    if found.gaps:
        problems.append(Problem("dropped-frames", describe_gaps(found.gaps), row.row, key, folder))
    return found, None


def select_au_columns(table, candidates, aus, min_count: int, *, where: str) -> list[str]:
    """The AU columns to keep: ``aus='auto'`` those of ``candidates`` with at least ``min_count``
    positives in ``table``, else the named AUs, each of which must have a positive (``where`` says
    among which samples, for the message)."""
    wanted = parse_aus_option(aus)
    if wanted is None:
        au_columns = [column for column in candidates if table[column].sum() >= min_count]
        if not au_columns:
            raise SettingError("min_count", min_count, f"no AU has that many positives {where}; lower {{min_count}}")
        return au_columns
    au_columns = [au_column(number) for number in wanted]
    missing = [column for column in au_columns if column not in table.columns or table[column].sum() == 0]
    if missing:
        raise MeauError(f"{', '.join(missing)} never coded {where}")
    return au_columns


def find_sheet(data_root, database: str, sheet=None, expressions: str | None = None,
               subset: str | None = None) -> Path:
    """``sheet`` if given, else the one coding sheet found in ``data_root`` (for CAS(ME)^3 part A
    with ``expressions`` macro or all: the full part A sheet; for SMIC, whose folders are its labels,
    the ``subset``'s folder)."""
    reader = get(database)
    folder = reader.folder_sheet(data_root, subset)
    if folder is not None:
        return folder
    if sheet is not None:
        return _sheet_path(data_root, sheet)
    expressions = expressions or reader.default_expressions
    globs = reader.full_sheet_globs if expressions != "micro" and reader.full_sheet_globs else reader.sheet_globs
    for pattern in globs:
        found = sorted(p for p in Path(data_root).glob(pattern) if not p.name.startswith(("~$", ".")))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise MeauError(f"{data_root}: several coding sheets ({', '.join(p.name for p in found)}); pass --sheet")
    raise MeauError(f"{data_root}: no coding sheet found; pass --sheet")


def _sheet_path(data_root, sheet) -> Path:
    """A sheet as given: an existing path, else a bare name looked up in the database root."""
    sheet = Path(sheet)
    if sheet.exists() or sheet.is_absolute() or data_root is None:
        return sheet
    beside = Path(data_root) / sheet
    return beside if beside.exists() else sheet


def _missing(value) -> bool:
    import pandas as pd

    return value is None or pd.isna(value)
