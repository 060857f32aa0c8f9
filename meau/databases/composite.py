"""Several databases in one run: a TOML file with one ``[[database]]`` table per database.

::

    [[database]]
    name = "…"                      # the reader: a registered database (meau.databases.names()), or csv
    root = "/data/CASME2"           # relative paths are relative to this file's folder
    sheet = "CASME2-coding-20140508.xlsx"   # optional: found in root otherwise
    layout = "cropped"              # optional
    label = "CASME II"              # optional, unique: the database's name in keys and tables

    [[database]]
    name = "…"                      # a database without layouts (the CSV reader), frames by a pattern
    root = "/data/MyLab"
    sheet = "samples.csv"
    frames = "{subject}/{clip}/img{frame}.jpg"   # a frame pattern under root, or the name of a
                                    # database whose named layouts to search
    columns = { subject = "Subject", clip = "Filename", onset = "OnsetFrame", offset = "OffsetFrame",
                apex = "ApexFrame", au_raw = "Action Units" }

Subjects and sample keys are qualified by the label (``database`` column), the AU columns are the
union over the databases (an AU a database never codes is 0 there), and ``aus``/``min_count``
apply to the union.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MeauError
from .database import get, names, suite, with_layouts
from .layouts import FramePattern, is_pattern

KEYS = {"name", "root", "sheet", "layout", "label", "frames", "columns", "expressions", "subset", "emotions_sheet"}
TOP_LEVEL = ("aus", "target", "classes", "samples")


def read_datasets_file(path) -> list[dict]:
    """The validated ``[[database]]`` entries of a datasets file, paths resolved."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MeauError(f"{path}: no such datasets file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MeauError(f"{path}: not a TOML datasets file ({error})") from None
    entries = document.get("database")
    if not isinstance(entries, list) or not entries:
        raise MeauError(f"{path}: no [[database]] entries")
    unknown_top = sorted(set(document) - {"database", *TOP_LEVEL})
    if unknown_top:
        raise MeauError(f"{path}: unknown top-level key(s) {', '.join(unknown_top)} "
                        f"(known: {', '.join(TOP_LEVEL)}, [[database]])")
    base = path.parent
    seen: dict[str, int] = {}
    result = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path} [[database]] #{number}"
        if not isinstance(entry, dict):
            raise MeauError(f"{where}: not a table")
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise MeauError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
        name = entry.get("name")
        if name not in names():
            raise MeauError(f"{where}: name must be one of {', '.join(names())}, not {name!r}")
        if "root" not in entry:
            raise MeauError(f"{where}: no root")
        label = str(entry.get("label") or name)
        if label in seen:
            raise MeauError(f"{where}: label {label!r} already used by entry #{seen[label]}; give each a unique label")
        seen[label] = number
        root = (base / str(entry["root"])).resolve() if not Path(str(entry["root"])).is_absolute() else Path(entry["root"])
        if not root.is_dir():
            raise MeauError(f"{where} ({label}): root {root} is not a folder")
        sheet = entry.get("sheet")
        if sheet is not None:
            sheet = Path(str(sheet))
            candidates = [sheet] if sheet.is_absolute() else [root / sheet, base / sheet]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise MeauError(f"{where} ({label}): sheet {sheet} not found (looked in {root} and {base})")
            sheet = found
        frames = entry.get("frames", name)
        layouts = with_layouts()
        if frames == name and not get(name).layouts:
            raise MeauError(f"{where} ({label}): a {name} entry needs frames: a pattern such as "
                            f"'{{subject}}/{{clip}}/img{{frame}}.jpg' or a database's layouts ({', '.join(layouts)})")
        if not isinstance(frames, str) or not (is_pattern(frames) or frames in layouts):
            raise MeauError(f"{where} ({label}): frames must be a pattern holding {{frame}} or one of "
                            f"{', '.join(layouts)}, not {frames!r}")
        if is_pattern(frames):
            try:
                FramePattern(frames)
            except MeauError as error:
                raise MeauError(f"{where} ({label}): {error}") from None
        columns = entry.get("columns")
        if columns is not None and not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
            raise MeauError(f"{where} ({label}): columns must map field names to column names")
        expressions = entry.get("expressions")
        if expressions is not None and expressions not in ("micro", "macro", "all"):
            raise MeauError(f"{where} ({label}): expressions must be micro, macro or all, not {expressions!r}")
        result.append({"name": name, "root": root, "sheet": sheet, "layout": entry.get("layout"), "label": label,
                       "frames": frames, "columns": columns, "expressions": expressions, "where": where,
                       "subset": entry.get("subset"),
                       "emotions_sheet": _emotions_sheet(entry.get("emotions_sheet"), root, base, where, label)})
    return result


