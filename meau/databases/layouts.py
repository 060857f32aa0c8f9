"""Where each database keeps its frames, and how a sheet row finds its frame files.

Every layout is a frame *pattern* relative to a base folder, such as
``"sub{subject}/{clip}/reg_img{frame}.jpg"``: ``{frame}`` is the frame number, every other field names
a sheet field (``subject``, ``clip``, ``emotion``, …, or a column of a CSV sheet), and Python format
specs pad numbers (``{frame:03d}``, ``{subject:d}``). The named layouts of the distributed databases
(each database module's ``layouts``) are such patterns under their usual folder names; a user gives
any other one.

Frame numbers are read back from the file names by the same pattern, so frames sort by number,
never as text (``img100`` comes after ``img46``), and ``onset..offset`` is selected by number, not
by position. Files that do not match the pattern (a stray ``Desktop - Shortcut.lnk``) are ignored.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrameError, MeauError, PathError

IMAGE_SUFFIX = r"\.(?:jpe?g|png|bmp)"
ROW_FIELDS = ("database", "subject", "clip", "onset", "apex", "offset", "emotion")


@dataclass(frozen=True)
class FramePattern:
    """A frame file pattern: ``{frame}`` in the file name, sheet fields anywhere.

    ``any_image_suffix`` lets a named layout's ``.jpg`` also match ``.jpeg``, ``.png`` and ``.bmp``
    (the distributed copies differ); a user's pattern matches its own suffix (any case).
    """

    text: str
    any_image_suffix: bool = False

    def __post_init__(self):
        from ..outputs import safe_relative

        safe_relative(self.text, "frame pattern")
        if "{frame" not in self.text:
            raise MeauError(f"frame pattern {self.text!r} has no {{frame}} field (the frame number)")
        folder, _, name = self.text.rpartition("/")
        if "{frame" in folder:
            raise MeauError(f"frame pattern {self.text!r}: {{frame}} must be in the file name, not in a folder")
        try:
            parsed = list(string.Formatter().parse(self.text))
        except ValueError as error:
            raise MeauError(f"frame pattern {self.text!r}: {error}") from None
        frames = [field for _, field, _, _ in parsed if field == "frame"]
        if len(frames) != 1:
            raise MeauError(f"frame pattern {self.text!r} must hold {{frame}} exactly once")
        for _, field, spec, conversion in parsed:
            if field is None:
                continue
            if not field.isidentifier():
                raise MeauError(f"frame pattern {self.text!r}: field {{{field}}} is not a name")
            if conversion:
                raise MeauError(f"frame pattern {self.text!r}: {{{field}!{conversion}}}: no conversions, only "
                                "format specs such as {frame:03d}")
            if spec and not _spec_works(spec, field == "frame"):
                raise MeauError(f"frame pattern {self.text!r}: {{{field}:{spec}}} is not a format spec for "
                                f"{'a frame number' if field == 'frame' else 'a sheet field'} (such as :03d)")

    @property
    def fields(self) -> list[str]:
        """The sheet fields the pattern names (``frame`` excluded), in order."""
        return list(dict.fromkeys(field for _, field, _, _ in string.Formatter().parse(self.text)
                                  if field not in (None, "frame")))

    def check_fields(self, available, where: str = "") -> None:
        """A field that is no sheet field is an error naming it."""
        missing = [field for field in self.fields if field not in available]
        if missing:
            raise MeauError(f"{where}{': ' if where else ''}frame pattern {self.text!r} names {{{missing[0]}}}, "
                            f"which is no sheet column (known: {', '.join(sorted(available))})")

    def folder(self, row) -> str:
        """The pattern's folder part, filled from ``row`` (a mapping of sheet fields)."""
        folder, _, _ = self.text.rpartition("/")
        return "".join(_fill(literal, field, spec, row) for literal, field, spec, _ in string.Formatter().parse(folder))

    def regex(self, row) -> re.Pattern:
        """The file-name regex of one sample: ``{frame}`` becomes the group ``n``."""
        _, _, name = self.text.rpartition("/")
        parts = []
        parsed = list(string.Formatter().parse(name))
        for index, (literal, field, spec, _) in enumerate(parsed):
            last = index == len(parsed) - 1 and field is None
            if last and self.any_image_suffix and re.search(r"\.(?:jpe?g|png|bmp)$", literal, re.IGNORECASE):
                parts.append(re.escape(literal[: literal.rfind(".")]) + IMAGE_SUFFIX)
            else:
                parts.append(re.escape(literal))
            if field == "frame":
                parts.append(r"(?P<n>\d+)")
            elif field is not None:
                parts.append(re.escape(_fill("", field, spec, row)))
        return re.compile("".join(parts) + "$", re.IGNORECASE)

    def path(self, row, frame: int) -> str:
        """The relative path of one frame file (as written by ``meau crop``)."""
        folder, _, name = self.text.rpartition("/")
        filled = "".join(_fill(literal, field, spec, row) if field != "frame" else literal + format(frame, spec or "d")
                         for literal, field, spec, _ in string.Formatter().parse(name))
        return f"{self.folder(row)}/{filled}" if folder else filled


