"""Per-item work in parallel (joblib): clips, videos, folds. One bad item is reported, never the end of a run.

Every parallel loop over the data goes through :func:`run_guarded`, so the joblib backend a user
chooses (``--backend``) applies everywhere with no code path of its own.
"""

from __future__ import annotations

import sys

from .errors import ClipError, FrameError

_SHOW_PROGRESS: bool | None = None  # None: a bar when stderr is a terminal


def show_progress(value: bool | None) -> None:
    """Progress bars everywhere (True, the command line's ``-v``), nowhere (False, ``-q``), or on a terminal
    only (None)."""
    global _SHOW_PROGRESS
    _SHOW_PROGRESS = value


def progress_bar(items, *, total: int, what: str, unit: str = "clip", progress: bool | None = None):
    """``items`` behind a tqdm bar when ``progress`` (by default: as :func:`show_progress` says) is on."""
    if progress is None:
        progress = _SHOW_PROGRESS if _SHOW_PROGRESS is not None else sys.stderr.isatty()
    if not progress:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=what, unit=unit)


def guarded(worker, *args):
    """``('ok', worker(*args))``, or ``('error', message)`` for a clip that cannot be described:
    the joblib unit of every feature kind, so one bad clip never ends a whole run."""
    try:
        return "ok", worker(*args)
    except (ClipError, FrameError) as error:
        return "error", str(error)


def run_guarded(worker, argument_lists, *, n_jobs: int = 1, backend: str | None = None, progress=None,
                what: str = "clips", failures: dict | None = None) -> list:
    """``worker(*arguments)`` for every item, in parallel; results in order, None where it failed.

    With ``failures`` (a dict), failures are collected as {index: message}; without it the first
    raises. When every item fails, the first failure raises (a setting no clip can take, such as a
    radius longer than the clips, is an error of the command, not of the data).
    """
    from joblib import Parallel, delayed

    argument_lists = list(argument_lists)
    results = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")(
        delayed(guarded)(worker, *arguments) for arguments in argument_lists)
    results = progress_bar(results, total=len(argument_lists), what=what, progress=progress)
    values, errors = [], {}
    for index, (status, value) in enumerate(results):
        values.append(value if status == "ok" else None)
        if status != "ok":
            errors[index] = value
    if errors and (failures is None or len(errors) == len(argument_lists)):
        raise ClipError(errors[min(errors)])
    if failures is not None:
        failures.update(errors)
    return values