def _emotions_sheet(value, root: Path, base: Path, where: str, label: str) -> Path | None:
    """An entry's ``emotions_sheet`` (SAMM's short sheet for SAMM-LV), relative to its root or to the file."""
    if value is None:
        return None
    sheet = Path(str(value))
    candidates = [sheet] if sheet.is_absolute() else [root / sheet, base / sheet]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is None:
        raise MeauError(f"{where} ({label}): emotions_sheet {sheet} not found (looked in {root} and {base})")
    return found


def datasets_file_settings(path) -> dict:
    """The file's top-level ``target`` (aus or emotion), ``classes`` (megc, five, all or a TOML file, relative
    to this file) and ``samples`` (a CSV list, relative to this file), those it sets."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for key in ("target", "classes", "samples"):
        value = document.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise MeauError(f"{path}: {key} must be a string")
        if key == "samples" or (key == "classes" and value not in ("megc", "five", "all")):
            value = str(path.parent / value) if not Path(value).is_absolute() else value
        found[key] = Path(value) if key == "samples" else value
    return found


def datasets_file_aus(path):
    """The file's top-level ``aus`` (a list of AU numbers, e.g. CD6ME's 12), or None."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    try:
        aus = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("aus")
    except (OSError, ValueError):
        return None
    if aus is None:
        return None
    if not isinstance(aus, list) or not all(isinstance(au, int) for au in aus):
        raise MeauError(f"{path}: aus must be a list of AU numbers such as [1, 2, 4]")
    return aus


def load_composite(path, *, aus="auto", min_count: int = 15, strict: bool = False, **annotate_options):
    """One :class:`~meau.databases.Dataset` over every database of a datasets file."""
    import pandas as pd

    from .dataset import Dataset, find_sheet, load_dataset, select_au_columns

    entries = read_datasets_file(path)
    if aus is None or str(aus).lower() == "auto":
        aus = datasets_file_aus(path) or aus  # the file's AU set (MEB's 12 for CD6ME) unless --aus says otherwise
    parts = []
    for entry in entries:
        options = dict(annotate_options)
        if entry["expressions"]:
            options["expressions"] = entry["expressions"]
        try:
            sheet = find_sheet(entry["root"], entry["name"], entry["sheet"], options.get("expressions"), entry["subset"])
        except MeauError as error:
            raise MeauError(f"{entry['label']}: {error}") from None
        try:
            part = load_dataset(entry["root"], entry["name"], sheet, layout=entry["layout"], strict=strict, aus="auto",
                                min_count=1, columns=entry["columns"], frames=entry["frames"],
                                emotions_sheet=entry["emotions_sheet"], **options)
        except MeauError as error:
            raise MeauError(f"{entry['label']}: {error}") from None
        part.table["database"] = entry["label"]
        for problem in part.problems:  # keys name the entry, as the samples' keys do
            if problem.key.startswith(f"{entry['name']}/"):
                problem.key = f"{entry['label']}/{problem.key[len(entry['name']) + 1:]}"
        for source in part.sources:
            source.update(label=entry["label"], root=str(entry["root"]))
        parts.append(part)
    all_columns = sorted({column for part in parts for column in part.au_columns})
    table = pd.concat([part.table.reindex(columns=list(part.table.columns) + [c for c in all_columns
                                                                              if c not in part.table.columns])
                       for part in parts], ignore_index=True)
    table[all_columns] = table[all_columns].fillna(0).astype(int)
    au_columns = select_au_columns(table, all_columns, aus, min_count, where=f"over the databases of {path}") \
        if annotate_options.get("require_aus", True) else []
    table = table.drop(columns=[c for c in all_columns if c not in au_columns])
    return Dataset(table, au_columns, [p for part in parts for p in part.problems],
                   [s for part in parts for s in part.sources], parts[0].policy,
                   [f for part in parts for f in part.fixes_applied],
                   layout="+".join(f"{part.sources[0]['label']}:{part.layout}" for part in parts),
                   rows_read=sum(part.rows_read for part in parts))