def _spec_works(spec: str, number_only: bool) -> bool:
    """Whether a format spec formats a frame number (``number_only``) or a sheet field (text or number)."""
    samples = (0,) if number_only else ("a", 1)
    for sample in samples:
        try:
            format(sample, spec)
            return True
        except (ValueError, TypeError):
            continue
    return False


def _fill(literal: str, field, spec, row) -> str:
    from ..outputs import safe_name

    if field is None:
        return literal
    value = row[field] if isinstance(row, dict) else getattr(row, field)
    if spec and spec[-1] in "dxXob":
        try:
            value = int(str(value))
        except ValueError:
            raise FrameError(f"field {{{field}}} is {value!r}, not a number for the format {{{field}:{spec}}}") from None
    elif value is None:
        value = ""
    try:
        text = format(value, spec or "")
    except (ValueError, TypeError) as error:
        raise FrameError(f"field {{{field}}} = {value!r} does not take the format {{{field}:{spec}}} ({error})") from None
    try:  # sheet cells are data from outside: one folder or file name part, never a path that climbs
        safe_name(text, f"field {{{field}}}")
    except MeauError as error:
        raise PathError(str(error)) from None
    return literal + text


@dataclass(frozen=True)
class Layout:
    """One variant of a database's folder tree: a frame pattern under one of the candidate ``folders``.

    ``folders`` are sub-paths of the database root holding the pattern's tree (``"."`` is the root).
    ``whole_clip``: the folder holds frames outside onset..offset too (False: exactly the clip).
    ``prefix``: a clip's folder may carry more after its name (CAS(ME)^2's ``15_0101disgustingteeth`` for
    the recording ``15_0101``): the one folder whose name starts with it.
    """

    database: str
    name: str
    folders: tuple[str, ...]
    pattern: FramePattern
    whole_clip: bool = True
    prefix: bool = False


def named_layout(database: str, name: str, folders, pattern: str, whole_clip: bool = True,
                 prefix: bool = False) -> Layout:
    """A distributed database's layout: ``pattern`` under one of ``folders`` (``"."`` is the root);
    its ``.jpg`` also matches ``.jpeg``, ``.png`` and ``.bmp``, as the distributed copies differ."""
    return Layout(database, name, tuple(folders), FramePattern(pattern, any_image_suffix=True), whole_clip, prefix)


def database_layouts(database: str) -> tuple:
    """The named layouts of a registered database (empty for one without, such as ``csv``)."""
    from .database import get

    try:
        return tuple(get(database).layouts)
    except ValueError:
        return ()


def layout_names(database: str) -> list[str]:
    return [layout.name for layout in database_layouts(database)]


def is_pattern(frames: str | None) -> bool:
    """Whether a ``frames`` setting is a pattern (it holds a field) rather than a layout's database name."""
    return frames is not None and "{" in frames


