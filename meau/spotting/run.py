"""Spotting through leave-one-subject-out: every tuned setting chosen on the training subjects.

Fold ``i`` tests subject ``i`` (subjects in natural order); the spotter's settings per type (``k``,
smoothing, ``p``, length bounds) are chosen on the other subjects' recordings and truth, recorded in
``folds/fold_i.json``, and applied unchanged to the test subject's recordings: the test subject's own
labels never move its predictions. Any spotter (:mod:`meau.spotting.flow`, :mod:`~meau.spotting.mdmd`,
:mod:`~meau.spotting.diff`) takes this path: it gives traces and frame scores, :mod:`meau.spotting.peaks`
does the rest.

Run folder: ``config.json``, ``splits.csv`` (subject -> fold), ``folds/fold_i.csv`` (the test
subject's intervals; the unit of ``--resume``) and ``fold_i.json`` (its settings), ``intervals.csv``
(``subject, video, onset, offset, type, score``), ``metrics.json`` (the MEGC metric, as ``meau spot
score`` writes it), ``settings.json`` (the settings chosen on every subject: what ``meau spot … --run``
applies to new recordings), ``validation.csv`` (every problem, the stretches without a face included),
``figures/<video>.png`` (score, threshold, truth and spotted intervals over time), ``run.log``.
"""

from __future__ import annotations

import numpy as np

from ..errors import MeauError, RunError
from .folds import INTERVAL_COLUMNS, folds_to_run, type_lengths
from .peaks import Prepared, TypeSettings, spot, spotted_score, threshold_of, tune
from .score import TYPES, spotting_counts

SETTINGS_FORMAT = "meau-spotting-settings"



