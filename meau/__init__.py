"""meau: facial Action Unit detection in micro-expression videos.

Importing the package is cheap: it imports neither torch nor the numerical stack.
"""

from pathlib import Path

from ._version import __version__

__all__ = ["load_dataset", "__version__"]


def load_dataset(root=None, database: str = "casme2", *, sheet=None, datasets=None, aus="auto", min_count: int = 1,
                 **options):
    """A database (or a datasets file of several) as meau's pipelines read it.

    Parameters
    ----------
    root : path-like
        The database root (``Cropped/``, ``CASME2-RAW/``, ``part_A/`` … below it), or None with ``datasets``.
    database : str
        casme2, casme, samm, casme3, casme3c, mmew, 4dme, or csv (then ``frames`` and ``columns``).
    sheet : path-like, optional
        The coding sheet (default: found in ``root``).
    datasets : path-like, optional
        A TOML datasets file (``[[database]]`` entries) instead of ``root``: one composite dataset.
    aus, min_count
        Which AU columns to keep (``'auto'``: those with at least ``min_count`` positives).
    **options
        ``layout``, ``frames``, ``columns``, ``expressions``, ``strict``, ``policies``,
        ``skip_unparseable``, ``apply_fixes``: as the command-line options of the same names.

    Returns
    -------
    meau.databases.Dataset
        ``.table`` (one row per sample, AU columns), ``.au_columns``, ``.validation`` (the
        problems met) and ``.clip(i)`` (the frames of sample i, read when asked).
    """
    from .databases import load_from_parameters
    from .errors import MeauError

    known = ("layout", "frames", "columns", "expressions", "strict", "policies", "skip_unparseable", "apply_fixes")
    unknown = sorted(set(options) - set(known))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], known, n=1)
        raise TypeError(f"load_dataset() got an unexpected keyword argument {unknown[0]!r}"
                        f"{f' (did you mean {close[0]!r}?)' if close else ''}; known: {', '.join(known)}")
    if root is not None and not Path(root).is_dir():
        raise MeauError(f"{root}: database root is not a folder")
    parameters = {"data_root": str(root) if root is not None else None, "database": database,
                  "sheet": str(sheet) if sheet is not None else None,
                  "datasets": str(datasets) if datasets is not None else None, "aus": aus, "min_count": min_count,
                  **options}
    return load_from_parameters(parameters, no_database="give a database root, or datasets= a TOML datasets file")
