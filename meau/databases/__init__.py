"""Databases: one module per database (its sheet, layouts, frame rate, fixes and synth writer),
registered by name, and the shared machinery that turns a coding sheet and a folder tree into
labelled samples with their frame files.

``names()`` lists the registered databases, ``get(name)`` returns one; a new database is one module
defining ``DATABASE = Database(...)`` (or a third-party package's entry point in the group
``meau.databases``). ``DatasetSelection`` names what a command reads; ``load_dataset`` and
``annotate`` read it.
"""

from .database import Database, TemplateNote, default_name, get, names, read_sheet, register
from .dataset import (KEY_COLUMNS, Dataset, Labels, Problem, annotate, find_sheet, load_dataset, parse_aus_option,
                      sample_keys, select_au_columns)
from .selection import DatasetSelection, LabelSettings, load_from_parameters

__all__ = ["Database", "TemplateNote", "names", "get", "register", "default_name", "read_sheet", "Labels", "Dataset", "annotate",
           "load_dataset", "find_sheet", "KEY_COLUMNS", "Problem", "sample_keys", "DatasetSelection", "LabelSettings",
           "load_from_parameters", "parse_aus_option", "select_au_columns"]
