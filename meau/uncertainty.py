"""How sure a results table is: subject-level bootstrap intervals and paired permutation tests.

The clips of one subject share a face, a session and a coder, so they are not independent draws:
both procedures move whole subjects. Everything is computed from per-subject confusion counts
(TP, FP, FN, TN per AU), so a resample costs one matrix product and 10 000 of them take
milliseconds.

- :func:`bootstrap_interval`: draw the subjects with replacement (as many as there are), recompute
  the table's value (the metric per AU on the pooled counts, averaged over AUs, averaged over seeds)
  and take the percentile interval.
- :func:`paired_permutation`: under "the two methods are interchangeable", swapping their
  predictions for any subject changes nothing; the p-value is the share of random swaps (each subject
  swapped with probability 1/2) whose absolute difference reaches the observed one, counted as
  ``(1 + hits) / (1 + resamples)``. A method compared with itself gets exactly 1.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 10_000
SEED = 0
METRICS = ("f1", "precision", "recall", "accuracy", "macro_f1")
# an emotion table's columns, computed from per-class one-vs-rest counts (see class_values)
EMOTION = "emotion"
EMOTION_COLUMNS = ("UF1", "UAR", "Accuracy", "Mean precision")


def class_values(pooled) -> np.ndarray:
    """UF1, UAR, accuracy and mean precision (..., 4) from per-class one-vs-rest counts (..., C, 4) pooled over
    the samples: every class counts in the means (a class without samples or predictions with 0), as
    :func:`meau.metrics.class_metrics` computes them."""
    pooled = np.asarray(pooled, dtype=float)
    tp, fn = pooled[..., 0].sum(axis=-1), pooled[..., 2].sum(axis=-1)
    accuracy = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    return np.stack([metric_from_counts(pooled, "f1").mean(axis=-1), metric_from_counts(pooled, "recall").mean(axis=-1),
                     accuracy, metric_from_counts(pooled, "precision").mean(axis=-1)], axis=-1)


SPOTTING = "spotting"  # columns micro, macro, overall (counts: TP, FP, FN, 0), the MEGC F1 of each


def headline(metric: str) -> int:
    """The column a paired test compares and a table ranks by: AVG (last) for AUs, UF1 (first) for emotions,
    overall (third) for spotting."""
    return {EMOTION: 0, SPOTTING: 2}.get(metric, -1)


def subject_counts(truth, decision, subjects) -> tuple[np.ndarray, list]:
    """Confusion counts per subject and AU.

    Parameters
    ----------
    truth, decision : 0/1 arrays (n, m)
    subjects : array (n,) of subject keys (for composite data, database and subject together)

    Returns
    -------
    counts : int array (S, m, 4): TP, FP, FN, TN
    names : the S subject keys, sorted
    """
    truth = np.asarray(truth).astype(int)
    decision = np.asarray(decision).astype(int)
    names, index = np.unique(np.asarray(subjects).astype(str), return_inverse=True)
    cells = np.stack([truth & decision, (1 - truth) & decision, truth & (1 - decision),
                      (1 - truth) & (1 - decision)], axis=-1)  # (n, m, 4)
    counts = np.zeros((len(names), truth.shape[1], 4), dtype=np.int64)
    np.add.at(counts, index, cells)
    return counts, list(names)


def metric_from_counts(counts, metric: str = "f1") -> np.ndarray:
    """``metric`` per AU from counts (..., m, 4), with scikit-learn's ``zero_division=0``."""
    if metric not in METRICS:  # (EMOTION tables go through class_values)
        raise ValueError(f"metric {metric!r}: choose from {', '.join(METRICS)}")
    counts = np.asarray(counts, dtype=float)
    tp, fp, fn, tn = (counts[..., k] for k in range(4))

    def ratio(top, bottom):
        return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)

    if metric == "f1":
        return ratio(2 * tp, 2 * tp + fp + fn)
    if metric == "precision":
        return ratio(tp, tp + fp)
    if metric == "recall":
        return ratio(tp, tp + fn)
    if metric == "accuracy":
        return ratio(tp + tn, tp + fp + fn + tn)
    return (ratio(2 * tp, 2 * tp + fp + fn) + ratio(2 * tn, 2 * tn + fp + fn)) / 2


