"""The folds of a learned spotter (:mod:`meau.spotting.softnet`): per fold and type a network and its settings
from the training subjects, checkpointed; the test subject's intervals (and emotions) from them.

Run folder, beside what every spotting run writes: ``checkpoints/fold_i_<type>.pt`` (the fold's network, its
input scale and what was chosen; read back with ``weights_only=True``: the unit of ``--resume`` within a
fold) and ``models/<type>.pt``, the networks for new recordings (``--run``), trained on every subject for
the median of the folds' epochs, their smoothing and ``p`` chosen on the folds' out-of-fold scores.
"""

from __future__ import annotations

import numpy as np

from .peaks import TypeSettings, tune
from .score import TYPES


def _labelled(data, kind: str, classes) -> dict:
    """key -> [(onset, offset, class or None)] of one type's truth intervals."""
    out: dict = {}
    rows = data.truth[data.truth["type"] == kind]
    labels = rows["emotion"] if "emotion" in rows else [None] * len(rows)
    for (subject, video, onset, offset), label in zip(rows[["subject", "video", "onset", "offset"]].itertuples(
            index=False), labels):
        out.setdefault((subject, video), []).append(
            (int(onset), int(offset), classes.class_of(label) if classes is not None else None))
    return out


def interval_rows(spotter, result, chosen, kind: str, class_names) -> list[tuple]:
    """One type's spotted intervals of one scored recording (:class:`~meau.spotting.softnet.Scored`), each
    ``(subject, video, onset, offset, type, score[, emotion, p_<class>…])``."""
    from .peaks import spot_intervals, spotted_score
    from .softnet import interval_emotion

    score = spotted_score(spotter, result.item, chosen)  # once: the intervals and their emotions read it
    rows = []
    for onset, offset, peak in spot_intervals(score, chosen.k, chosen.p, chosen.length, result.item.numbers,
                                              spotter.rule, not spotter.keep_overlapping):
        row = (result.item.key[0], result.item.key[1], onset, offset, kind, round(peak, 6))
        if class_names:
            emotion, probabilities = interval_emotion(result, score, onset, offset, chosen.k, class_names)
            row += (emotion, *(round(float(p), 6) for p in probabilities))
        rows.append(row)
    return rows


def emotion_columns(class_names) -> list[str]:
    """The columns a learned spotter's emotion head adds to its intervals (none without one)."""
    return ["emotion", *(f"p_{name}" for name in class_names)] if class_names else []


def learned_folds(spotter, run, data, prepared, folds, ks, stride, fps, truth_by_type, classes, *, fold=None,
                  echo=print) -> None:
    """Train, tune and spot every fold (or ``fold``) not done yet; ``folds/fold_i.csv`` and ``.json`` as every
    spotter writes them."""
    import pandas as pd

    from ..outputs import write_csv, write_json
    from .folds import INTERVAL_COLUMNS, folds_to_run, type_lengths
    from .softnet import load_model, save_model, scored, train_fold

    class_names = list(classes.classes) if classes is not None else []
    labelled = {kind: _labelled(data, kind, classes) for kind in TYPES}
    for number, subject, train, test in folds_to_run(folds, fold, run, prepared, echo):
        settings, rows = {}, []
        for kind in TYPES:
            k = ks[number][kind]
            checkpoint = run.output.file("checkpoints", f"fold_{number}_{kind}.pt")
            if run.resume and checkpoint.exists():
                model, scale, meta = load_model(checkpoint)
                echo(f"fold {number} ({subject}), {kind}: network kept from {checkpoint.name}")
            else:
                bounds = spotter.bounds_for(type_lengths(data.truth, kind, subject), fps, kind)
                model, scale, chosen, record = train_fold(spotter, train, truth_by_type[kind], labelled[kind], k, bounds,
                                                          stride, class_names or None, spotter.seed + 1000 * number)
                meta = {"fold": number, "subject": subject, "type": kind, "k": k, "stride": stride,
                        "classes": class_names, "settings": chosen.as_dict(), "record": record}
                save_model(checkpoint, model, scale, meta)
                echo(f"fold {number} ({subject}), {kind}: {record['epochs']} epoch(s), inner validation F1 "
                     f"{chosen.training_f1:.4f}")
            chosen = TypeSettings.from_dict(meta["settings"])
            settings[kind] = {**chosen.as_dict(), "epochs": meta["record"]["epochs"],
                              "training_s": meta["record"].get("training_s")}
            for item in test:
                rows += interval_rows(spotter, scored(model, scale, item, k, stride), chosen, kind, class_names)
        write_csv(run.fold_file(number), pd.DataFrame(rows, columns=INTERVAL_COLUMNS + emotion_columns(class_names)))
        write_json(run.fold_file(number, "json"), {
            "fold": number, "subject": subject, "settings": settings,
            "chosen_on": "the training subjects only: epochs, smoothing and p on the inner validation subjects "
                         "(a network trained on the other training subjects), weights on every training subject"})
        run.log(f"fold {number} ({subject}): {len(rows)} intervals; settings {settings}")
        echo(f"fold {number} ({subject}): {len(rows)} interval(s) spotted")


