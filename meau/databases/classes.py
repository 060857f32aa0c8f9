"""Emotion class sets: which sheet labels a recognition run learns, and under which class name.

``--classes`` names one: ``megc`` (MEGC2019's negative / positive / surprise), ``five`` (each database's
customary five classes), ``all`` (the labels as written, case-folded) or a TOML file mapping labels to classes.
A label outside the set leaves the sample out (counted per label in the problems, never silently).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MeauError

NAMES = ("megc", "five", "all")
TARGETS = ("aus", "emotion", "objective", "self-report")  # what a run predicts (meau.tasks holds what each means)
CLASS_TARGETS = TARGETS[1:]  # one class per sample, each from its own sheet column
COLUMN = "emotion_class"  # the class of each sample in a dataset's table (the sheet's label stays as read)

# MEGC2019 guideline: negative = repression, anger, contempt, disgust, fear, sadness; positive = happiness;
# surprise = surprise; others left out. Labels already named negative/positive/surprise (SMIC's folders,
# CAS(ME)^2's class column) keep their name; spellings seen in the sheets (happy, sad) are the same emotion.
MEGC = {
    **{label: "negative" for label in ("negative", "repression", "anger", "angry", "contempt", "disgust", "fear",
                                      "sadness", "sad")},
    **{label: "positive" for label in ("positive", "happiness", "happy")},
    "surprise": "surprise",
}
MEGC_CLASSES = ("negative", "positive", "surprise")
OTHERS = "others"  # CAS(ME)^2's class of what is none of the three; long-video truth keeps it (spotting only)


def source_column(target: str) -> str:
    """The table column a class target reads: ``emotion``, ``objective``, ``self_report`` (CAS(ME)^2's 9th)."""
    return target.replace("-", "_")


def interval_class(chosen, label) -> str:
    """A long-video interval's class under ``chosen`` (a ClassSet): its class, ``others`` for a label outside the
    set, empty for none (both count for spotting, never for the analysis of the classes)."""
    return chosen.class_of(label) or (OTHERS if normalise(label) else "")


SAMMLV_EMOTIONS = " (SAMM Long Videos: give SAMM's short sheet with --emotions-sheet)"  # where its emotions are


def megc_class(label) -> str:
    """The MEGC class of an emotion label, ``others`` outside the three (what CAS(ME)^2's class column holds)."""
    return MEGC.get(normalise(label), OTHERS)

# the single-database five-class protocols (CASME II's usual 246 clips, SAMM's usual 136)
FIVE = {
    "casme2": ("happiness", "disgust", "repression", "surprise", "others"),
    "samm": ("anger", "contempt", "happiness", "surprise", "other"),
}


@dataclass(frozen=True)
class ClassSet:
    """``classes`` in order, and ``mapping``: case-folded sheet label -> class (None: every label is its own
    class, ``all``)."""

    name: str
    classes: tuple = ()
    mapping: dict | None = field(default=None)

    def class_of(self, label) -> str | None:
        """The class of a sheet label, or None when the label is outside the set."""
        text = normalise(label)
        if not text:
            return None
        if self.mapping is None:
            return text
        return self.mapping.get(text)

    def describe(self) -> dict:
        return {"name": self.name, "classes": list(self.classes),
                "mapping": None if self.mapping is None else dict(sorted(self.mapping.items()))}


def normalise(label) -> str:
    """A sheet label case-folded, without surrounding spaces (an empty cell gives '')."""
    import pandas as pd

    if label is None or (not isinstance(label, str) and pd.isna(label)):
        return ""
    return str(label).strip().casefold()


def class_set(name, databases=(), labels=()) -> ClassSet:
    """The class set ``name`` (megc, five, all or a TOML file) for samples of ``databases`` (the readers' names,
    for ``five``) whose labels are ``labels`` (for ``all``)."""
    if name == "megc":
        return ClassSet("megc", MEGC_CLASSES, dict(MEGC))
    if name == "five":
        sets = {database: FIVE.get(database) for database in sorted(set(databases))}
        missing = [database for database, classes in sets.items() if classes is None]
        if missing:
            raise MeauError(f"--classes five is defined for {', '.join(FIVE)} (their customary five-class "
                            f"protocols), not for {', '.join(missing)}: use megc, all or a TOML file of your classes")
        if len(set(sets.values())) > 1:
            raise MeauError("--classes five differs between " + " and ".join(sets) +
                            ": in a composite use megc or one TOML file of classes")
        classes = next(iter(sets.values()))
        return ClassSet("five", classes, {label: label for label in classes})
    if name == "all":
        found = sorted({normalise(label) for label in labels} - {""})
        return ClassSet("all", tuple(found), None)
    return _from_file(Path(name))


def _from_file(path: Path) -> ClassSet:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    if not path.is_file():
        raise MeauError(f"--classes {path}: not megc, five, all or a TOML file")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MeauError(f"{path}: not a TOML file of classes ({error})") from None
    table = document.get("classes", document)
    if not isinstance(table, dict) or not table or not all(isinstance(value, str) and value.strip()
                                                           for value in table.values()):
        raise MeauError(f"{path}: expected label = \"class\" lines (for example happiness = \"positive\")")
    mapping = {normalise(label): value.strip() for label, value in table.items()}
    classes = tuple(dict.fromkeys(mapping.values()))
    if len(classes) < 2:
        raise MeauError(f"{path}: at least two classes are needed (found {', '.join(classes)})")
    return ClassSet(str(path), classes, mapping)


def with_classes(labels, classes: str = "megc", *, source: str = "emotion"):
    """``labels`` (a Labels or Dataset) for emotion recognition: each sample's class (``emotion_class``) under
    the class set ``classes`` (megc, five, all or a TOML file) of its ``source`` column (``emotion``, or
    ``objective`` for the objective classes); a sample outside the set is left out and listed
    (``outside-classes``, naming its label), its AU columns dropped."""
    from .sheets import Problem, sample_key
    from ..errors import MeauError

    table = labels.table
    source = source_column(source)
    _check_source(labels, source)
    readers = [found.get("database") for found in labels.sources]
    chosen = class_set(classes, databases=readers, labels=table[source])
    mapped = table[source].map(chosen.class_of)
    problems = list(labels.problems)
    for row in table[mapped.isna()].to_dict("records"):
        label = normalise(row.get(source)) or "(empty)"
        problems.append(Problem("outside-classes", f"{source} {label!r} is not one of the {chosen.name} classes "
                                f"({', '.join(chosen.classes)})", int(row["row"]) if row.get("row") is not None else None,
                                sample_key(row["database"], row["subject"], row["clip"], row["onset"])))
    kept = table[mapped.notna()].drop(columns=list(labels.au_columns)).reset_index(drop=True)
    if kept.empty:
        raise MeauError(f"no sample has an emotion among the {chosen.name} classes ({', '.join(chosen.classes)})")
    kept[COLUMN] = mapped[mapped.notna()].to_numpy()
    return dataclasses.replace(labels, table=kept, au_columns=[], problems=problems, classes=list(chosen.classes))


def _check_source(labels, source: str) -> None:
    table = labels.table
    if source not in table or table[source].map(normalise).eq("").all():
        names = ", ".join(sorted({str(found.get("database")) for found in labels.sources}))
        what = {"objective": "objective classes", "self_report": "self-reports"}.get(source, "emotion labels")
        extra = SAMMLV_EMOTIONS if "sammlv" in names and source == "emotion" else ""
        raise MeauError(f"{names}: the sheet has no {what}{extra}; --target {source.replace('_', '-')} needs them")


def interval_classes(labels, classes: str = "megc", *, source: str = "emotion"):
    """A long-video sheet's intervals with their class (``emotion_class``): every interval kept, as spotting
    truth needs (a label outside the class set is ``others``, an unknown one empty: both count for spotting,
    never for the analysis of the classes); returns (table, ClassSet)."""
    source = source_column(source)
    _check_source(labels, source)
    table = labels.table
    chosen = class_set(classes, databases=[found.get("database") for found in labels.sources], labels=table[source])
    table = table.assign(**{COLUMN: [interval_class(chosen, label) for label in table[source]]})
    return table, chosen


def left_out_by_label(dataset) -> dict[str, int]:
    """How many samples each label left out (the ``outside-classes`` problems)."""
    from collections import Counter

    return dict(Counter(problem.message.split("'")[1] for problem in dataset.problems
                        if problem.kind == "outside-classes"))
