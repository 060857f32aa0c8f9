"""Emotion recognition: every sample has one class of a class set (:mod:`meau.databases.classes`).

The methods train one binary target per class (one-vs-rest; :func:`targets` is the one-hot matrix) and
decide the class of highest score. ``predictions.csv`` holds per sample the truth ``emotion``, the decision
``predicted`` and per class ``p_<class>`` (and an SVM's raw ``score_<class>``); ``metrics.json`` the MEGC2019
guideline's metrics (:func:`meau.metrics.evaluate_classes`): UF1, UAR, accuracy, mean precision, weighted F1,
per class and the confusion matrix, pooled over folds, per fold and per database of a composite.
"""

from __future__ import annotations

import numpy as np

# the task's labels: the class of each sample, how a dataset gets them and what they leave out
from ..databases.classes import COLUMN, left_out_by_label, with_classes  # noqa: F401

NAME = "emotion"


def target_names(dataset) -> list[str]:
    return list(dataset.classes)


def targets(dataset) -> np.ndarray:
    """(n, C) one-hot: sample i's class."""
    labels = dataset.table[COLUMN].to_numpy()
    return (labels[:, None] == np.asarray(dataset.classes)[None, :]).astype(int)


def class_indices(dataset) -> np.ndarray:
    return targets(dataset).argmax(axis=1)


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
