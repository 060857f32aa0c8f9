"""Per-item work in parallel (joblib): clips, videos, folds. One bad item is reported, never the end of a run.

Every parallel loop over the data goes through :func:`run_guarded`, so the joblib backend a user
chooses (``--backend``) applies everywhere with no code path of its own.
"""

from __future__ import annotations

import sys

from .errors import ClipError, FrameError


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
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=len(argument_lists), desc=what, unit="clip")
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
