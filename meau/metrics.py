"""Per-AU binary metrics, pooled over folds and per fold.

F1 is the binary F1 of the positive class ("AU present"), with ``zero_division=0``. AVG is the
unweighted mean over AUs. "Macro F1" (mean of the positive- and negative-class F1) is a different
number and is always named as such.
"""

from __future__ import annotations

import numpy as np

METRICS = ("f1", "precision", "recall", "accuracy", "macro_f1")


def binary_metrics(truth, decision) -> dict[str, float]:
    """Metrics of one AU. ``truth`` and ``decision`` are 0/1 arrays of the same length."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    truth = np.asarray(truth).astype(int)
    decision = np.asarray(decision).astype(int)
    return {
        "f1": float(f1_score(truth, decision, zero_division=0)),
        "precision": float(precision_score(truth, decision, zero_division=0)),
        "recall": float(recall_score(truth, decision, zero_division=0)),
        "accuracy": float(accuracy_score(truth, decision)),
        "macro_f1": float(f1_score(truth, decision, average="macro", labels=[0, 1], zero_division=0)),
        "positives": int(truth.sum()),
        "samples": int(len(truth)),
    }


def binary_f1(truth, decision) -> float:
    """F1 of the positive class, 0 where there is no positive in truth or decision (scikit-learn's
    ``f1_score(zero_division=0)``, without its input checks: it runs for every (target, C) of a fold)."""
    truth, decision = np.asarray(truth).astype(bool), np.asarray(decision).astype(bool)
    true_positives = np.count_nonzero(truth & decision)
    denominator = np.count_nonzero(truth) + np.count_nonzero(decision)
    return 2.0 * true_positives / denominator if denominator else 0.0


def unweighted_f1(truth, predicted, classes: int) -> float:
    """UF1: the mean over ``classes`` class indices of each class's F1 (0 for a class never predicted and
    absent), as :func:`meau.metrics.class_metrics` computes it."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    f1 = [binary_f1(truth == k, predicted == k) for k in range(classes)]
    return float(np.mean(f1))


def evaluate(truth, decision, folds, au_names) -> dict:
    """Pooled and per-fold metrics for every AU, with AVG.

    Parameters
    ----------
    truth, decision : arrays (n, m) of 0/1
    folds : array (n,) test fold of each row
    au_names : list of m names (``AU01`` ...)

    Returns
    -------
    dict with ``pooled`` (AU -> metrics, plus ``AVG``), ``per_fold`` (AU -> metric -> mean/std/values)
    and ``folds``.
    """
    truth = np.asarray(truth)
    decision = np.asarray(decision)
    folds = np.asarray(folds)
    fold_ids = [int(fold) for fold in np.unique(folds)]
    pooled = {name: binary_metrics(truth[:, j], decision[:, j]) for j, name in enumerate(au_names)}
    pooled["AVG"] = {key: float(np.mean([pooled[name][key] for name in au_names])) for key in METRICS}
    per_fold: dict = {}
    for j, name in enumerate(au_names):
        values = [binary_metrics(truth[folds == fold, j], decision[folds == fold, j]) for fold in fold_ids]
        per_fold[name] = {key: _summary([value[key] for value in values]) for key in METRICS}
    per_fold["AVG"] = {
        key: _summary([float(np.mean([per_fold[name][key]["values"][i] for name in au_names])) for i in range(len(fold_ids))])
        for key in METRICS
    }
    return {
        "definitions": {
            "f1": "binary F1 of the positive class (AU present), zero_division=0",
            "macro_f1": "macro F1: mean of positive- and negative-class F1 (not the paper's F1)",
            "pooled": "metrics on the test predictions of all folds together (primary)",
            "per_fold": "mean and standard deviation over folds of per-fold metrics",
            "AVG": "unweighted mean over AUs",
        },
        "aus": list(au_names),
        "folds": fold_ids,
        "pooled": pooled,
        "per_fold": per_fold,
    }


def best_f1_thresholds(truth, probabilities, *, default: float = 0.5) -> list[float]:
    """Per AU, the decision threshold (``probability >= t``) that maximises F1 on these samples.

    Meant for validation folds only: the thresholds are then applied unchanged to the test fold.
    The candidates are midpoints between consecutive distinct probabilities (and the lowest one);
    ties go to the candidate nearest ``default``. An AU without a positive keeps ``default``.

    Parameters
    ----------
    truth : 0/1 array (n, m)
    probabilities : float array (n, m)
    """
    truth = np.asarray(truth).astype(int).reshape(len(truth), -1)
    probabilities = np.asarray(probabilities, dtype=float).reshape(truth.shape)
    thresholds = []
    for j in range(truth.shape[1]):
        positives = truth[:, j].sum()
        if positives == 0 or len(truth) == 0:
            thresholds.append(float(default))
            continue
        values = np.unique(probabilities[:, j])[::-1]  # distinct, descending
        below = np.append(values[1:], values[-1])
        candidates = np.where(values > below, (values + below) / 2, values)
        order = np.argsort(-probabilities[:, j], kind="stable")
        sorted_probabilities = probabilities[order, j]
        cumulative_tp = np.cumsum(truth[order, j])
        # predicted positives at threshold "p >= value_k" = number of probabilities >= value_k
        predicted = np.searchsorted(-sorted_probabilities, -values, side="right")
        tp = cumulative_tp[predicted - 1]
        f1 = 2 * tp / (predicted + positives)
        best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))
        thresholds.append(float(candidates[best[np.argmin(np.abs(candidates[best] - default))]]))
    return thresholds


