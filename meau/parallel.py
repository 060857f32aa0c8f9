"""Per-item work in parallel (joblib): clips, videos, folds. One bad item is reported, never the end of a run.

Every parallel loop over the data goes through :func:`run_guarded`, so the joblib backend a user
chooses (``--backend``) applies everywhere with no code path of its own. :func:`backend_session`
connects to an existing Dask cluster first (``--backend dask --scheduler ADDRESS``): joblib's dask
backend then sends the same work to the cluster's workers.
"""

from __future__ import annotations

import contextlib
import os
import sys

from .errors import ClipError, FrameError, SettingError

_SHOW_PROGRESS: bool | None = None  # None: a bar when stderr is a terminal


def show_progress(value: bool | None) -> None:
    """Progress bars everywhere (True, the command line's ``-v``), nowhere (False, ``-q``), or on a terminal
    only (None)."""
    global _SHOW_PROGRESS
    _SHOW_PROGRESS = value


@contextlib.contextmanager
def backend_session(backend: str | None, scheduler: str | None = None, *, timeout: float = 10.0):
    """Yield the joblib backend name to use, set as joblib's default for the duration (so every
    ``Parallel`` without a backend of its own takes it); for ``dask``, connected to the scheduler at
    ``scheduler`` first (the client closes after). An unreachable scheduler is a SettingError after
    ``timeout`` seconds, before anything is written."""
    from joblib import parallel_config

    if scheduler and backend != "dask":
        raise SettingError("scheduler", scheduler, "a scheduler address goes with {backend} dask")
    if backend != "dask":
        if backend is None:
            yield None
            return
        with parallel_config(backend=backend):
            yield backend
        return
    try:
        from distributed import Client
    except ImportError:
        raise SettingError("backend", "dask", "needs Dask's distributed scheduler: pip install 'meau[cluster]'") from None
    if not scheduler:
        raise SettingError("backend", "dask", "needs {scheduler} ADDRESS, an existing Dask scheduler "
                                              "(such as tcp://10.0.0.5:8786; see the README's cluster section)")
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=True)
    except (OSError, TimeoutError, ValueError) as error:
        raise SettingError("scheduler", scheduler, f"no Dask scheduler answered within {timeout:g} s "
                                                   f"({type(error).__name__}); nothing was written") from None
    try:
        with parallel_config(backend="dask"):
            yield "dask"
    finally:
        client.close()


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


def in_callers_folder(folder: str, worker, *args):
    """``worker(*args)`` in the caller's working folder: joblib keeps its worker processes between calls, so a
    worker may have started in another folder (a notebook that changed folder since), and a relative path must
    mean there what it meant to the caller."""
    if os.getcwd() != folder and os.path.isdir(folder):
        os.chdir(folder)
    return worker(*args)


def run_guarded(worker, argument_lists, *, n_jobs: int = 1, backend: str | None = None, progress=None,
                what: str = "clips", failures: dict | None = None) -> list:
    """``worker(*arguments)`` for every item, in parallel; results in order, None where it failed.

    With ``failures`` (a dict), failures are collected as {index: message}; without it the first
    raises. When every item fails, the first failure raises (a setting no clip can take, such as a
    radius longer than the clips, is an error of the command, not of the data).
    """
    from joblib import Parallel, delayed, parallel_config

    argument_lists = list(argument_lists)
    # joblib's dask backend is named through parallel_config (which registers it) and cannot return a
    # generator (joblib 1.6): its results come as a list, the bar moves once
    with parallel_config(backend=backend) if backend else contextlib.nullcontext():
        results = Parallel(n_jobs=n_jobs, return_as="list" if backend == "dask" else "generator")(
            delayed(in_callers_folder)(os.getcwd(), guarded, worker, *arguments) for arguments in argument_lists)
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
