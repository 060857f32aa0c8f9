"""meau: facial Action Unit detection in micro-expression videos.

Importing the package is cheap: it imports neither torch nor the numerical stack.
"""

from ._version import __version__

__all__ = ["load_dataset", "predict", "spot", "__version__"]

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


def predict(run, inputs, *, crop: bool = False, window: int | None = None, stride: int | None = None,
            fps: float | None = None, device: str = "auto"):
    """AU (or emotion) predictions of a finished run for videos or frame folders, as ``meau predict`` writes them.

    Parameters
    ----------
    run : path-like
        A finished run folder (``baseline …``, ``train …``) or a deep checkpoint.
    inputs : path-like or list of them
        Videos or frame folders.
    crop : find, align and crop the face first (``--crop``).
    window, stride : AU traces over long videos: one row per window of ``window`` frames every ``stride``.
        With ``stride=1``, one row per frame instead (as py-feat's ``detect_video`` and OpenFace give): ``frame``,
        ``timestamp`` (s from the first frame), ``face`` (1 where the face detector finds the face), its box
        ``face_x, face_y, face_width, face_height`` and 68 landmarks ``x_0 … x_67, y_0 … y_67`` (the frame's pixels
        as recorded; empty where the detector does not find it), then the window centred on the frame
        (``window_start`` … and the AU columns; none for the first and last ``window // 2`` frames: ``status``
        says ``edge``).
    fps : a frame folder's frame rate (default: a video's own; 30 for a folder, said in ``fps_source``).

    Returns
    -------
    pandas.DataFrame
        The columns of ``meau predict``'s output (``status`` says why an input or window has no values).
    """
    from pathlib import Path

    from .prediction import predict_inputs, synthetic_warning

    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    settings = None
    if crop:
        from .crop import CropSettings

        settings = CropSettings()
        settings.check()
    synthetic_warning(run)
    return predict_inputs(run, inputs, crop=settings, window=window, stride=stride, fps=fps, device=device,
                          echo=lambda *_: None)


def spot(run, inputs, *, crop: bool = False, fps: float | None = None, aus_from=None, emotions_from=None):
    """Expression intervals in videos or frame folders with a finished spotting run's settings (or networks), as
    ``meau spot … --run RUN`` writes them to ``intervals.csv``: ``input, video, onset, offset, type, score,
    onset_s, offset_s, touches_no_face`` (and the AU or emotion columns with ``aus_from`` / ``emotions_from``).
    The recordings' statuses (frame rate, stretches without the face, errors) are in ``.attrs["recordings"]``.
    """
    import json
    import tempfile
    from pathlib import Path

    import pandas as pd

    from .spotting.apply import spot_inputs
    from .spotting.aus import au_predictor

    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    settings = None
    if crop:
        from .crop import CropSettings

        settings = CropSettings()
        settings.check()
    kind = json.loads((Path(run) / "settings.json").read_text())["spotter"]["spotter"] \
        if (Path(run) / "settings.json").is_file() else None
    describe = lambda source: (source, au_predictor(source)) if source else None  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "spots"
        spot_inputs(run, inputs, out, kind=kind, fps=fps, crop=settings, aus=describe(aus_from),
                    emotions=describe(emotions_from), figures=False, echo=lambda *_: None)
        intervals = pd.read_csv(out / "intervals.csv")
        intervals.attrs["recordings"] = pd.read_csv(out / "recordings.csv")
    return intervals