def platt_calibration(scores, truth) -> tuple[float, float, float]:
    """``(a, b, t)``: the probability ``1 / (1 + exp(-(a * score + b)))`` of an AU given a classifier score,
    fitted (logistic, Platt) on out-of-fold scores and their truth, and ``t`` the probability of a score of 0.

    Where the scores say nothing about the truth (one class only, or a slope that is not positive) the
    probability is the prevalence for every score, and ``t = 1``: the AU is never decided present.
    """
    from sklearn.linear_model import LogisticRegression

    scores = np.asarray(scores, dtype=float).reshape(-1, 1)
    truth = np.asarray(truth).astype(int).ravel()
    slope, intercept = 0.0, 0.0
    if len(np.unique(truth)) == 2:
        platt = LogisticRegression().fit(scores, truth)
        slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    if slope <= 0:
        prevalence = truth.mean() if len(truth) else 0.0
        return 0.0, float(np.log((prevalence + 1e-6) / (1 - prevalence + 1e-6))), 1.0
    return slope, intercept, float(1 / (1 + np.exp(-intercept)))


def calibrated(scores, slope: float, intercept: float) -> np.ndarray:
    """Probabilities of a Platt calibration ``(slope, intercept)`` (see :func:`platt_calibration`)."""
    return 1 / (1 + np.exp(-(slope * np.asarray(scores, dtype=float) + intercept)))


def _summary(values) -> dict:
    values = [float(value) for value in values]
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "values": values}


def combine_seeds(results: list[dict], seeds: list[int]) -> dict:
    """Mean (and, in ``across_seeds``, mean/std/values) over seeds of every pooled and per-fold metric."""
    first = results[0]
    if first.get("target") == "emotion":
        return _combine_class_seeds(results, seeds)
    names = list(first["pooled"])
    pooled, per_fold, across = {}, {}, {}
    for name in names:
        keys = [key for key, value in first["pooled"][name].items() if isinstance(value, (int, float))]
        pooled[name] = {key: float(np.mean([r["pooled"][name][key] for r in results])) for key in keys}
        if "positives" in first["pooled"][name]:
            pooled[name]["positives"] = first["pooled"][name]["positives"]
        across[name] = {key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": v}
                        for key in keys if key not in ("positives", "samples")
                        for v in [[float(r["pooled"][name][key]) for r in results]]}
        per_fold[name] = {key: {"mean": float(np.mean([r["per_fold"][name][key]["mean"] for r in results])),
                                "std": float(np.mean([r["per_fold"][name][key]["std"] for r in results]))}
                          for key in first["per_fold"][name]}
    definitions = dict(first["definitions"])
    definitions["across_seeds"] = "mean and standard deviation over seeds of the pooled metrics"
    definitions["pooled"] += "; mean over seeds"
    return {"definitions": definitions, "aus": first["aus"], "seeds": seeds, "folds": first["folds"],
            "pooled": pooled, "per_fold": per_fold, "across_seeds": across}


# -- emotion classes (the MEGC2019 guideline's metrics) --------------------------------------------------
CLASS_SUMMARIES = ("uf1", "uar", "accuracy", "mean_precision", "weighted_f1")
CLASS_DEFINITIONS = {
    "uf1": "unweighted F1: mean over the classes of F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c), counts pooled over "
           "all folds (MEGC2019)",
    "uar": "unweighted average recall: mean over the classes of TP_c / n_c (MEGC2019)",
    "accuracy": "correct predictions / samples",
    "mean_precision": "mean over the classes of TP_c / (TP_c + FP_c): NOT the UAR, although several published "
                      "tables print it under that name",
    "weighted_f1": "F1_c weighted by the classes' supports",
    "classes": "every class counts in the means, also one never predicted or without samples (F1 0, recall 0)",
}


