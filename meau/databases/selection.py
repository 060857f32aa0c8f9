"""Which samples a command reads, as typed settings: :class:`DatasetSelection` and :class:`LabelSettings`.

The command line turns its options into these objects (``meau.cli.options``), the library reads
them, and a run saves them in its ``config.json`` as plain parameters (``data_root``, ``database``,
``sheet`` …, the keys runs have always used), so ``predict`` and ``explain`` load the same samples
again. Errors name the setting (``root``, ``datasets`` …); the command line shows its option instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..annotations import Policy, policy_from_names
from ..errors import MeauError, SettingError
from .classes import CLASS_TARGETS

DEFAULT_MIN_COUNT = 15  # positives an AU needs to be kept by aus='auto', in the API and on the command line


@dataclass(frozen=True)
class LabelSettings:
    """How AU cells become the label columns: which AUs (``'auto'``: those with at least ``min_count``
    positives, or AU numbers), the presence :class:`~meau.annotations.Policy`, whether rows whose AU
    cell cannot be parsed are skipped (each reported) and whether the database's fixes are applied."""

    aus: object = "auto"
    min_count: int = DEFAULT_MIN_COUNT
    policy: Policy = field(default_factory=Policy)
    skip_unparseable: bool = False
    apply_fixes: bool = False
    target: str | None = None  # "aus" or "emotion"; None: a datasets file's, else "aus"
    classes: str | None = None  # for target "emotion": megc, five, all or a TOML file; None: the file's, else megc

    def check(self) -> "LabelSettings":
        from .classes import TARGETS
        from .dataset import parse_aus_option

        if self.target is not None and self.target not in TARGETS:
            raise SettingError("target", self.target, f"choose from {', '.join(TARGETS)}")
        parse_aus_option(self.aus, "aus")
        if not isinstance(self.min_count, int) or self.min_count < 1:
            raise SettingError("min_count", self.min_count, "must be an integer of at least 1")
        return self


