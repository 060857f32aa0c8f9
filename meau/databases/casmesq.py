"""CAS(ME)^2 (Qu et al., IEEE TAC 2018): about 97 long recordings of 22 participants at 30 fps, 640 x 480,
with 300 macro- and 57 micro-expressions coded (357 intervals), for spotting.

Workbook ``CAS(ME)^2code_final.xlsx``: worksheet ``CASFEcode_final`` without a header: participant number,
expression name (``anger1_1``: the recording's stem ``anger1`` and a running index), onset, apex, offset,
AUs, class (negative / positive / surprise / others: read as ``emotion``, as the MEGC STR code names it),
type (``macro-expression`` / ``micro-expression``), the participant's self-report (``self_report``). Worksheet ``naming
rule1`` maps the participant number to the folder ``s15``, ``naming rule2`` the stem ``anger1`` to the
video code ``0401``; the stem ``disgust1`` is missing from it in the distributed copies and is ``0101``
(its folders are ``*_0101disgustingteeth``). CSV exports add a duration and the recording's folder as the
11th column; the real export puts the duration after the emotion, another after the offset: the columns
after the offset are told apart by their content (the type words, the class words, a duration equal to
offset - onset + 1, a folder, AU strings), never by one assumed order. An offset or apex of ``0`` is not coded (44
offsets): the apex replaces a missing offset (the MEGC organisers' rule), reported. AU cells mix ``+``
and ``,`` (``4,24,6+12+15``), alternatives ``14or23`` and ``NULL``.

Frames: ``rawpic/s15/15_0401girlcrashing/img1.jpg``: the recording ``15_0401`` is the folder named after
the participant and the video code, with a description after it. Inferred (no copy seen): the column
order of the naming rules.
"""

import re
from pathlib import Path

from ..errors import SheetError
from .classes import megc_class
from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import LongWriter
from .sheets import SheetFormat, SheetRows, _read_table, _text, file_sha256, rows_from_table

NAME = "casmesq"
FRAME_RATE = 30
CODES_MISSING_FROM_NAMING_RULE2 = {"disgust1": "0101"}
# the 7th column (negative / positive / surprise / others) is the emotion every STR paper and the MEGC STR code
# use (they call it ``emotion``); the 9th, the participant's self-report (disgust, happiness …), is kept as
# ``self_report`` (``--target self-report``)
COLUMNS = ("participant", "name", "onset", "apex", "offset", "au_raw", "emotion", "expression", "self_report")


class CasmesqDatabase(Database):
    """CAS(ME)^2's workbook (three worksheets, no header) or its CSV export (11 columns)."""

    def read_sheet(self, path, *, sheet=None, columns=None, extra_fields=(), expressions="all"):
        path = Path(path)
        if columns:
            return super().read_sheet(path, columns=columns)  # refused there with the option named
        if path.suffix.lower() == ".csv":
            table, _ = _read_table(path)
            mapping, folder_column = _csv_columns(table, path)
            folders = {index: _text(row[folder_column]) for index, row in enumerate(table)
                       if folder_column is not None and len(row) > folder_column}
            subjects, codes = {}, {}
        else:
            table, _ = _read_table(path, sheet or "CASFEcode_final")
            subjects, codes = _naming_rules(path)
            folders = {}
            mapping = {name: index for index, name in enumerate(COLUMNS)}
        first = 1 if table and _text(table[0][0]).lower().startswith(("participant", "subject", "sub")) else 0
        # the rows' subject and clip come from the naming rules (or the export's folder column)
        named = []
        for index, row in enumerate(table):
            row = list(row) + [None] * (11 - len(row))
            if index < first or not any(_text(cell) for cell in row):
                named.append(row)
                continue
            number, stem = _text(row[0]), _text(row[1]).rsplit("_", 1)[0]
            if index in folders:
                folder = Path(folders[index]).name
                subject, code = re.match(r"^(\d+)_(\d{4})", folder).groups() if re.match(r"^\d+_\d{4}", folder) \
                    else (number, stem)
            else:
                subject = subjects.get(_number(number))
                code = codes.get(stem) or CODES_MISSING_FROM_NAMING_RULE2.get(stem)
                if subject is None or code is None:
                    raise SheetError(f"{path} row {index + 1}: participant {number!r} or video {stem!r} is not in the "
                                     f"worksheets 'naming rule1' and 'naming rule2'")
            row[0], row[1] = subject, f"{subject}_{code}"
            named.append(row)
        fields = {"subject": mapping["participant"], "clip": mapping["name"], "onset": mapping["onset"],
                  "apex": mapping["apex"], "offset": mapping["offset"], "au_raw": mapping["au_raw"],
                  "expression": mapping["expression"], "emotion": mapping["emotion"]}
        if mapping.get("self_report") is not None:
            fields["self_report"] = mapping["self_report"]
        result = SheetRows([], path, file_sha256(path), sheet_name=None if path.suffix.lower() == ".csv"
                           else (sheet or "CASFEcode_final"))
        rows_from_table(self, named, fields, first, path, expressions, result)
        return result

    def folder_clip(self, name):
        match = re.match(r"^(\d+_\d{4})", name)
        return match.group(1) if match else None


