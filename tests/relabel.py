"""The label-independence check of emotion runs: a test fold's samples relabelled, the fold files read back."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd


def relabel_test_fold(dataset, splits, fold: int = 0):
    """``dataset`` with the classes of fold ``fold``'s test samples (``splits``: a run's splits.csv) rotated by
    one, so that some of them change."""
    from meau.tasks.emotion import COLUMN

    folds = pd.read_csv(splits, dtype=str)
    test = (folds["fold"] == str(fold)).to_numpy()
    table = dataset.table.copy()
    table.loc[test, COLUMN] = np.roll(table.loc[test, COLUMN].to_numpy(), 1)
    assert (table[COLUMN] != dataset.table[COLUMN]).any()
    return dataclasses.replace(dataset, table=table)


def fold_rows(run, fold: int):
    """A run's ``folds/fold_<fold>.csv`` as text."""
    return pd.read_csv(run / "folds" / f"fold_{fold}.csv", dtype=str)
