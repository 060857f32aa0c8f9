"""AU detection: one binary target per AU column; F1 of the positive class per AU, AVG over AUs."""

from __future__ import annotations

import numpy as np

NAME = "aus"


def target_names(dataset) -> list[str]:
    return list(dataset.au_columns)


def targets(dataset) -> np.ndarray:
    """(n, m) 0/1: the AU columns."""
    return dataset.table[dataset.au_columns].to_numpy().astype(int)


def fold_predictions(dataset, rotation, result):
    """The rows of ``folds/fold_i.csv``: keys, fold, per AU the truth, the score (``AU01_p`` for a
    probability, ``AU01_score`` for a classifier's margin) and the decision ``AU01_c``."""
    from ..databases import KEY_COLUMNS

    frame = dataset.table.iloc[rotation.test][KEY_COLUMNS].reset_index(drop=True).copy()
    frame["fold"] = rotation.fold
    truth = dataset.table.iloc[rotation.test][dataset.au_columns].to_numpy()
    suffix = "_p" if result.kind == "probability" else "_score"
    for j, column in enumerate(dataset.au_columns):
        frame[column] = truth[:, j].astype(int)
        frame[f"{column}{suffix}"] = np.round(np.asarray(result.scores)[:, j].astype(float), 6)
        frame[f"{column}_c"] = np.asarray(result.decisions)[:, j].astype(int)
    return frame


def with_probabilities(predictions, au_columns):
    """``predictions`` with ``AU_p`` beside every raw ``AU_score``: the Platt calibration ``predict`` uses,
    fitted on these out-of-fold scores (it describes the scores; the decisions ``AU_c`` stay the method's)."""
    from ..metrics import calibrated, platt_calibration

    predictions = predictions.copy()
    for column in au_columns:
        raw = f"{column}_score"
        if raw in predictions and f"{column}_p" not in predictions:
            slope, intercept, _ = platt_calibration(predictions[raw], predictions[column])
            predictions.insert(predictions.columns.get_loc(raw), f"{column}_p",
                               np.round(calibrated(predictions[raw], slope, intercept), 6))
    return predictions


def evaluate(predictions, dataset) -> tuple:
    """(``predictions.csv`` with probabilities, ``metrics.json``) from the gathered fold predictions."""
    from ..metrics import evaluate as evaluate_aus

    au_columns = dataset.au_columns
    predictions = with_probabilities(predictions, au_columns)
    metrics = evaluate_aus(predictions[au_columns].to_numpy(), predictions[[f"{c}_c" for c in au_columns]].to_numpy(),
                           predictions["fold"].to_numpy(), au_columns)
    return predictions, metrics


def constant(dataset, rotation):
    """The constant baseline's decisions: every AU present (its F1 is 2p / (1 + p))."""
    shape = (len(rotation.test), len(dataset.au_columns))
    return np.ones(shape), np.ones(shape, dtype=int), "predict every AU present"