_TYPE = re.compile(r"expression", re.IGNORECASE)
_CLASSES = {"negative", "positive", "surprise", "others", "other"}
_FOLDER = re.compile(r"(^\d+_\d{4})|[/\\]")
_AU_CELL = re.compile(r"^(null|[\s\d+,;orLRABCDElrabcde()?]*)$", re.IGNORECASE)


def _csv_columns(table, path) -> tuple[dict, int | None]:
    """The columns of a CSV export, told apart by their content, not by one assumed order: after participant,
    name, onset, apex and offset (fixed), the type column holds ``…-expression``, the class column
    negative/positive/surprise/others, a duration column equals offset - onset + 1 (or offset - onset) where
    both are coded, a folder column holds the recording's folder (``15_0401…`` or a path), the AU column AU
    strings, and the self-report column is the text column left. Exports differ: the real one puts the duration
    after the emotion, a common one after the offset; both, and none, are read."""
    rows = [[_text(cell) for cell in row] for row in table if any(_text(cell) for cell in row)]
    rows = [row for row in rows if _number_or_none(row[2] if len(row) > 2 else "") is not None]  # data rows only
    width = max((len(row) for row in rows), default=0)
    if width < 9:
        raise SheetError(f"{path}: a CAS(ME)^2 export has at least 9 columns (participant, name, onset, apex, offset, "
                         f"AUs, class, type, emotion); found {width}")

    def share(column, test) -> float:
        cells = [row[column] for row in rows if len(row) > column and row[column]]
        return sum(map(test, cells)) / len(cells) if cells else 0.0

    def is_duration(column) -> float:
        checked = [(row[column], _number_or_none(row[2]), _number_or_none(row[4])) for row in rows
                   if len(row) > column and _number_or_none(row[4])]
        hits = [_number_or_none(cell) in (offset - onset + 1, offset - onset) for cell, onset, offset in checked]
        return sum(hits) / len(hits) if hits else 0.0

    candidates = list(range(5, width))
    found = {}
    for role, test in (("expression", lambda c: share(c, lambda v: bool(_TYPE.search(v)))),
                       ("objective", lambda c: share(c, lambda v: v.strip().lower() in _CLASSES)),
                       ("duration", is_duration),
                       ("folder", lambda c: share(c, lambda v: bool(_FOLDER.search(v))))):
        best = max(candidates, key=test, default=None)
        if best is not None and test(best) >= 0.8:
            found[role] = best
            candidates.remove(best)
    aus = [c for c in candidates if share(c, lambda v: bool(_AU_CELL.match(v)) and any(ch.isdigit() for ch in v)) >= 0.5]
    if "expression" not in found or not aus:
        raise SheetError(f"{path}: cannot tell the AU and type columns of this CAS(ME)^2 export apart by their content")
    found["au_raw"] = aus[0]
    candidates.remove(aus[0])
    report = [c for c in candidates if share(c, lambda v: v.isalpha()) >= 0.8]
    mapping = {"participant": 0, "name": 1, "onset": 2, "apex": 3, "offset": 4, "au_raw": found["au_raw"],
               "expression": found["expression"], "emotion": found.get("objective", 6),
               "self_report": report[0] if report else None}
    return mapping, found.get("folder")


def _number_or_none(text):
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return None


def _number(text) -> str:
    try:
        return str(int(float(text)))
    except ValueError:
        return str(text)