def pattern_layout(root, pattern: str) -> tuple[Layout, list[Path]]:
    """A user's frame pattern, relative to ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise FrameError(f"{root}: database root is not a folder")
    return Layout("", "pattern", (".",), FramePattern(pattern)), [root]


def detect_layout(root, database: str, name: str | None = None, probe=()) -> tuple[Layout, list[Path]]:
    """Choose the layout variant under ``root`` and the existing base folders for it.

    ``root`` may be the database root or one of the variant folders itself. With ``name`` the
    variant is chosen by the user (``raw`` also tries ``raw-…`` variants); otherwise the first
    variant found wins (cropped before raw). With ``probe`` (a few sheet rows), a variant whose
    folder exists for one of them is preferred. ``database`` may also be a frame pattern (see
    :class:`FramePattern`), relative to ``root``.
    """
    if is_pattern(database):
        return pattern_layout(root, database)
    root = Path(root)
    if not root.is_dir():
        raise FrameError(f"{root}: database root is not a folder")
    layouts = database_layouts(database)
    if not layouts:
        raise FrameError(f"no folder layout known for database {database!r}")
    candidates = [layout for layout in layouts
                  if name in (None, "auto", layout.name) or layout.name.startswith(f"{name}-")]
    if not candidates:
        raise FrameError(f"unknown layout {name!r} for {database}; choose from {', '.join(layout_names(database))}")
    for layout in candidates:  # a variant that finds a sheet row's folder first
        bases = list(dict.fromkeys((root / folder).resolve() for folder in layout.folders if (root / folder).is_dir()))
        if bases and any(_probe(layout, bases, row) for row in probe):
            return layout, bases
    for layout in candidates:
        bases = [root / folder for folder in layout.folders if (root / folder).is_dir()]
        bases = [base for base in dict.fromkeys(base.resolve() for base in bases)]
        if bases and any(_has_subjects(base, layout) for base in bases):
            return layout, bases
    # The root may itself be the variant folder (e.g. the user points at .../Cropped).
    if _has_subjects(root, candidates[0]):
        return candidates[0], [root]
    tried = ", ".join(f"{layout.name} ({'|'.join(layout.folders)})" for layout in candidates)
    raise FrameError(f"{root}: no {database} frame folders found; looked for {tried}")


def holds_frames(root, database: str) -> bool:
    """Whether ``root`` holds frames of ``database`` in one of its layouts: a database root (a lab's recordings,
    where no output of meau belongs)."""
    return frames_fit(root, database) > 0


def frames_fit(root, database: str) -> int:
    """How specifically ``root`` holds frames of ``database``: 0 when none of its layouts finds a frame in the
    first few clip folders it describes, else the most specific matching layout's count of literal characters
    (its folder names and the fixed parts of its pattern): ``Cropped/sub01/EP01_01/reg_img46.jpg`` fits CASME II's
    layout better than the generic ``{subject}/{clip}/reg_{frame}.jpg``."""
    root = Path(root)
    best = 0
    for layout in database_layouts(database):
        bases = [root / folder for folder in layout.folders if (root / folder).is_dir()]
        try:
            found = clip_folders(layout, bases) if bases else []
        except (FrameError, OSError):
            continue
        for fields, folder in found[:5]:
            try:
                try:
                    match = layout.pattern.regex(fields).match
                except KeyError:  # the file name holds a field its folders do not give (SMIC's {stem})
                    match = re.compile(IMAGE_SUFFIX + "$", re.IGNORECASE).search
                if any(entry.is_file() and match(entry.name) for entry in os.scandir(folder)):
                    base = next(base for base in bases if base == folder or base in folder.parents)
                    named = len(str(base.relative_to(root))) if base != root else 0
                    literal = sum(len(text) for text, _, _, _ in string.Formatter().parse(layout.pattern.text))
                    best = max(best, 1 + named + literal)
                    break
            except (OSError, KeyError, ValueError, StopIteration):
                continue
    return best


def _probe(layout: Layout, bases, row) -> bool:
    try:
        return clip_folder(layout, bases, row) is not None
    except (FrameError, KeyError, AttributeError):
        return False


def _has_subjects(base: Path, layout: Layout) -> bool:
    prefix = layout.pattern.text.split("{")[0]
    try:
        return any(entry.is_dir() and entry.name.startswith(prefix) for entry in os.scandir(base))
    except OSError:
        return False


def clip_folders(layout: Layout, bases: list[Path]) -> list[tuple[dict, Path]]:
    """Every folder under ``bases`` that the layout's folder pattern describes, with the fields its path
    gives (``{"subject": "15", "clip": "15_0101disgustingteeth"}``): the recordings of a long-video
    database, coded or not. Fields are read as the text of their path part (format specs ignored)."""
    folder, _, _ = layout.pattern.text.rpartition("/")
    parts = [part for part in folder.split("/") if part]
    regexes, named = [], set()
    for part in parts:
        pieces = []
        for literal, field, _, _ in string.Formatter().parse(part):
            pieces.append(re.escape(literal))
            if field is not None:  # a field named twice is read once
                pieces.append("[^/]+?" if field in named else f"(?P<{field}>[^/]+?)")
                named.add(field)
        regexes.append(re.compile("".join(pieces) + "$"))
    found = []
    for base in bases:
        level = [(Path(base), {})]
        for regex in regexes:
            deeper = []
            for path, fields in level:
                try:
                    entries = sorted(os.scandir(path), key=lambda entry: entry.name)
                except OSError:
                    continue
                for entry in entries:
                    match = regex.match(entry.name)
                    if match and entry.is_dir():
                        deeper.append((Path(entry.path), {**fields, **{k: v for k, v in match.groupdict().items()}}))
            level = deeper
        found.extend((fields, path) for path, fields in level)
    return found


def list_frames(folder: Path, regex: re.Pattern) -> dict[int, Path]:
    """Frame number -> path for the files of ``folder`` that match ``regex`` (others are ignored)."""
    frames = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            match = regex.match(entry.name)
            if match and entry.is_file():
                frames[int(match["n"])] = Path(entry.path)
    return dict(sorted(frames.items()))


def clip_folder(layout: Layout, bases: list[Path], row) -> Path | None:
    """The sample's frame folder: exact names first, then matching each folder name regardless of case
    (MMEW's emotion folders and the sheet's emotions differ in case across copies)."""
    relative = layout.pattern.folder(row)
    for base in bases:
        folder = base / relative
        if folder.is_dir():
            return folder
    for base in bases:
        folder = _case_insensitive(base, relative)
        if folder is not None:
            return folder
    if layout.prefix:  # the folder's name starts with the clip's: 15_0101 -> 15_0101disgustingteeth
        for base in bases:
            parent = _case_insensitive(base, str(Path(relative).parent)) if Path(relative).parent != Path(".") else base
            if parent is None:
                continue
            name = Path(relative).name.lower()
            try:
                matches = [entry for entry in os.scandir(parent) if entry.is_dir() and entry.name.lower().startswith(name)]
            except OSError:
                continue
            if len(matches) == 1:
                return Path(matches[0].path)
    return None


def _case_insensitive(base: Path, relative: str) -> Path | None:
    current = base
    for part in Path(relative).parts:
        candidate = current / part
        if not candidate.is_dir():
            try:
                matches = [entry for entry in os.scandir(current) if entry.is_dir() and entry.name.lower() == part.lower()]
            except OSError:
                return None
            if not matches:
                return None
            candidate = Path(matches[0].path)
        current = candidate
    return current


@dataclass
class ClipFrames:
    """The frame files of one sample: ``paths`` in frame order, their ``numbers``, and the ``gaps``
    (frame numbers inside onset..offset with no file; TIM interpolates over the frames that exist)."""

    paths: list[Path]
    numbers: list[int]
    gaps: list[int]


def resolve_frames(layout: Layout, bases: list[Path], row, onset: int, offset: int) -> ClipFrames:
    """The frame files ``onset..offset`` (inclusive, selected by number) of one sample.

    ``row`` maps the sheet fields the layout's pattern names (a dict or a named tuple). Frames
    missing inside the range are dropped frames (listed in ``gaps``); the clip is kept.

    Raises
    ------
    FrameError
        The folder is missing, no file matches, or the onset or offset frame is missing; the
        message names the first path tried.
    """
    folder = clip_folder(layout, bases, row)
    if folder is None:
        expected = bases[0] / layout.pattern.path(row, onset)
        raise FrameError(f"{expected.parent}: frame folder missing")
    frames = list_frames(folder, layout.pattern.regex(row))
    if not frames:
        raise FrameError(f"{bases[0] / layout.pattern.path(row, onset)}: no frame file matches {layout.pattern.text!r}")
    ends = [number for number in (onset, offset) if number not in frames]
    if ends:
        raise FrameError(f"{folder}: {' and '.join(('onset', 'offset')[i] for i, n in enumerate((onset, offset)) if n in ends)}"
                         f" frame(s) {', '.join(map(str, dict.fromkeys(ends)))} of {onset}..{offset} missing")
    numbers = [number for number in frames if onset <= number <= offset]
    gaps = sorted(set(range(onset, offset + 1)) - set(numbers))
    return ClipFrames([frames[number] for number in numbers], numbers, gaps)


def describe_gaps(gaps: list[int]) -> str:
    """``[5, 6, 7, 12]`` -> ``'4 dropped frame(s): 5-7, 12'``."""
    runs, start = [], None
    for index, number in enumerate(gaps):
        if start is None:
            start = number
        if index == len(gaps) - 1 or gaps[index + 1] != number + 1:
            runs.append(str(start) if start == number else f"{start}-{number}")
            start = None
    shown = ", ".join(runs[:6]) + (" …" if len(runs) > 6 else "")
    return f"{len(gaps)} dropped frame(s): {shown}"