def final_models(spotter, run, data, prepared, folds, ks, stride, fps, truth_by_type, classes, *, echo=print):
    """(settings per type for new recordings, the recordings scored out of fold for the figures, what the
    settings were chosen on); writes ``models/<type>.pt``."""
    from .folds import type_lengths
    from .softnet import load_model, save_model, scored, train_all

    class_names = list(classes.classes) if classes is not None else []
    labelled = {kind: _labelled(data, kind, classes) for kind in TYPES}
    fold_of = {subject: number for number, subject in folds.items()}
    out_of_fold: dict = {}
    final = {}
    for kind in TYPES:
        epochs = []
        for number in folds:
            model, scale, meta = load_model(run.output.file("checkpoints", f"fold_{number}_{kind}.pt"))
            epochs.append(int(meta["record"]["epochs"]))
            k = ks[number][kind]
            for item in prepared:
                if fold_of[item.key[0]] == number:
                    out_of_fold.setdefault(item.key, {})[kind] = scored(model, scale, item, k, stride)
        k = ks[None][kind]
        rekeyed = [_at_k(out_of_fold[item.key][kind].item, k) for item in prepared]
        bounds = spotter.bounds_for(type_lengths(data.truth, kind), fps, kind)
        chosen = tune(spotter, rekeyed, truth_by_type[kind], k, bounds)
        count = max(1, int(np.median(epochs)))
        model, scale = train_all(spotter, prepared, labelled[kind], k, stride, class_names or None, count, spotter.seed)
        save_model(run.output.file("models", f"{kind}.pt"), model, scale,
                   {"type": kind, "k": k, "stride": stride, "fps": fps, "classes": class_names,
                    "settings": chosen.as_dict(), "record": {"epochs": count, "folds_epochs": epochs}})
        final[kind] = chosen
        echo(f"{kind}: the network for new recordings trained on every subject ({count} epoch(s))")
    figures = [ByKind(item.key, item.numbers, {kind: out_of_fold[item.key][kind].item for kind in TYPES})
               for item in prepared]
    chosen_on = ("smoothing and p: every subject's out-of-fold scores (each scored by the network of the fold that "
                 "tests it); weights: every subject, for the median of the folds' epochs. For new recordings, "
                 "never for this run's folds")
    return final, figures, chosen_on


def _at_k(item, k: int):
    from .peaks import Prepared

    return Prepared(item.key, item.numbers, item.present, {k: next(iter(item.traces.values()))})


class ByKind:
    """A recording scored per type (a learned spotter's score differs per type): what the figures draw."""

    def __init__(self, key, numbers, items: dict):
        self.key, self.numbers, self.items = key, numbers, items

    @property
    def present(self):
        """Where the face is: the same in every type's scores."""
        return next(iter(self.items.values())).present

    def of(self, kind: str):
        return self.items[kind]