def table_values(counts, metric: str = "f1", weights=None) -> np.ndarray:
    """The table's values (per AU, then AVG) from per-seed, per-subject counts (R, S, m, 4).

    ``weights`` (B, S) gives B resampled tables at once (how often each subject is drawn); the result
    is (B, m + 1), or (m + 1,) without weights.
    """
    counts = np.asarray(counts, dtype=float)
    if metric == SPOTTING:  # F1 of micro, macro and overall, no average column
        pooled = counts.sum(axis=1) if weights is None else np.einsum("bs,rsmk->brmk", np.asarray(weights, float),
                                                                      counts)
        return metric_from_counts(pooled, "f1").mean(axis=-2)
    if metric == EMOTION:  # the emotion table's columns, mean over seeds
        if weights is None:
            return class_values(counts.sum(axis=1)).mean(axis=0)
        return class_values(np.einsum("bs,rsmk->brmk", np.asarray(weights, dtype=float), counts)).mean(axis=1)
    if weights is None:
        pooled = counts.sum(axis=1)  # (R, m, 4)
        per_au = metric_from_counts(pooled, metric).mean(axis=0)  # mean over seeds
        return np.append(per_au, per_au.mean())
    pooled = np.einsum("bs,rsmk->brmk", np.asarray(weights, dtype=float), counts)
    per_au = metric_from_counts(pooled, metric).mean(axis=1)  # (B, m)
    return np.concatenate([per_au, per_au.mean(axis=1, keepdims=True)], axis=1)


def bootstrap_interval(counts, *, level: float = 95.0, metric: str = "f1", resamples: int = RESAMPLES,
                       seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the table's values over subject-level bootstrap resamples.

    Parameters
    ----------
    counts : array (R, S, m, 4) from :func:`subject_counts`, one slice per seed of the run
    level : coverage in percent (95 gives the 2.5th and 97.5th percentiles)

    Returns
    -------
    low, high : arrays (m + 1,): per AU, then AVG
    """
    if not 0 < level < 100:
        raise ValueError(f"level {level}: a coverage in percent, between 0 and 100")
    counts = np.asarray(counts)
    subjects = counts.shape[1]
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(subjects, np.full(subjects, 1 / subjects), size=resamples)
    values = table_values(counts, metric, weights)
    tail = (100 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail], axis=0)
    return low, high


def paired_permutation(first, second, *, metric: str = "f1", resamples: int = RESAMPLES, seed: int = SEED) -> float:
    """Two-sided p-value of "``first`` and ``second`` score the same AVG" (UF1 for ``metric='emotion'``),
    swapping whole subjects.

    Parameters
    ----------
    first, second : arrays (S, m, 4) of the two methods on the same subjects and samples (for a run of
        several seeds, its counts averaged over seeds)
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    if first.shape != second.shape:
        raise ValueError(f"counts of shape {first.shape} and {second.shape}: the methods must cover the same samples")
    column = headline(metric)
    observed = abs(table_values(first[None], metric)[column] - table_values(second[None], metric)[column])
    rng = np.random.default_rng(seed)
    swapped = rng.integers(0, 2, size=(resamples, first.shape[0])).astype(float)
    difference = second - first  # (S, m, 4)
    # swapped subjects contribute the other method's counts: A* = A + s (B - A), B* = B - s (B - A)
    a = first.sum(axis=0)[None] + np.einsum("bs,smk->bmk", swapped, difference)
    b = second.sum(axis=0)[None] - np.einsum("bs,smk->bmk", swapped, difference)
    if metric == SPOTTING:
        deltas = np.abs(metric_from_counts(a, "f1")[:, column] - metric_from_counts(b, "f1")[:, column])
    elif metric == EMOTION:
        deltas = np.abs(class_values(a)[:, column] - class_values(b)[:, column])
    else:
        deltas = np.abs(metric_from_counts(a, metric).mean(axis=1) - metric_from_counts(b, metric).mean(axis=1))
    hits = int(np.sum(deltas >= observed - 1e-12))
    return (1 + hits) / (1 + resamples)