def class_metrics(truth, predicted, classes) -> dict:
    """UF1, UAR, accuracy, mean precision, weighted F1, per-class precision/recall/F1/support and the confusion
    matrix (rows truth, columns prediction, in ``classes`` order) of one set of predictions.

    Every class of ``classes`` counts in the means, also one that is never predicted or has no sample (its F1
    and recall are 0; ``notes`` says so). A prediction outside ``classes`` is an error of its truth class.
    """
    classes = list(classes)
    truth = np.asarray(truth, dtype=object).astype(str)
    predicted = np.asarray(predicted, dtype=object).astype(str)
    if truth.shape != predicted.shape:
        raise ValueError(f"truth and predictions differ in length ({len(truth)} and {len(predicted)})")
    index = {name: k for k, name in enumerate(classes)}
    rows = np.array([index.get(value, -1) for value in truth])
    columns = np.array([index.get(value, -1) for value in predicted])
    if (rows < 0).any():
        raise ValueError(f"truth label {truth[rows < 0][0]!r} is not one of the classes {', '.join(classes)}")
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    inside = columns >= 0
    np.add.at(confusion, (rows[inside], columns[inside]), 1)
    support = np.bincount(rows, minlength=len(classes))
    tp = np.diag(confusion).astype(float)
    fp = confusion.sum(axis=0) - tp
    fn = support - tp

    def ratio(top, bottom):
        return np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom > 0)

    f1, recall, precision = ratio(2 * tp, 2 * tp + fp + fn), ratio(tp, support), ratio(tp, tp + fp)
    total = len(truth)
    notes = [f"{name}: no sample and never predicted (F1 0, recall 0, counted in the means)"
             for k, name in enumerate(classes) if support[k] == 0 and tp[k] + fp[k] == 0]
    notes += [f"{name}: never predicted (F1 0)" for k, name in enumerate(classes) if support[k] and tp[k] + fp[k] == 0]
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} prediction(s) outside the classes, counted as errors")
    return {
        "uf1": float(f1.mean()), "uar": float(recall.mean()),
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "mean_precision": float(precision.mean()),
        "weighted_f1": float((f1 * support).sum() / total) if total else 0.0,
        "samples": int(total),
        "classes": {name: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
                           "support": int(support[k])} for k, name in enumerate(classes)},
        "confusion": confusion.tolist(),
        "notes": notes,
    }


def evaluate_classes(truth, predicted, folds, classes, databases=None) -> dict:
    """``metrics.json`` of an emotion run: the pooled metrics (counts summed over every fold), the mean and
    std over folds of each summary, and, for a composite (``databases``), each database's metrics computed on
    its rows of the same pooled predictions."""
    truth, predicted, folds = np.asarray(truth).astype(str), np.asarray(predicted).astype(str), np.asarray(folds)
    fold_ids = [int(fold) for fold in np.unique(folds)]
    per_fold_values = [class_metrics(truth[folds == fold], predicted[folds == fold], classes) for fold in fold_ids]
    result = {
        "target": "emotion",
        "definitions": {**CLASS_DEFINITIONS, "pooled": "metrics on the test predictions of all folds together "
                        "(primary)", "per_fold": "mean and standard deviation over folds"},
        "classes": list(classes),
        "folds": fold_ids,
        "pooled": class_metrics(truth, predicted, classes),
        "per_fold": {key: _summary([value[key] for value in per_fold_values]) for key in CLASS_SUMMARIES},
    }
    if databases is not None and len(np.unique(databases)) > 1:
        databases = np.asarray(databases).astype(str)
        result["by_database"] = {name: class_metrics(truth[databases == name], predicted[databases == name], classes)
                                 for name in np.unique(databases)}
    return result


def _combine_class_seeds(results: list[dict], seeds: list[int]) -> dict:
    """:func:`combine_seeds` for emotion runs: the summaries and per-class metrics averaged over seeds, the
    confusion matrices summed (each seed predicts every sample once), the spread in ``across_seeds``."""
    first = results[0]
    pooled = {key: float(np.mean([r["pooled"][key] for r in results])) for key in CLASS_SUMMARIES}
    pooled["samples"] = first["pooled"]["samples"]
    pooled["classes"] = {name: {key: float(np.mean([r["pooled"]["classes"][name][key] for r in results]))
                                for key in ("precision", "recall", "f1")} | {"support": values["support"]}
                         for name, values in first["pooled"]["classes"].items()}
    pooled["confusion"] = np.sum([r["pooled"]["confusion"] for r in results], axis=0).tolist()
    pooled["notes"] = sorted({note for r in results for note in r["pooled"]["notes"]})
    across = {key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": v}
              for key in CLASS_SUMMARIES for v in [[float(r["pooled"][key]) for r in results]]}
    per_fold = {key: {"mean": float(np.mean([r["per_fold"][key]["mean"] for r in results])),
                      "std": float(np.mean([r["per_fold"][key]["std"] for r in results]))} for key in CLASS_SUMMARIES}
    definitions = dict(first["definitions"])
    definitions["across_seeds"] = "mean and standard deviation over seeds of the pooled metrics"
    definitions["pooled"] += "; mean over seeds (the confusion matrix summed over seeds)"
    combined = {"target": "emotion", "definitions": definitions, "classes": first["classes"], "seeds": seeds,
                "folds": first["folds"], "pooled": pooled, "per_fold": per_fold, "across_seeds": across}
    if "by_database" in first:
        combined["by_database"] = {name: {key: float(np.mean([r["by_database"][name][key] for r in results]))
                                          for key in CLASS_SUMMARIES} for name in first["by_database"]}
    return combined
