"""Emotion recognition: every sample has one class of a class set (:mod:`meau.tasks.classes`).

The methods train one binary target per class (one-vs-rest; :func:`targets` is the one-hot matrix) and
decide the class of highest score. ``predictions.csv`` holds per sample the truth ``emotion``, the decision
``predicted`` and per class ``p_<class>`` (and an SVM's raw ``score_<class>``); ``metrics.json`` the MEGC2019
guideline's metrics (:func:`meau.metrics.evaluate_classes`): UF1, UAR, accuracy, mean precision, weighted F1,
per class and the confusion matrix, pooled over folds, per fold and per database of a composite.
"""

from __future__ import annotations

import dataclasses

import numpy as np

NAME = "emotion"
COLUMN = "emotion_class"  # the class of each sample in a dataset's table (the sheet's label stays in ``emotion``)


def target_names(dataset) -> list[str]:
    return list(dataset.classes)


def targets(dataset) -> np.ndarray:
    """(n, C) one-hot: sample i's class."""
    labels = dataset.table[COLUMN].to_numpy()
    return (labels[:, None] == np.asarray(dataset.classes)[None, :]).astype(int)


def class_indices(dataset) -> np.ndarray:
    return targets(dataset).argmax(axis=1)


def with_classes(labels, classes: str = "megc", *, source: str = "emotion"):
    """``labels`` (a Labels or Dataset) for emotion recognition: each sample's class (``emotion_class``) under
    the class set ``classes`` (megc, five, all or a TOML file) of its ``source`` column (``emotion``, or
    ``objective`` for the objective classes); a sample outside the set is left out and listed
    (``outside-classes``, naming its label), its AU columns dropped."""
    from ..databases.sheets import Problem
    from ..errors import MeauError
    from .classes import class_set, normalise

    table = labels.table
    if source not in table or table[source].map(normalise).eq("").all():
        names = ", ".join(sorted({str(found.get("database")) for found in labels.sources}))
        what = "objective classes" if source == "objective" else "emotion labels"
        raise MeauError(f"{names}: the sheet has no {what}; --target {source} needs them")
    readers = [found.get("database") for found in labels.sources]
    chosen = class_set(classes, databases=readers, labels=table[source])
    mapped = table[source].map(chosen.class_of)
    problems = list(labels.problems)
    for row in table[mapped.isna()].to_dict("records"):
        label = normalise(row.get(source)) or "(empty)"
        problems.append(Problem("outside-classes", f"{source} {label!r} is not one of the {chosen.name} classes "
                                f"({', '.join(chosen.classes)})", int(row["row"]) if row.get("row") is not None else None,
                                f"{row['database']}/{row['subject']}/{row['clip']}/{row['onset']}"))
    kept = table[mapped.notna()].drop(columns=list(labels.au_columns)).reset_index(drop=True)
    if kept.empty:
        raise MeauError(f"no sample has an emotion among the {chosen.name} classes ({', '.join(chosen.classes)})")
    kept[COLUMN] = mapped[mapped.notna()].to_numpy()
    return dataclasses.replace(labels, table=kept, au_columns=[], problems=problems, classes=list(chosen.classes))


def left_out_by_label(dataset) -> dict[str, int]:
    """How many samples each label left out (the ``outside-classes`` problems)."""
    from collections import Counter

    return dict(Counter(problem.message.split("'")[1] for problem in dataset.problems
                        if problem.kind == "outside-classes"))


def decide(scores) -> np.ndarray:
    """One-hot decisions (n, C): the class of highest score (ties: the first class)."""
    scores = np.asarray(scores, dtype=float)
    decisions = np.zeros(scores.shape, dtype=int)
    if len(scores):
        decisions[np.arange(len(scores)), scores.argmax(axis=1)] = 1
    return decisions


def fold_predictions(dataset, rotation, result):
    """The rows of ``folds/fold_i.csv``: keys, fold, the truth ``emotion``, the decision ``predicted`` and per
    class the score (``p_<class>`` for probabilities, ``score_<class>`` for a classifier's margins)."""
    from ..databases import KEY_COLUMNS

    frame = dataset.table.iloc[rotation.test][KEY_COLUMNS].reset_index(drop=True).copy()
    frame["fold"] = rotation.fold
    frame["emotion"] = dataset.table.iloc[rotation.test][COLUMN].to_numpy()
    classes = np.asarray(dataset.classes)
    frame["predicted"] = classes[np.asarray(result.decisions).argmax(axis=1)] if len(frame) else []
    prefix = "p_" if result.kind == "probability" else "score_"
    for k, name in enumerate(dataset.classes):
        frame[f"{prefix}{name}"] = np.round(np.asarray(result.scores, dtype=float)[:, k], 6)
    return frame


def with_probabilities(predictions, classes):
    """``p_<class>`` beside the raw ``score_<class>`` of an SVM run: per class a Platt calibration on the
    out-of-fold scores (one-vs-rest truth), normalised to sum 1 over the classes; the decisions stay the
    method's (the class of highest score)."""
    from ..metrics import calibrated, platt_calibration

    raw = [f"score_{name}" for name in classes]
    if not all(column in predictions for column in raw) or any(f"p_{name}" in predictions for name in classes):
        return predictions
    predictions = predictions.copy()
    probabilities = np.column_stack([
        calibrated(predictions[column], *platt_calibration(predictions[column], predictions["emotion"] == name)[:2])
        for column, name in zip(raw, classes)])
    probabilities /= np.maximum(probabilities.sum(axis=1, keepdims=True), 1e-12)
    for k, name in enumerate(classes):
        predictions[f"p_{name}"] = np.round(probabilities[:, k], 6)
    return predictions


def evaluate(predictions, dataset) -> tuple:
    """(``predictions.csv`` with probabilities, ``metrics.json``) from the gathered fold predictions."""
    from ..metrics import evaluate_classes

    predictions = with_probabilities(predictions, dataset.classes)
    metrics = evaluate_classes(predictions["emotion"], predictions["predicted"], predictions["fold"], dataset.classes,
                               predictions["database"])
    return predictions, metrics


def constant(dataset, rotation):
    """The constant baseline: the majority class of the training folds (ties: the first class)."""
    counts = targets(dataset)[rotation.train].sum(axis=0)
    scores = np.tile(np.eye(len(dataset.classes))[int(np.argmax(counts))], (len(rotation.test), 1))
    return scores, scores.astype(int), f"predict the training folds' majority class ({dataset.classes[int(np.argmax(counts))]})"
