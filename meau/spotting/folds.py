"""What every spotter's folds share: the intervals' columns, each fold's training and test recordings, the
training intervals' lengths (from which k and the length bounds are chosen)."""

from __future__ import annotations

import numpy as np

INTERVAL_COLUMNS = ["subject", "video", "onset", "offset", "type", "score"]


def type_lengths(truth, kind: str, subject: str | None = None) -> np.ndarray:
    """The lengths (frames) of one type's truth intervals, without ``subject``'s."""
    rows = truth[(truth["type"] == kind) & (truth["subject"] != subject)]
    return (rows["offset"] - rows["onset"] + 1).to_numpy()


def folds_to_run(folds: dict, fold, run, prepared, echo):
    """(number, subject, training recordings, test recordings) of each fold still to run (``fold``: that one only;
    a finished fold is kept under ``--resume``, and said)."""
    for number, subject in folds.items():
        if fold is not None and number != fold:
            continue
        if run.resume and run.fold_file(number).exists():
            echo(f"fold {number} ({subject}): already done, kept")
            continue
        yield (number, subject, [item for item in prepared if item.key[0] != subject],
               [item for item in prepared if item.key[0] == subject])
