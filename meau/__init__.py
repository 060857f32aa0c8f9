"""meau: facial Action Unit detection in micro-expression videos.

Importing the package is cheap: it imports neither torch nor the numerical stack.
"""

from ._version import __version__

__all__ = ["load_dataset", "__version__"]

_OPTIONS = ("layout", "frames", "columns", "expressions", "strict", "policies", "skip_unparseable", "apply_fixes",
            "target", "classes", "samples", "subset")


def load_dataset(root=None, database: str | None = None, *, sheet=None, datasets=None, aus="auto",
                 min_count: int | None = None, **options):
    """A database (or a datasets file of several) as meau's pipelines read it.

    Parameters
    ----------
    root : path-like
        The database root (``Cropped/``, ``CASME2-RAW/``, ``part_A/`` … below it), or None with ``datasets``.
    database : str, optional
        A registered database (``meau.databases.names()``; default: the default database), or ``csv``
        (then ``frames`` and ``columns``).
    sheet : path-like, optional
        The coding sheet (default: found in ``root``; a bare name is looked up there too).
    datasets : path-like, optional
        A TOML datasets file (``[[database]]`` entries) instead of ``root``: one composite dataset.
    aus, min_count
        Which AU columns to keep (``'auto'``: those with at least ``min_count`` positives, 15 by
        default, as on the command line; or AU numbers).
    **options
        ``layout``, ``frames``, ``columns``, ``expressions``, ``strict``, ``policies`` (preset names),
        ``skip_unparseable``, ``apply_fixes``, ``samples`` (a CSV list), ``subset`` (SMIC's): the fields of
        :class:`meau.databases.DatasetSelection`; ``target`` (``'aus'``, ``'emotion'``, ``'objective'``) and
        ``classes`` (``'megc'``, ``'five'``, ``'all'`` or a TOML file) as on the command line.

    Returns
    -------
    meau.databases.Dataset
        ``.table`` (one row per sample, AU columns; for emotions the class in ``emotion_class``),
        ``.au_columns``, ``.classes``, ``.validation`` (the problems met) and ``.clip(i)`` (the frames of
        sample i, read when asked).
    """
    from pathlib import Path

    from .annotations import policy_from_names
    from .databases import DatasetSelection, LabelSettings
    from .databases.selection import DEFAULT_MIN_COUNT

    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], _OPTIONS, n=1)
        raise TypeError(f"load_dataset() got an unexpected keyword argument {unknown[0]!r}"
                        f"{f' (did you mean {close[0]!r}?)' if close else ''}; known: {', '.join(_OPTIONS)}")
    labels = LabelSettings(aus=aus, min_count=DEFAULT_MIN_COUNT if min_count is None else min_count,
                           policy=policy_from_names(options.get("policies") or ()),
                           skip_unparseable=bool(options.get("skip_unparseable", False)),
                           apply_fixes=bool(options.get("apply_fixes", False)), target=options.get("target"),
                           classes=options.get("classes"))
    selection = DatasetSelection(
        database=database, root=Path(root) if root is not None else None, sheet=Path(sheet) if sheet else None,
        datasets=Path(datasets) if datasets is not None else None, layout=options.get("layout"),
        frames=options.get("frames"), columns=dict(options.get("columns") or {}),
        expressions=options.get("expressions") or "micro", strict=bool(options.get("strict", False)), labels=labels,
        samples=Path(options["samples"]) if options.get("samples") else None, subset=options.get("subset"))
    return selection.load()
