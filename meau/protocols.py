"""Subject-independent protocols: balanced k-fold (the paper's 4 folds), LOSO, LODO; split files.

A split assigns every sample to a test fold (``fold``); a :class:`Rotation` says which samples
train, validate and test in one round. No subject is ever in two roles of a rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import MeauError

PROTOCOLS = ("kfold", "loso", "lodo")


@dataclass(frozen=True)
class Rotation:
    """Sample indices of one round; ``fold`` is the test fold's id."""

    fold: int
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def balanced_subject_folds(subjects, labels, k: int = 4, seed: int = 0) -> np.ndarray:
    """Assign whole subjects to ``k`` folds with about equal samples and positives per AU.

    Greedy and deterministic for a seed: subjects in decreasing order of size (ties broken by a
    seeded shuffle) each go to the fold where the sum over (samples, positives of each AU) of the
    squared relative excess over the per-fold target is smallest.

    Parameters
    ----------
    subjects : array of str, shape (n,)
        Subject id of every sample (database-qualified for composite datasets).
    labels : array of 0/1, shape (n, m)
    k : int

    Returns
    -------
    folds : int array, shape (n,)
    """
    subjects = np.asarray(subjects)
    labels = np.asarray(labels, dtype=np.float64).reshape(len(subjects), -1)
    unique, inverse = np.unique(subjects, return_inverse=True)
    if len(unique) < k:
        raise MeauError(f"{k}-fold protocol needs at least {k} subjects, found {len(unique)}")
    # per subject: (samples, positives per AU)
    stats = np.zeros((len(unique), 1 + labels.shape[1]))
    np.add.at(stats, inverse, np.hstack([np.ones((len(subjects), 1)), labels]))
    target = stats.sum(axis=0) / k
    scale = np.where(target > 0, target, 1.0)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique))
    order = order[np.argsort(-stats[order, 0], kind="stable")]
    totals = np.zeros((k, stats.shape[1]))
    subject_fold = np.empty(len(unique), dtype=int)
    for subject in order:
        after = totals + stats[subject]
        cost = (((after - target) / scale) ** 2).sum(axis=1) - (((totals - target) / scale) ** 2).sum(axis=1)
        # ties -> the fold with fewer samples, then the lower index
        fold = int(np.lexsort((np.arange(k), totals[:, 0], np.round(cost, 12)))[0])
        subject_fold[subject] = fold
        totals[fold] += stats[subject]
    return subject_fold[inverse]


def assign_folds(table, labels, protocol: str = "kfold", k: int = 4, seed: int = 0) -> np.ndarray:
    """Test fold of every sample of ``table`` (a samples DataFrame) under ``protocol``; ``kfold`` balances
    the columns of ``labels`` (names of 0/1 columns of ``table``, or an (n, m) 0/1 array: the AU columns,
    or one-hot emotion classes)."""
    groups = _subject_ids(table)
    if protocol == "kfold":
        matrix = table[list(labels)].to_numpy() if isinstance(labels, (list, tuple)) else np.asarray(labels)
        return balanced_subject_folds(groups, matrix, k, seed)
    if protocol == "loso":
        _, folds = np.unique(groups, return_inverse=True)
        return folds
    if protocol == "lodo":
        databases, folds = np.unique(table["database"].to_numpy(), return_inverse=True)
        if len(databases) < 2:
            raise MeauError("the lodo protocol needs samples from at least two databases")
        return folds
    raise MeauError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


def _subject_ids(table) -> np.ndarray:
    return (table["database"].astype(str) + "/" + table["subject"].astype(str)).to_numpy()


def rotations(table, folds, protocol: str = "kfold", seed: int = 0, validation_share: float = 0.2) -> list[Rotation]:
    """The rounds of a protocol.

    ``kfold``: round i tests fold i, validates on fold (i + 1) mod k, trains on the others.
    ``loso`` / ``lodo``: round i tests fold i; a seeded share of the remaining subjects (at least
    one, whole subjects) validates, the rest trains.
    """
    folds = np.asarray(folds)
    fold_ids = np.unique(folds)
    subjects = _subject_ids(table)
    result = []
    for position, fold in enumerate(fold_ids):
        test = np.flatnonzero(folds == fold)
        if protocol == "kfold":
            if len(fold_ids) < 3:
                raise MeauError("the kfold protocol needs k >= 3 (test, validation and training folds)")
            validation_fold = fold_ids[(position + 1) % len(fold_ids)]
            validation = np.flatnonzero(folds == validation_fold)
        else:
            rest = np.flatnonzero(folds != fold)
            rest_subjects = np.unique(subjects[rest])
            rng = np.random.default_rng([seed, int(position)])
            count = max(1, int(round(validation_share * len(rest_subjects))))
            if count >= len(rest_subjects):
                raise MeauError(f"fold {fold}: too few subjects left for a validation set")
            chosen = rng.choice(rest_subjects, size=count, replace=False)
            validation = rest[np.isin(subjects[rest], chosen)]
        train = np.setdiff1d(np.arange(len(folds)), np.concatenate([test, validation]))
        result.append(Rotation(int(fold), train, validation, test))
    return result


def read_splits(path, table) -> np.ndarray:
    """Folds for ``table`` from another run's ``splits.csv``; every sample must be listed."""
    import pandas as pd

    from .databases import KEY_COLUMNS, sample_keys

    try:
        splits = pd.read_csv(path, dtype={"subject": str, "clip": str})
    except FileNotFoundError:
        raise MeauError(f"{path}: no such splits file") from None
    missing_columns = [column for column in KEY_COLUMNS + ["fold"] if column not in splits.columns]
    if missing_columns:
        raise MeauError(f"{path}: splits file lacks column(s) {', '.join(missing_columns)}")
    lookup = dict(zip(sample_keys(splits), splits["fold"].astype(int)))
    keys = sample_keys(table)
    missing = [key for key in keys if key not in lookup]
    if missing:
        raise MeauError(f"{path}: {len(missing)} sample(s) not in the splits file, e.g. {missing[0]}")
    return np.array([lookup[key] for key in keys])


def splits_frame(table, folds):
    from .databases import KEY_COLUMNS

    frame = table[KEY_COLUMNS].copy()
    frame["fold"] = np.asarray(folds)
    return frame
