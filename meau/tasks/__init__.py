"""What a run predicts: one module per target, asked by the shared experiment path.

A task turns a dataset into the binary targets the methods train on, a fold's scores into the rows of
``predictions.csv``, and the finished predictions into ``metrics.json``. The folds, run folders, resume,
seeds, LODO and reports are the same for every target.

- :mod:`meau.tasks.aus`: AU detection, one binary target per AU column (``--target aus``, the default);
- :mod:`meau.tasks.emotion`: emotion recognition, one class per sample among a class set
  (``--target emotion --classes megc|five|all|FILE``); ``--target objective`` is the same task on the sheet's
  objective classes (SAMM's ``Objective Classes``, the updated CASME II sheet's ``Objective Class``).

A third target (AU intensity, objective classes) is one more module defining the same functions and an
entry in :func:`task_of`.
"""

from __future__ import annotations

from ..databases.classes import CLASS_TARGETS, TARGETS  # noqa: F401


def task_of(dataset_or_target):
    """The task module of a dataset (by its ``target``) or of a target name."""
    target = getattr(dataset_or_target, "target", dataset_or_target)
    if target in CLASS_TARGETS:
        from . import emotion

        return emotion
    if target == "aus":
        from . import aus

        return aus
    raise ValueError(f"target {target!r}: choose from {', '.join(TARGETS)}")