@dataclass(frozen=True)
class DatasetSelection:
    """One database (``database`` read from ``root``, its ``sheet`` found there unless given,
    ``layout`` detected unless given, ``frames`` a pattern or another database's layouts,
    ``columns`` for a CSV sheet, ``expressions`` micro/macro/all) or a ``datasets`` file of several;
    ``strict`` fails on the first sample with missing frames; ``labels`` as :class:`LabelSettings`."""

    database: str | None = None  # None: the registered default
    root: Path | None = None
    sheet: Path | None = None
    datasets: Path | None = None
    layout: str | None = None
    frames: str | None = None
    columns: dict = field(default_factory=dict)
    expressions: str | None = None  # None: the database's (micro, or all for a long-video database)
    strict: bool = False
    labels: LabelSettings = field(default_factory=LabelSettings)
    samples: Path | None = None  # a CSV list (subject, clip[, database]): only these samples
    subset: str | None = None  # SMIC's hs, vis or nir
    emotions_sheet: Path | None = None  # SAMM's short sheet: SAMM-LV's micro-expressions' emotions

    def check(self) -> "DatasetSelection":
        """The selection, or a SettingError naming the first setting that cannot be used."""
        from .database import default_name, get, names
        from .sheets import EXPRESSIONS

        if self.database is None:
            return replace(self, database=default_name()).check()
        if self.database not in names():
            raise SettingError("database", self.database, f"unknown; choose from {', '.join(names())}")
        if self.expressions is None and self.datasets is None:  # a datasets file: each entry's own default
            return replace(self, expressions=get(self.database).default_expressions).check()
        if self.expressions is not None and self.expressions not in EXPRESSIONS:
            raise SettingError("expressions", self.expressions, f"choose from {', '.join(EXPRESSIONS)}")
        if self.datasets is not None and (self.root is not None or self.sheet is not None):
            raise SettingError("datasets", None, "{datasets} replaces {root} and {sheet}: give one or the other")
        if self.datasets is None and self.root is None:
            raise SettingError("root", None, "give {root} (one database) or {datasets} (a TOML file of several)")
        if self.root is not None and not Path(self.root).is_dir():
            escaped = str(self.root).replace("{", "{{").replace("}", "}}")
            raise SettingError("root", None, f"{escaped}: database root is not a folder")
        if self.layout not in (None, "auto"):
            known = get(self.database).layout_names()
            base = self.layout.split("-")[0]
            if known and base not in known and self.layout not in known:
                raise SettingError("layout", self.layout, f"not a layout of {self.database}; choose from "
                                   f"auto, {', '.join(known)}")
        self.labels.check()
        return self

    def inputs(self) -> list[Path]:
        """What the selection reads (root, sheet, datasets file): no output may overlap them."""
        return [Path(value) for value in (self.root, self.sheet, self.datasets, self.samples) if value is not None]

    def load(self):
        """The :class:`~meau.databases.dataset.Dataset` (one database, or the composite of a datasets file)."""
        from .dataset import find_sheet, load_dataset

        selection = self.check()
        labels = selection.labels
        target, classes, samples = selection.target_settings()
        common = dict(strict=selection.strict, aus=labels.aus, expressions=selection.expressions,
                      min_count=labels.min_count, policy=labels.policy, skip_unparseable=labels.skip_unparseable,
                      fixes=labels.apply_fixes, require_aus=target == "aus")
        if selection.datasets is not None:
            from .composite import load_composite

            dataset = load_composite(selection.datasets, **common)
        else:
            from ..errors import MeauError
            from .lookalike import with_root_hint

            root = Path(selection.root)
            try:
                sheet = find_sheet(root, selection.database, selection.sheet, selection.expressions, selection.subset)
                dataset = load_dataset(root, selection.database, sheet, layout=selection.layout,
                                       frames=selection.frames, columns=dict(selection.columns) or None,
                                       emotions_sheet=selection.emotions_sheet, **common)
            except MeauError as error:  # the wrong --database for this folder: say which it looks like
                raise with_root_hint(error, root, selection.database, selection.frames) from None
        if samples is not None:
            from .samples import keep_listed

            dataset = keep_listed(dataset, samples)
        if target in CLASS_TARGETS:
            from .classes import with_classes

            dataset = with_classes(dataset, classes, source=target)
        return dataset

    def target_settings(self) -> tuple[str, str | None, Path | None]:
        """(target, classes, samples list): the options given, else a datasets file's top-level ``target``,
        ``classes`` and ``samples``, else aus / megc / none."""
        found = {}
        if self.datasets is not None:
            from .composite import datasets_file_settings

            found = datasets_file_settings(self.datasets)
        target = self.labels.target or found.get("target") or "aus"
        classes = self.labels.classes or found.get("classes") or ("megc" if target == "emotion" else "all")
        samples = self.samples or found.get("samples")
        return target, (None if target == "aus" else classes), samples

    def parameters(self) -> dict:
        """The plain parameters a run saves in ``config.json`` (the keys of every meau version)."""
        text = lambda value: None if value is None else str(value)  # noqa: E731
        return {"data_root": text(self.root), "datasets": text(self.datasets), "database": self.database,
                "sheet": text(self.sheet), "layout": self.layout, "frames": self.frames,
                "columns": dict(self.columns), "expressions": self.expressions, "strict": self.strict,
                "aus": self.labels.aus, "min_count": self.labels.min_count,
                "policies": policy_names(self.labels.policy), "skip_unparseable": self.labels.skip_unparseable,
                "apply_fixes": self.labels.apply_fixes, **self._target_parameters(),
                **({"subset": self.subset} if self.subset else {}),
                **({"emotions_sheet": str(self.emotions_sheet)} if self.emotions_sheet else {})}

    def _target_parameters(self) -> dict:
        target, classes, samples = self.target_settings()
        if target == "aus" and samples is None:
            return {}  # an AU run's config.json as meau < 0.5 wrote it
        return {"target": target, "classes": classes, "samples": None if samples is None else str(samples)}

    @classmethod
    def from_parameters(cls, parameters: dict) -> "DatasetSelection":
        """The selection a run's ``config.json`` parameters describe (older runs read the same)."""
        path = lambda key: Path(parameters[key]) if parameters.get(key) else None  # noqa: E731
        try:
            policy = policy_from_names(parameters.get("policies") or ())
        except ValueError as error:
            raise MeauError(f"config.json: {error}") from None
        return cls(database=parameters.get("database"), root=path("data_root"), sheet=path("sheet"),
                   datasets=path("datasets"), layout=parameters.get("layout"), frames=parameters.get("frames"),
                   columns=dict(parameters.get("columns") or {}), expressions=parameters.get("expressions"),
                   strict=bool(parameters.get("strict", False)), samples=path("samples"),
                   subset=parameters.get("subset"), emotions_sheet=path("emotions_sheet"),
                   labels=LabelSettings(aus=parameters.get("aus", "auto"),
                                        min_count=int(parameters.get("min_count", DEFAULT_MIN_COUNT)), policy=policy,
                                        skip_unparseable=bool(parameters.get("skip_unparseable", False)),
                                        apply_fixes=bool(parameters.get("apply_fixes", False)),
                                        target=parameters.get("target"), classes=parameters.get("classes")))


def policy_names(policy: Policy) -> list[str]:
    """The preset names that make ``policy`` (for ``config.json``)."""
    from ..annotations import POLICY_PRESETS

    defaults = Policy()
    return [name for name, fields in POLICY_PRESETS.items()
            if fields and all(getattr(policy, key) == value != getattr(defaults, key) for key, value in fields.items())]


def load_from_parameters(parameters: dict):
    """The dataset named by a run's ``config.json`` parameters (see :meth:`DatasetSelection.from_parameters`)."""
    return DatasetSelection.from_parameters(parameters).load()
