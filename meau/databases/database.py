"""A :class:`Database`: everything meau knows about one database, and the registry of them.

Each database is one module of this package defining ``DATABASE = Database(...)``: its coding sheet
(format, file names), its folder layouts (frame patterns), frame rate and index base, the fixes of
its known sheet errors, its entry in a datasets template and its ``meau synth --like`` writer. The
shared machinery (sheet reading, frame patterns, validation, fixes, synth) reads these fields and
names no database. The registry finds the modules of this package by themselves, and third-party
packages add databases through the entry-point group ``meau.databases``
(``name = "package.module:DATABASE"``), loaded on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

from ..plugins import Registry
from ..errors import MeauError

ENTRY_POINT_GROUP = "meau.databases"


@dataclass(frozen=True)
class TemplateNote:
    """How ``meau template`` presents a database: its label, a root to fill in, where its sheet and frames are."""

    label: str
    root: str
    sheet: str
    frames: str


@dataclass(frozen=True)
class Database:
    """One database. ``layouts`` are :class:`~meau.databases.layouts.Layout` variants (the cropped one
    first, the one ``meau crop`` writes); ``fixes`` and ``swaps`` are its entries of the fix table
    (:mod:`meau.databases.fixes`); ``synth`` writes it for ``meau synth --like``; ``suites`` name the
    templates it belongs to (``cd6me``); ``default`` marks the database commands read unless told."""

    name: str
    title: str
    frame_rate: float | None = None
    sheet_format: object = None  # meau.databases.sheets.SheetFormat
    sheet_globs: tuple = ("*.xlsx", "*.xls", "*.csv")
    full_sheet_globs: tuple = ()  # sheets that also code macro-expressions (--expressions macro|all)
    layouts: tuple = ()
    index_base: int = 0  # 1: frame numbers start at 1, so a frame 0 is reported as implausible
    fixes: tuple = ()
    swaps: tuple = ()
    template: TemplateNote | None = None
    suites: tuple = ()
    suite_order: int = 0
    synth: object = None  # meau.databases.likes.SynthWriter
    default: bool = False
    inferred: str = ""  # what meau infers without having seen a copy (the README's table says so)
    notes: dict = field(default_factory=dict)
    long_video: bool = False  # its samples are intervals of long recordings: meau spot reads it
    default_expressions: str = "micro"  # which expressions commands read unless told (--expressions)
    clip_pattern: str = ""  # a regular expression its clip names match (tells lookalike sheets apart by content)
    keep_unparseable: bool = False  # an AU cell that cannot be parsed keeps its interval, its AUs unknown
    fill_ends: bool = False  # a missing onset or offset is replaced by the apex (reported)
    video: str = "{clip}"  # the name of the recording a row belongs to, from its fields
    codes_aus: bool = True  # False: no AU labels (SMIC), emotion recognition only

    def video_name(self, row) -> str:
        """The recording a sheet row belongs to (unique within the database; a file name part)."""
        return self.video.format(**{key: row[key] for key in ("subject", "clip")})

    def folder_clip(self, name: str) -> str | None:
        """The ``clip`` a recording folder of this name holds (folders named after more than their
        clip, such as CAS(ME)^2's ``15_0101disgustingteeth``, override it); None: not a recording."""
        return name

    def read_sheet(self, path, *, sheet=None, columns=None, extra_fields=(), expressions="micro"):
        """The sheet's rows (:class:`~meau.databases.sheets.SheetRows`), read with this database's format."""
        from ..errors import SettingError
        from .sheets import read_formatted_sheet

        if columns:
            mapping = ", ".join(f"{k}={v}" for k, v in columns.items()).replace("{", "{{").replace("}", "}}")
            raise SettingError("columns", None, f"{{columns}} {mapping} maps the columns of a CSV sheet ({{database}} "
                               f"csv); the {self.name} reader finds its columns by name")
        return read_formatted_sheet(path, self, sheet=sheet, expressions=expressions)

    def join_emotions(self, rows: list, path) -> list:
        """Fill the rows' ``emotion`` from another sheet (``--emotions-sheet``); return the problems. Only a
        reader whose sheet lacks emotions that another sheet holds defines it (SAMM-LV)."""
        raise MeauError(f"--emotions-sheet {path}: {self.title}'s sheet holds its own emotions (or none to join): "
                        "the option is for SAMM Long Videos, whose emotions are in SAMM's short sheet")

    def folder_sheet(self, root, subset: str | None = None):
        """For a database whose labels are its folders (SMIC): the folder that stands for its sheet under
        ``root`` (``subset``: which part); None for a database with a coding sheet."""
        if subset is not None:
            from ..errors import SettingError

            raise SettingError("subset", subset, f"{self.name} has no subsets (SMIC has: hs, vis, nir)")
        return None

    def layout_names(self) -> list[str]:
        return [layout.name for layout in self.layouts]

    def cropped_layout(self):
        """The layout ``meau crop`` writes (the one named ``cropped``), or None."""
        return next((layout for layout in self.layouts if layout.name == "cropped"), None)


def _wrap(name, loaded):
    database = getattr(loaded, "DATABASE", loaded)
    if not isinstance(database, Database):
        raise TypeError(f"{name}: not a meau Database (define DATABASE = meau.databases.Database(...))")
    return database


_REGISTRY = Registry("database", ENTRY_POINT_GROUP, wrap=_wrap)
# the shared machinery of this package: every other module is a database's
MACHINERY = {"classes", "composite", "database", "dataset", "fixes", "layouts", "likes", "recordings", "samples",
             "selection", "sheets", "synth"}
_builtins_loaded = False


def register(database: Database) -> Database:
    """Add a database (a name can be registered once); returns it, so a module can write
    ``DATABASE = register(Database(...))`` or call it on an object built elsewhere."""
    _REGISTRY.register(database.name, database)
    return database


def _load_builtins() -> None:
    """Every module of this package that defines ``DATABASE`` (no list of them to keep in step)."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name in MACHINERY:
            continue
        imported = importlib.import_module(f"{__package__}.{module.name}")
        database = getattr(imported, "DATABASE", None)
        if isinstance(database, Database) and database.name not in _REGISTRY._items:
            register(database)


def names() -> list[str]:
    """Every registered database name (built-in and plug-in), sorted."""
    _load_builtins()
    return _REGISTRY.names()


def get(name: str) -> Database:
    """The registered :class:`Database` called ``name``; a ValueError lists the known ones."""
    _load_builtins()
    return _REGISTRY.get(name)


def default_name() -> str:
    """The database commands read when none is named (the one marked ``default``)."""
    _load_builtins()
    return next(name for name in _REGISTRY.names() if _REGISTRY.get(name).default)


def suite(name: str) -> list[str]:
    """The databases of a template suite (``cd6me``), in the suite's order."""
    members = [get(item) for item in names() if name in get(item).suites]
    return [database.name for database in sorted(members, key=lambda database: database.suite_order)]


def with_synth(kind: str | None = None) -> list[str]:
    """The databases ``meau synth --like`` can write (``kind``: ``clips`` or ``long`` recordings only)."""
    from .likes import LongWriter

    found = [name for name in names() if get(name).synth is not None]
    if kind is None:
        return found
    return [name for name in found if isinstance(get(name).synth, LongWriter) == (kind == "long")]


def with_layouts() -> list[str]:
    """The databases whose named layouts a frame pattern can borrow (``--frames NAME``)."""
    return [name for name in names() if get(name).layouts]


def read_sheet(path, database: str, *, sheet: str | None = None, columns: dict[str, str] | None = None,
               extra_fields=(), expressions: str = "micro"):
    """Read a coding sheet as distributed, with the reader of the registered ``database``.

    Parameters
    ----------
    path : path-like
        The sheet (.xlsx, .xls or .csv) as the database distributes it, or any CSV file for the CSV reader.
    database : str
        A registered database name (:func:`meau.databases.names`).
    sheet : str, optional
        Worksheet name (default: the format's, else the first sheet).
    columns : dict, optional
        For the CSV reader: our field (``subject, clip, onset, apex, offset, au_raw, emotion``, and
        ``database`` to take the database name from a column) -> the file's column name.
    extra_fields : list of str
        For the CSV reader: further columns kept as text under their names (or ``columns``' names for
        them), such as the fields of a frame pattern; a missing one is an error naming it.
    expressions : {'micro', 'macro', 'all'}
        Sheets with an expression type column (CAS(ME)^3 part A's full sheet, long-video sheets):
        which rows to keep.

    Returns
    -------
    meau.databases.sheets.SheetRows
        Rows with ``onset``/``apex``/``offset`` as int or None; problems for every cell that
        could not be read (the row is kept, marked, and dropped later by validation).
    """
    from ..errors import SheetError
    from .sheets import EXPRESSIONS

    if expressions not in EXPRESSIONS:
        raise SheetError(f"expressions must be one of {', '.join(EXPRESSIONS)}, not {expressions!r}")
    try:
        reader = get(database)
    except ValueError:
        raise SheetError(f"unknown database {database!r}; choose from {', '.join(names())}") from None
    return reader.read_sheet(Path(path), sheet=sheet, columns=columns, extra_fields=extra_fields,
                             expressions=expressions)
