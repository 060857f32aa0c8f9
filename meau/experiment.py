"""The one path every method takes: dataset -> protocol -> folds -> run folder -> metrics.

A method is any object with a ``name`` (the row label of the report), ``parameters`` (a dict for
``config.json``) and ``run_fold(dataset, rotation, run) -> FoldResult``; optionally
``prepare(dataset) -> dataset`` (describe every sample once; samples it cannot describe leave the
dataset, listed in ``validation.csv``) and ``finalize(dataset, run)`` (the final model for ``predict``). Folds are independent:
``fold=i`` runs one of them (one process per fold scales out), finished folds are kept on
``resume``, and the metrics are written once every fold is present.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .databases import Dataset
from .errors import RunError
from .metrics import combine_seeds
from .tasks import task_of
from .protocols import Rotation, assign_folds, read_splits, rotations, splits_frame
from .outputs import check_separate
from .runs import RunDir, base_config
from .outputs import write_csv, write_json


@dataclass
class FoldResult:
    """Test-fold outputs: ``scores`` (n_test, m) floats, ``decisions`` (n_test, m) 0/1, extras for the log.

    ``kind`` says what the scores are: ``"probability"`` (in [0, 1], written as ``AU01_p``) or ``"score"``
    (a classifier's raw margin, written as ``AU01_score``; ``predictions.csv`` adds its calibrated
    probability as ``AU01_p`` once every fold is in).
    """

    scores: np.ndarray
    decisions: np.ndarray
    extras: dict = field(default_factory=dict)
    kind: str = "probability"

    def __post_init__(self):
        if self.kind not in ("probability", "score"):
            raise ValueError(f"kind {self.kind!r}: 'probability' or 'score'")


class ConstantBaseline:
    """The floor every method must beat: every AU predicted present (its F1 is 2p / (1 + p)), or for
    emotions the training folds' majority class."""

    name = "Constant"
    parameters: dict = {}

    def run_fold(self, dataset: Dataset, rotation: Rotation, run: RunDir) -> FoldResult:
        scores, decisions, rule = task_of(dataset).constant(dataset, rotation)
        return FoldResult(scores, decisions, {"rule": rule})


def dataset_summary(dataset: Dataset) -> dict:
    kinds = Counter(problem.kind for problem in dataset.problems)
    if dataset.target == "emotion":
        from .tasks import emotion

        counts = emotion.targets(dataset).sum(axis=0)
        return {"sources": dataset.sources, "layout": dataset.layout, "target": "emotion",
                "classes": dataset.classes, "samples_per_class": dict(zip(dataset.classes, map(int, counts))),
                "left_out_by_label": emotion.left_out_by_label(dataset), "fixes_applied": dataset.fixes_applied,
                "rows_read": dataset.rows_read, "samples_kept": len(dataset.table),
                "problems_by_kind": dict(kinds)}
    return {
        "sources": dataset.sources,
        "layout": dataset.layout,
        "policy": dataset.policy.describe(),
        "fixes_applied": dataset.fixes_applied,
        "rows_read": dataset.rows_read,
        "samples_kept": len(dataset.table),
        "problems_by_kind": dict(kinds),
        "aus": dataset.au_columns,
        "positives": dataset.positives(),
    }


def dataset_inputs(dataset: Dataset) -> list[str]:
    """The folders and files a dataset was read from (its roots and sheets): no output may overlap them."""
    return [value for source in dataset.sources for value in (source.get("root"), source.get("path")) if value]


def fold_list(folds) -> str:
    """Fold numbers for a message: all of a few, the ends of a run of many (``0, 1, … 25 (26 folds)``)."""
    folds = list(folds)
    if len(folds) <= 8:
        return ", ".join(map(str, folds))
    return f"{folds[0]}, {folds[1]}, … {folds[-1]} ({len(folds)} folds)"


def write_validation(run: RunDir, dataset: Dataset) -> None:
    write_csv(run.file("validation.csv"), dataset.validation)