MEB_AUS = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17]
SUITES = {"cd6me": "MEB's composite benchmark (CD6ME)",
          "megc2019": "the MEGC2019 composite recognition benchmark (SMIC-HS + CASME II + SAMM)"}
# the MEGC2019 guideline's published counts (negative, positive, surprise) per database, and its subjects
MEGC2019_COUNTS = {"smic": (70, 51, 43), "casme2": (88, 32, 25), "samm": (92, 26, 15)}
MEGC2019_SUBJECTS = {"smic": 16, "casme2": 24, "samm": 28}


def template_text(wanted) -> str:
    """A datasets file for the named databases (``cd6me``: MEB's six, with its 12 AUs): roots to fill in."""
    wanted = list(wanted)
    known = [name for name in names() if get(name).template is not None]
    if not wanted:
        raise MeauError(f"name the databases ({', '.join(known)}) or {', '.join(SUITES)}")
    expanded = []
    for name in wanted:
        for item in (suite(name) if name in SUITES else (name,)):
            if item not in known:
                raise MeauError(f"template: unknown database {item!r}; choose from {', '.join([*SUITES, *known])}")
            if item not in expanded:
                expanded.append(item)
    lines = ["# meau datasets file: fill in each root (and sheet, if it is not in the root), then run for example",
             "#   meau baseline flow --datasets THIS.toml --protocol lodo -o runs/flow-lodo",
             "#   meau report runs/flow-lodo --by-database",
             "# Relative paths are relative to this file. Raw recordings: meau crop --datasets THIS.toml -o cropped",
             "# writes cropped/datasets.toml over the aligned faces."]
    if "cd6me" in wanted:
        lines += ["", f"# {SUITES['cd6me']} reports these 12 AUs; --aus on the command line overrides them",
                  f"aus = {MEB_AUS}"]
    if "megc2019" in wanted:
        total = [sum(counts[k] for counts in MEGC2019_COUNTS.values()) for k in range(3)]
        lines += ["", f"# {SUITES['megc2019']}: three classes, leave-one-subject-out over all "
                      f"{sum(MEGC2019_SUBJECTS.values())} subjects", "# (subjects kept apart per database):",
                  "#   meau baseline flow --datasets THIS.toml --protocol loso -o runs/megc-flow",
                  "#   meau report runs/megc-flow --by-database",
                  "# The guideline's counts (negative / positive / surprise):"]
        lines += [f"#   {get(name).title:<9} {sum(counts):>3} ({' / '.join(map(str, counts))}), "
                  f"{MEGC2019_SUBJECTS[name]} subjects" for name, counts in MEGC2019_COUNTS.items()]
        lines += [f"#   {'total':<9} {sum(total):>3} ({' / '.join(map(str, total))})",
                  "# The organisers' clip list, not the mapping, defines the benchmark (their CASME II list leaves",
                  "# out sub04 EP12_01f and sub05 EP09_05f): give it as samples = \"megc2019_list.csv\"",
                  "# (subject, clip, database) or --samples.",
                  'target = "emotion"', 'classes = "megc"']
    for item in expanded:
        note = get(item).template
        lines += ["", "[[database]]", f'name = "{item}"', f'label = "{note.label}"', f'root = "{note.root}"',
                  f"# sheet = ...        {note.sheet}", f"# layout = ...       frames under {note.frames}"]
        if item == "smic":
            lines.append('subset = "hs"')
    return "\n".join(lines) + "\n"