def _landmarks_of(recording):
    """The recording's 68 points: from ``landmarks.csv``, else detected on its first frame with a face."""
    if recording.landmarks is not None:
        return recording.landmarks
    from ..crop import first_face, read_any

    frames = [read_any(path) for path in recording.frames[:: max(1, len(recording.frames) // 40)]]
    _, face = first_face(frames, 1)
    if face is None:
        raise MeauError(f"{recording.frames[0].parent}: no face found for the regions of interest "
                        "(no landmarks.csv at the root: meau crop writes one)")
    return face.points


def _traces_worker(spotter, recording, ks, stride, cache):
    points = _landmarks_of(recording) if spotter.needs_landmarks else recording.landmarks
    return spotter.traces(recording.frames, points, ks, stride, cache)


def fold_ks(spotter, data, folds: dict, stride: int, fps: float) -> dict:
    """{fold: {type: k}} from each fold's training intervals (every k the run will need, known up front).

    Fold None is every subject (the settings saved for new recordings): its k is, of the folds' ks, the
    one nearest to what all the subjects choose, so that no recording needs another pass for it.
    """
    ks = {fold: {kind: spotter.k_for(type_lengths(data.truth, kind, subject), stride, fps, kind) for kind in TYPES}
          for fold, subject in folds.items()}
    every = {}
    for kind in TYPES:
        wanted = spotter.k_for(type_lengths(data.truth, kind), stride, fps, kind)
        every[kind] = min({by_type[kind] for by_type in ks.values()}, key=lambda k: (abs(k - wanted), k))
    return {**ks, None: every}


def _gaps(present: np.ndarray, numbers) -> list[tuple[int, int]]:
    """Runs of frames without the face, as frame-number ranges."""
    gaps, start = [], None
    for index, here in enumerate(present):
        if not here and start is None:
            start = index
        if (here or index == len(present) - 1) and start is not None:
            end = index - 1 if here else index
            gaps.append((int(numbers[start]), int(numbers[end])))
            start = None
    return gaps


def run_spotting(spotter, data, run, *, fold: int | None = None, n_jobs: int = 1, backend=None, cache=None,
                 parameters: dict | None = None, echo=print, figures: bool = True, aus=None, emotions=None
                 ) -> dict | None:
    """Spot every recording of ``data`` (:class:`~meau.databases.recordings.LongVideos`) with leave-one-subject-out
    into ``run``; return the metrics, or None while folds remain (``fold`` runs one of them). ``aus``:
    (an AU run, its predictor from :func:`meau.spotting.aus.au_predictor`) describes every interval;
    ``emotions``: (an emotion run, its predictor) gives each its emotion. A learned spotter (``learned``)
    trains its networks per fold and type on the training subjects (:mod:`meau.spotting.softnet`)."""
    import pandas as pd

    from ..databases.sheets import Problem, problems_frame, sample_key
    from ..experiment import dataset_inputs
    from ..outputs import check_separate, write_csv, write_json
    from ..parallel import run_guarded
    from ..runs import base_config

    check_separate(run.path, dataset_inputs(data))
    subjects = data.subjects
    if len(subjects) < 2:
        raise MeauError(f"leave-one-subject-out needs at least two subjects, the recordings hold {len(subjects)}")
    folds = dict(enumerate(subjects))
    if fold is not None and fold not in folds:
        raise RunError(f"--fold {fold}: this run has folds 0..{len(folds) - 1} (one per subject)")
    splits = pd.DataFrame({"subject": subjects, "fold": list(folds)})
    existing = run.file("splits.csv")
    if run.resume and existing.exists():
        previous = pd.read_csv(existing, dtype={"subject": str})
        if not previous.astype(str).equals(splits.astype(str)):
            raise RunError(f"{existing}: the subjects of this run differ from the ones it was started with; "
                           "use a new run folder")
    fps = data.recordings[0].fps
    stride = spotter.stride_for(fps)
    ks = fold_ks(spotter, data, folds, stride, fps)
    config = base_config(spotter.name, {**(parameters or {}), **spotter.as_dict(), "stride_frames": stride,
                                        "protocol": "loso", "folds": len(folds)})
    config["dataset"] = {"database": data.database, "sources": data.sources, "layout": data.layout,
                         "recordings": len(data.recordings), "intervals": int(len(data.truth)),
                         "by_type": data.truth["type"].value_counts().to_dict()}
    run.mark()
    if not run.file("config.json").exists() or not run.resume:
        write_json(run.file("config.json"), config)
    write_csv(existing, splits)

    needed = sorted({k for by_type in ks.values() for k in by_type.values()})
    failures: dict[int, str] = {}
    traces = run_guarded(_traces_worker, ([spotter, recording, needed, stride, str(cache) if cache else None]
                                          for recording in data.recordings),
                         n_jobs=n_jobs, backend=backend, what="recordings", failures=failures)
    problems = list(data.problems)
    prepared = []
    for index, (recording, found) in enumerate(zip(data.recordings, traces)):
        key = sample_key(recording.database, recording.subject, recording.video)
        if found is None:
            problems.append(Problem("bad-recording", failures[index], None, key, str(recording.frames[0].parent)))
            continue
        for start, end in _gaps(found["present"], recording.numbers):
            problems.append(Problem("no-face", f"frames {start}-{end}: no face, nothing spotted there", None, key,
                                    str(recording.frames[0].parent)))
        prepared.append(Prepared(recording.key, recording.numbers, found["present"],
                                 {k: found[k] for k in needed}))
    write_csv(run.file("validation.csv"), problems_frame(problems))
    truth_by_type = {kind: {} for kind in TYPES}
    for row in data.truth.itertuples(index=False):
        truth_by_type[row.type].setdefault((row.subject, row.video), []).append((int(row.onset), int(row.offset)))
    learned = spotter.learned
    chosen_classes = truth_classes(data, spotter.classes if spotter.recognize else None)
    if learned:
        from .learned import learned_folds

        learned_folds(spotter, run, data, prepared, folds, ks, stride, fps, truth_by_type, chosen_classes,
                      fold=fold, echo=echo)

    for number, subject, train, test in ([] if learned else folds_to_run(folds, fold, run, prepared, echo)):
        settings, rows = {}, []
        for kind in TYPES:
            chosen = tune(spotter, train, truth_by_type[kind], ks[number][kind],
                          spotter.bounds_for(type_lengths(data.truth, kind, subject), fps, kind))
            settings[kind] = chosen.as_dict()
            for item in test:
                for onset, offset, peak in spot(spotter, item, chosen):
                    rows.append((item.key[0], item.key[1], onset, offset, kind, round(peak, 6)))
        write_csv(run.fold_file(number), pd.DataFrame(rows, columns=INTERVAL_COLUMNS))
        write_json(run.fold_file(number, "json"), {"fold": number, "subject": subject, "settings": settings,
                                                   "chosen_on": "the training subjects' recordings and truth"})
        run.log(f"fold {number} ({subject}): {len(rows)} intervals; settings {settings}")
        echo(f"fold {number} ({subject}): {len(rows)} interval(s) spotted")
    missing = [number for number in folds if not run.fold_file(number).exists()]
    if missing:
        echo(f"{len(missing)} fold(s) still to run: {', '.join(map(str, missing))}")
        return None
    if learned:
        from .learned import final_models

        final, prepared, chosen_on = final_models(spotter, run, data, prepared, folds, ks, stride, fps, truth_by_type,
                                                  chosen_classes, echo=echo)
    else:
        final = {kind: tune(spotter, prepared, truth_by_type[kind], ks[None][kind],
                            spotter.bounds_for(type_lengths(data.truth, kind), fps, kind)) for kind in TYPES}
        chosen_on = f"every subject of the run ({len(subjects)}): for new recordings, never for this run's folds"
    write_json(run.file("settings.json"), {
        "format": SETTINGS_FORMAT, "version": 1, "spotter": spotter.as_dict(), "fps": fps, "stride": stride,
        "settings": {kind: chosen.as_dict() for kind, chosen in final.items()}, "chosen_on": chosen_on,
        **({"classes": list(chosen_classes.classes)} if chosen_classes is not None and learned else {})})
    return finish(spotter, run, data, prepared, folds, figures=figures, aus=aus, emotions=emotions,
                  classes=chosen_classes)


def truth_classes(data, classes):
    """The class set (``--classes``) of the truth's emotions, or None without one; one line when the truth
    holds no emotion at all."""
    if classes is None:
        return None
    from ..databases.classes import SAMMLV_EMOTIONS, class_set, normalise

    labels = data.truth["emotion"].map(normalise) if "emotion" in data.truth else None
    if labels is None or labels.eq("").all():
        extra = SAMMLV_EMOTIONS if data.database == "sammlv" else ""
        raise MeauError(f"{data.database}: the truth intervals have no emotion{extra}; recognising needs them")
    return class_set(classes, databases=[data.database], labels=labels)


def finish(spotter, run, data, prepared, folds, *, figures: bool = True, aus=None, emotions=None, classes=None) -> dict:
    """``intervals.csv`` (with the AUs of each interval by ``aus``: (AU run, its predictor), its emotion by
    ``emotions``: (emotion run, its predictor)), ``metrics.json`` (with the STR analysis of the emotions
    against the truth's, under the class set ``classes``) and the figures once every fold is there."""
    import json

    import pandas as pd

    from ..outputs import write_csv, write_json
    from .intervals import CONVENTIONS

    frames = [pd.read_csv(run.fold_file(number), dtype={"subject": str, "video": str}) for number in folds]
    intervals = pd.concat(frames, ignore_index=True).sort_values(["subject", "video", "onset", "type"],
                                                                 kind="stable").reset_index(drop=True)
    for describe in (aus, emotions):  # each interval's AUs, its emotion: the same path
        if describe is not None:
            from .aus import interval_aus, recording_clips

            recordings = {recording.key: recording for recording in data.recordings}
            intervals = interval_aus(intervals, recording_clips(recordings), describe[0], predictor=describe[1])
    if emotions is not None:
        classes = emotion_run_classes(*emotions, data)
    write_csv(run.file("intervals.csv"), intervals)
    predictions = [((s, v), int(a), int(b), t) for s, v, a, b, t in
                   intervals[["subject", "video", "onset", "offset", "type"]].itertuples(index=False)]
    truth = [((s, v), int(a), int(b), t) for s, v, a, b, t in
             data.truth[["subject", "video", "onset", "offset", "type"]].itertuples(index=False)]
    metrics, notes = spotting_counts(predictions, truth)
    metrics = {**metrics, "conventions": CONVENTIONS, "notes": notes, "videos_keyed_by": "subject and video",
               "by_subject": by_subject(predictions, truth)}
    if "emotion" in intervals and classes is not None:
        from ..databases.classes import interval_class
        from .score import analysis, str_pairs

        pairs = str_pairs(predictions, truth)
        truth_labels = [interval_class(classes, label) for label in data.truth["emotion"]]
        predicted = [str(label) if label == label else "" for label in intervals["emotion"]]
        found = analysis([predicted[p] for p, _ in pairs], [truth_labels[t] for _, t in pairs], classes.classes)
        metrics["analysis"] = {"label": "emotion", **found}
        metrics["strs"] = metrics["overall"]["f1"] * found["f1"]
    write_json(run.file("metrics.json"), metrics)
    run.log("metrics written")
    if figures:
        chosen = [json.loads(run.fold_file(number, "json").read_text()) for number in folds]
        settings = {fold["subject"]: fold["settings"] for fold in chosen}
        for item in prepared:
            spotting_figure(spotter, item, settings.get(item.key[0]), intervals, data.truth, data.recordings[0].fps,
                            run.file("figures") / f"{_file_name(item.key)}.png")
    return metrics


def by_subject(predictions, truth) -> dict:
    """Per subject and type, the MEGC counts (truth, predictions, tp): what ``meau report`` resamples for its
    subject-level intervals and paired tests. Records as :func:`~meau.spotting.score.spotting_counts` takes them,
    keyed by (subject, video)."""
    subjects = sorted({key[0] for key, *_ in truth} | {key[0] for key, *_ in predictions})
    found = {}
    for subject in subjects:
        counts, _ = spotting_counts([r for r in predictions if r[0][0] == subject], [r for r in truth if r[0][0] == subject])
        found[subject] = {kind: {name: counts[kind][name] for name in ("truth", "predictions", "tp")} for kind in TYPES}
    return found


def emotion_run_classes(source, predictor, data):
    """The class set an emotion run (``--emotions-from``) was trained under, for the truth's labels: its
    ``classes`` (megc, a file …) where the long-video database has it, else the labels as written."""
    import json
    from pathlib import Path

    from ..databases.classes import ClassSet, class_set

    name = None
    config = Path(source) / "config.json"
    if config.is_file():
        name = json.loads(config.read_text()).get("parameters", {}).get("classes")
    try:
        chosen = class_set(name, databases=[data.database], labels=data.truth["emotion"]) if name else None
    except MeauError:
        chosen = None
    if chosen is None or list(chosen.classes) != list(predictor.au_columns):
        chosen = ClassSet("the emotion run's", tuple(predictor.au_columns),
                          None if chosen is None else chosen.mapping)
    return chosen


def _file_name(key) -> str:
    from ..outputs import folder_name

    return folder_name(f"{key[0]}_{key[1]}" if not str(key[1]).startswith(str(key[0])) else key[1])


def spotting_figure(spotter, item, settings, intervals, truth, fps: float, path, gaps=None) -> None:
    """One recording: per type, the frame score and its threshold over time, the truth intervals
    (green, when ``truth`` is given), the spotted ones (red) and the stretches without the face (grey,
    labelled; ``gaps``: (first, last) frame numbers, else those of ``item.present``) on the same time axis."""
    from ..figures import pyplot, save_figure

    if not settings:
        return
    plt = pyplot()
    figure, axes = plt.subplots(len(TYPES), 1, figsize=(10, 1.9 * len(TYPES)), sharex=True, squeeze=False)
    seconds = (np.asarray(item.numbers) - item.numbers[0]) / fps
    if gaps is None:
        gaps = _gaps(item.present, item.numbers)
    for axis, kind in zip(axes[:, 0], TYPES):
        chosen = TypeSettings.from_dict(settings[kind])
        score = spotted_score(spotter, item.of(kind), chosen)
        axis.plot(seconds, score, color="0.25", linewidth=0.8, label="score")
        threshold = threshold_of(score, chosen.p)
        if np.isfinite(threshold):
            axis.axhline(threshold, color="tab:red", linestyle="--", linewidth=0.8, label=f"threshold (p {chosen.p:g})")
        to_seconds = lambda frame: (frame - item.numbers[0]) / fps  # noqa: E731
        rows = truth[(truth["subject"] == item.key[0]) & (truth["video"] == item.key[1]) & (truth["type"] == kind)] \
            if truth is not None else intervals.iloc[:0]
        for onset, offset in zip(rows["onset"], rows["offset"]):
            axis.axvspan(to_seconds(onset), to_seconds(offset), color="tab:green", alpha=0.25, linewidth=0)
        spotted = intervals[(intervals["subject"] == item.key[0]) & (intervals["video"] == item.key[1]) &
                            (intervals["type"] == kind)]
        for onset, offset in zip(spotted["onset"], spotted["offset"]):
            axis.axvspan(to_seconds(onset), to_seconds(offset), ymin=0.0, ymax=0.12, color="tab:red", alpha=0.8,
                         linewidth=0)
        for number, (first, last) in enumerate(gaps):
            axis.axvspan(to_seconds(first), to_seconds(last + 1), color="0.6", alpha=0.3, hatch="//", linewidth=0,
                         label="no face: nothing spotted" if number == 0 else None)
        axis.set_ylabel(f"{kind}\nscore", fontsize=8)
        what = "truth (green), spotted (red)" if truth is not None else "spotted (red)"
        axis.set_title(f"{' '.join(map(str, item.key))}, {kind}: {what}, k = {chosen.k}", fontsize=8, loc="left")
        axis.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    figure.tight_layout()
    save_figure(figure, path)