def run_experiment(method, dataset: Dataset, run: RunDir, *, protocol: str = "kfold", k: int = 4, seed: int = 0,
                   splits=None, fold: int | None = None, parameters: dict | None = None, echo=print) -> dict | None:
    """Run ``method`` over the protocol's folds into ``run``; return the metrics, or None if folds remain.

    Parameters
    ----------
    splits : path-like, optional
        Another run's ``splits.csv``: reuse its folds so both methods see identical test sets.
    fold : int, optional
        Run only this fold (the others may run in other processes).
    """
    import pandas as pd

    check_separate(run.path, dataset_inputs(dataset))
    if hasattr(method, "prepare"):  # samples the method cannot describe leave here, before the folds are drawn
        dataset = method.prepare(dataset)
    table = dataset.table
    task = task_of(dataset)
    folds = read_splits(splits, table) if splits else assign_folds(table, task.targets(dataset), protocol, k, seed)
    split = splits_frame(table, folds)
    existing = run.file("splits.csv")
    if existing.exists() and run.resume:
        previous = pd.read_csv(existing, dtype={"subject": str, "clip": str})
        if not previous.astype(str).equals(split.astype(str)):
            raise RunError(f"{existing}: the folds of this run differ from the ones it was started with; "
                           "use a new run folder")
    config = base_config(method.name, {**(parameters or {}), **method.parameters,
                                       "protocol": protocol, "folds": int(len(np.unique(folds))), "seed": seed,
                                       "splits_from": str(splits) if splits else None})
    config["dataset"] = dataset_summary(dataset)
    plan = rotations(table, folds, protocol, seed)
    if fold is not None:  # refused before anything is written
        if fold not in [rotation.fold for rotation in plan]:
            raise RunError(f"--fold {fold}: this protocol has folds {fold_list([r.fold for r in plan])}")
        plan_to_run = [rotation for rotation in plan if rotation.fold == fold]
    else:
        plan_to_run = plan
    if run.main:
        run.mark()
        if not run.file("config.json").exists() or not run.resume:
            write_json(run.file("config.json"), config)
        write_csv(existing, split)
        write_validation(run, dataset)
    for rotation in plan_to_run:
        if run.fold_done(rotation.fold):
            echo(f"fold {rotation.fold}: already done, kept")
            continue
        if len(rotation.test) == 0 or len(rotation.train) == 0:
            raise RunError(f"fold {rotation.fold}: empty {'test' if len(rotation.test) == 0 else 'training'} set")
        run.log(f"fold {rotation.fold}: train {len(rotation.train)}, validation {len(rotation.validation)}, "
                f"test {len(rotation.test)}")
        result = method.run_fold(dataset, rotation, run)
        if run.main:
            write_csv(run.fold_file(rotation.fold), task.fold_predictions(dataset, rotation, result))
            write_json(run.fold_file(rotation.fold, "json"), {"fold": rotation.fold, **result.extras})
        run.log(f"fold {rotation.fold}: done")
        run.resume = True  # from now on, finished folds count as done
    if not run.main:
        return None
    missing = [rotation.fold for rotation in plan if not run.fold_file(rotation.fold).exists()]
    if missing:
        echo(f"{len(missing)} fold(s) still to run: {', '.join(map(str, missing))}")
        return None
    metrics = finish(run, dataset, [rotation.fold for rotation in plan])
    if hasattr(method, "finalize"):
        method.finalize(dataset, run)
    return metrics


def finish(run: RunDir, dataset: Dataset, fold_ids) -> dict:
    """Gather the per-fold predictions into ``predictions.csv`` and compute ``metrics.json`` (the task's)."""
    import pandas as pd

    frames = [pd.read_csv(run.fold_file(fold), dtype={"database": str, "subject": str, "clip": str})
              for fold in fold_ids]
    predictions, metrics = task_of(dataset).evaluate(pd.concat(frames, ignore_index=True), dataset)
    write_csv(run.file("predictions.csv"), predictions)
    write_json(run.file("metrics.json"), metrics)
    run.log("metrics written")
    return metrics


def run_seeds(make_method, dataset: Dataset, run: RunDir, seeds, *, parameters: dict | None = None, echo=print,
              **options) -> dict | None:
    """Run ``make_method(seed)`` once per seed into ``run/seed_<s>``; write mean and std over seeds.

    Each seed draws its own folds unless ``splits`` fixes them. The top-level ``metrics.json`` holds
    the mean over seeds in ``pooled``/``per_fold`` (so reports read it like any run) and the spread
    in ``across_seeds``.
    """
    if options.get("fold") is not None:
        raise RunError("--fold and --seeds do not combine: run one seed per process with --seed instead")
    results, method_name = [], None
    check_separate(run.path, dataset_inputs(dataset))
    run.mark()
    for seed in seeds:
        echo(f"seed {seed}:")
        method = make_method(seed)
        method_name = method.name
        child = RunDir(run.path / f"seed_{seed}", resume=run.resume)
        child.main = run.main
        results.append(run_experiment(method, dataset, child, seed=seed, parameters=parameters, echo=echo, **options))
    if not run.main or any(result is None for result in results):
        return None
    metrics = combine_seeds(results, list(seeds))
    config = base_config(method_name, {**(parameters or {}), "seeds": list(seeds),
                                       "runs": [f"seed_{seed}" for seed in seeds]})
    config["dataset"] = dataset_summary(dataset)
    write_json(run.file("config.json"), config)
    write_json(run.file("metrics.json"), metrics)
    return metrics