def _naming_rules(path) -> tuple[dict, dict]:
    """({participant number: subject '15'}, {stem 'anger1': code '0401'}) from the two naming worksheets."""
    rule1, _ = _read_table(path, "naming rule1")
    rule2, _ = _read_table(path, "naming rule2")
    subjects = {}
    for row in rule1:
        cells = [_text(cell) for cell in row]
        folder = next((cell for cell in cells if re.fullmatch(r"s\d+", cell)), None)
        numbers = [cell for cell in cells if re.fullmatch(r"\d+(\.0)?", cell)]
        if folder and numbers:
            subjects[_number(numbers[-1])] = folder[1:]
    codes = {}
    for row in rule2:
        cells = [_text(cell) for cell in row]
        if len(cells) >= 2 and re.fullmatch(r"\d+(\.0)?", cells[0]):
            codes[cells[1]] = f"{int(float(cells[0])):04d}"
    return subjects, codes


STEMS = [("disgust1", 101, "disgustingteeth"), ("disgust2", 102, "makinghairs"), ("anger1", 401, "girlcrashing"),
         ("anger2", 402, "awkwardfollowing"), ("happy1", 502, "funnyerrors"), ("happy2", 503, "laughingbaby")]


class Writer(LongWriter):
    """The three worksheets without headers (``disgust1`` missing from ``naming rule2``), offsets of 0,
    AU cells mixing ``+`` and ``,``, a ``NULL`` cell; folders named with a description."""

    sheet_name = "CAS(ME)^2code_final.xlsx"
    frame_rate = FRAME_RATE

    def name_recording(self, recording, subject_index, video_index):
        stem, code, description = STEMS[video_index % len(STEMS)]
        subject = f"{subject_index + 15}"
        recording.update(sheet_subject=subject_index + 1, subject=subject, clip=f"{subject}_{code:04d}", stem=stem,
                         folder=f"s{subject}/{subject}_{code:04d}{description}")

    def frame_path(self, recording, number):
        return f"rawpic/{recording['folder']}/img{number}.jpg"

    def write_rows(self, workbook, sheet, intervals):
        sheet.title = "CASFEcode_final"
        for index, interval in enumerate(intervals):
            tokens = [str(au) for au in interval["aus"]]
            cell = ",".join(tokens[:1]) + ("+" + "+".join(tokens[1:]) if tokens[1:] else "")
            if index == 5:
                cell = "NULL"
            offset = 0 if index % 9 == 4 else interval["offset"]  # not coded: the apex replaces it
            sheet.append([interval["sheet_subject"], f"{interval['stem']}_{interval['number']}", interval["onset"],
                          interval["apex"], offset, cell, megc_class(interval["emotion"]),
                          f"{interval['type']}-expression", interval["emotion"]])
        subjects = sorted({(i["sheet_subject"], i["subject"]) for i in intervals})
        rule1 = workbook.create_sheet("naming rule1")
        for number, subject in subjects:
            rule1.append([subject, f"s{subject}", number])
        rule2 = workbook.create_sheet("naming rule2")
        for stem, code, _ in STEMS:
            if stem not in CODES_MISSING_FROM_NAMING_RULE2:
                rule2.append([code, stem])


DATABASE = CasmesqDatabase(
    name=NAME,
    title="CAS(ME)^2",
    frame_rate=FRAME_RATE,
    sheet_format=SheetFormat(
        database=NAME,
        subject_width=2,
        columns={"subject": ("participant",), "clip": ("name",), "onset": ("onset",), "apex": ("apex",),
                 "offset": ("offset",), "au_raw": ("au",), "expression": ("type",), "emotion": ("emotion",)},
        optional=("emotion",),
        missing_marks=("0",),
    ),
    sheet_globs=("CAS(ME)^2code_final*.xlsx", "CAS(ME)^2*.xlsx", "*code_final*.csv", "*.xlsx"),
    layouts=(
        named_layout(NAME, "cropped", ("Cropped",), "s{subject}/{clip}/reg_img{frame}.jpg"),
        named_layout(NAME, "raw", ("rawpic", "."), "s{subject}/{clip}/img{frame}.jpg", prefix=True),
        named_layout(NAME, "raw-underscore", ("rawpic", "."), "s{subject}/{clip}/img_{frame}.jpg", prefix=True),
    ),
    template=TemplateNote("CAS(ME)^2", "/path/to/CASME_sq", "CAS(ME)^2code_final.xlsx", "rawpic/s<NN>/<NN>_<code>…/"),
    synth=Writer(),
    inferred="the naming rules' column order, the CSV export's columns, frames named img<N> or img_<N>",
    long_video=True,
    default_expressions="all",
    keep_unparseable=True,
    fill_ends=True,
)
