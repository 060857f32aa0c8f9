"""Paper-shaped results tables (CSV, LaTeX, Markdown, text) from run folders.

One row per run (method), columns ``AU1 … AUn, AVG``, a first row "Positives" (positive samples per
AU), values rounded to 4 decimals, the best value of each column in bold and the second underlined
— among the rows that beat the constant baseline, when the table holds one.

A table never mixes what cannot be compared: runs over different databases are refused unless
``by_database`` gives each database its own table, runs over different folds unless
``allow_mixed_splits``. With ``ci`` each average carries a subject-level bootstrap interval, with
``paired`` each row a paired permutation test against the best row (:mod:`meau.uncertainty`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .annotations import au_from_column
from .errors import RunError
from .runs import load_run, synthetic

FORMATS = ("csv", "latex", "markdown")
METRIC_NAMES = {"f1": "F1", "accuracy": "Accuracy", "precision": "Precision", "recall": "Recall",
                "macro_f1": "Macro F1"}
KEYS = ["database", "subject", "clip", "onset"]  # a sample's key in splits.csv and predictions.csv


@dataclass
class Row:
    """One run in one table: a whole run, or one database's share of a composite run (``subset``)."""

    path: Path
    label: str
    config: dict
    metrics: dict
    database: str  # the table it belongs to
    subset: str | None = None

    @property
    def method(self) -> str:
        return self.config.get("method") or ""

    @property
    def target(self) -> str:
        if "overall" in self.metrics and "micro" in self.metrics:  # a spotting run's MEGC metrics
            return "spotting"
        return self.metrics.get("target", "aus")

    @property
    def aus(self) -> list[str]:
        """The table's binary columns: the AU columns, or an emotion run's classes (one-vs-rest)."""
        if self.target == "spotting":
            return ["micro", "macro", "overall"]
        return list(self.metrics["classes"] if self.target == "emotion" else self.metrics["aus"])

    @property
    def composite(self) -> bool:
        """A whole run over several databases (``by_database`` adds a row per database)."""
        return self.subset is None and len(_databases_of(self.config)) > 1

    @property
    def is_constant(self) -> bool:
        from .experiment import ConstantBaseline

        return self.method == ConstantBaseline.name

    @property
    def folders(self) -> list[Path]:
        return run_folders(self.path, self.config)

    @cached_property
    def predictions(self) -> list:
        """Test predictions, one frame per seed, restricted to this row's database and AUs."""
        frames = []
        for folder in self.folders:
            path = folder / "predictions.csv"
            frame = read_predictions(folder)
            if self.target == "emotion":  # one-vs-rest columns per class: the counts the intervals resample
                for name in self.aus:
                    frame[name] = (frame["emotion"].astype(str) == name).astype(int)
                    frame[f"{name}_c"] = (frame["predicted"].astype(str) == name).astype(int)
            if self.subset is not None:
                frame = frame[frame["database"].astype(str) == self.subset]
            missing = [c for c in self.aus + [f"{c}_c" for c in self.aus] if c not in frame.columns]
            if missing:
                raise RunError(f"{path}: no column {missing[0]}")
            frames.append(frame.reset_index(drop=True))
        return frames

    @cached_property
    def splits(self) -> str | None:
        """A digest of the folds (sample key -> fold, every seed), or None for a run without splits.csv."""
        import pandas as pd

        digest = hashlib.sha256()
        for folder in self.folders:
            path = folder / "splits.csv"
            if not path.exists():
                return None
            frame = pd.read_csv(path, dtype=str)
            if self.subset is not None and "database" in frame:
                frame = frame[frame["database"] == self.subset]
            digest.update(frame.sort_values(list(frame.columns)).to_csv(index=False).encode())
        return digest.hexdigest()

    def counts(self, keys=None) -> np.ndarray:
        """Per-seed, per-subject confusion counts (R, S, m, 4); ``keys``: only these samples, in this order."""
        from .uncertainty import subject_counts

        if self.target == "spotting":
            return self._spotting_counts(keys)

        result = []
        for frame in self.predictions:
            if keys is not None:
                frame = keys.merge(frame, on=KEYS, how="left", validate="one_to_one")
            subjects = frame["database"].astype(str) + "/" + frame["subject"].astype(str)
            result.append(subject_counts(frame[self.aus].to_numpy(), frame[[f"{c}_c" for c in self.aus]].to_numpy(),
                                         subjects)[0])
        shapes = {counts.shape for counts in result}
        if len(shapes) > 1:
            raise RunError(f"{self.path}: its seeds predict different samples; intervals need the same samples")
        return np.stack(result)

    def sample_keys(self):
        if self.target == "spotting":  # a spotting run's unit is the subject
            import pandas as pd

            subjects = sorted(self._by_subject())
            return pd.DataFrame({"database": self.database, "subject": subjects, "clip": "", "onset": 0})
        return self.predictions[0][KEYS].drop_duplicates()

    def _by_subject(self) -> dict:
        found = self.metrics.get("by_subject")
        if not found:
            raise RunError(f"{self.path}: its metrics.json has no counts per subject (a spotting run of meau < 0.6): "
                           "run it again for --ci and --paired")
        return found

    def _spotting_counts(self, keys=None) -> np.ndarray:
        """(1, S, 3, 4): per subject, micro, macro and overall as TP, FP, FN and 0: the MEGC F1 2 TP / (predictions
        + truth) is the F1 of these counts."""
        found = self._by_subject()
        subjects = list(keys["subject"]) if keys is not None else sorted(found)
        counts = np.zeros((1, len(subjects), 3, 4), np.int64)
        for index, subject in enumerate(subjects):
            for column, kind in enumerate(("micro", "macro")):
                value = found[subject][kind]
                counts[0, index, column, :3] = (value["tp"], value["predictions"] - value["tp"],
                                                value["truth"] - value["tp"])
            counts[0, index, 2] = counts[0, index, 0] + counts[0, index, 1]
        return counts


@dataclass
class Table:
    """One results table: ``values[i, j]`` is method i's value in column j (``AU1 … AVG``)."""

    title: str  # the database
    view: str  # "pooled over folds", "mean ± std over folds", "fold 2"
    columns: list[str]
    counts: list[int]  # positives per AU column
    methods: list[str]
    values: np.ndarray  # (methods, columns)
    metric: str
    spreads: np.ndarray | None = None  # ± shown in the cells: std over seeds (pooled) or over folds (per fold)
    fold_spread: np.ndarray | None = None  # std of the per-fold values, for error bars
    low: np.ndarray | None = None  # bootstrap interval (methods, columns), NaN where not computed
    high: np.ndarray | None = None
    level: float | None = None
    p_values: np.ndarray | None = None  # (methods,), NaN for the best row
    p_holm: np.ndarray | None = None  # the same, Holm-adjusted over the rows compared with the best
    constant: set = field(default_factory=set)  # rows of the constant baseline
    notes: list[str] = field(default_factory=list)
    rows: list = field(default_factory=list)  # the Row of each method

    @property
    def heading(self) -> str:
        if self.metric == "emotion":
            return f"emotion recognition, {self.view}"
        if self.metric == "spotting":
            return f"spotting F1 (the MEGC metric), {self.view}"
        return f"{METRIC_NAMES.get(self.metric, self.metric)}, {self.view}"

    @property
    def headline(self) -> int:
        """The column rows are ranked and tested by: AVG (last) for AUs, UF1 (first) for emotions."""
        from .uncertainty import headline

        return headline(self.metric)

    @property
    def blank(self) -> int:
        """Cells of the first row without a count (AVG's)."""
        return len(self.columns) - len(self.counts)

    @property
    def first_row(self) -> str:
        return {"emotion": "Samples", "spotting": "Truth intervals"}.get(self.metric, "Positives")

    def cell(self, i: int, j: int) -> str:
        text = f"{self.values[i, j]:.4f}"
        if self.spreads is not None and not np.isnan(self.spreads[i, j]):
            text += f" ± {self.spreads[i, j]:.4f}"
        if self.low is not None and not np.isnan(self.low[i, j]):
            text += f" [{self.low[i, j]:.4f}, {self.high[i, j]:.4f}]"
        return text

    def p_cell(self, i: int) -> str:
        if self.p_values is None:
            return ""
        value = self.p_values[i]
        if np.isnan(value):
            return "best"
        shown = "< 0.0001" if value < 0.0001 else f"{value:.4f}"
        if self.p_holm is not None and len(self.p_values) > 2:
            holm = self.p_holm[i]
            shown += f" (Holm {'< 0.0001' if holm < 0.0001 else f'{holm:.4f}'})"
        return shown

    @property
    def best(self) -> int:
        return int(np.argmax(np.round(self.values[:, self.headline], 4)))


def run_folders(path, config: dict) -> list[Path]:
    """The folders holding a run's predictions and splits: the run's own, or one per seed."""
    parameters = config.get("parameters", {})
    if parameters.get("seeds"):
        return [Path(path) / run for run in parameters.get("runs", [])]
    return [Path(path)]


def read_predictions(folder):
    """A run folder's ``predictions.csv`` (sample keys as text); one line when the run has none."""
    import pandas as pd

    path = Path(folder) / "predictions.csv"
    if not path.exists():
        raise RunError(f"{folder}: no predictions.csv (the run has not finished, or predates it)")
    return pd.read_csv(path, dtype={"database": str, "subject": str, "clip": str})


def _label_of(config: dict, path, labels: dict) -> str:
    for key in (str(path), str(Path(path)), str(Path(path).resolve())):
        if key in labels:
            return labels[key]
    return config.get("label") or config.get("method") or str(path)


def _databases_of(config: dict) -> list[str]:
    sources = config.get("dataset", {}).get("sources", [])
    names = sorted({source.get("label", source.get("database", "?")) for source in sources})
    return names or [config.get("parameters", {}).get("database") or "?"]


def expand_runs(runs) -> list[Path]:
    """The run folders named: a folder that is no run but holds finished runs (``meau-demo/``, ``runs/``)
    stands for them, in the order they were run (``created`` in their config)."""
    import json

    expanded = []
    for path in map(Path, runs):
        inner = [] if (path / "config.json").exists() else sorted(
            folder for folder in path.iterdir() if (folder / "config.json").exists() and (folder / "metrics.json").exists())
        if not inner:
            expanded.append(path)
            continue
        created = {folder: json.loads((folder / "config.json").read_text()).get("created", "") for folder in inner}
        expanded.extend(sorted(inner, key=lambda folder: (created[folder], folder.name)))
    return expanded


def load_rows(runs, *, by_database: bool = False, labels: dict | None = None) -> list[Row]:
    """One Row per run, plus, with ``by_database``, one per database of each composite run."""
    runs = expand_runs(runs)
    labels = {str(Path(key).resolve()) if Path(key).exists() else key: value for key, value in (labels or {}).items()}
    unknown = [key for key in labels if not any(
        key in (str(run), str(Path(run).resolve())) for run in runs)]
    if unknown:
        raise RunError(f"--label {unknown[0]}: not one of the runs given")
    rows = []
    for path in runs:
        config, metrics = load_run(path)
        databases = _databases_of(config)
        label = _label_of(config, path, labels)
        rows.append(Row(Path(path), label, config, metrics, "+".join(databases)))
        if by_database and len(databases) > 1:
            rows.extend(Row(Path(path), label, config, split, database, subset=database)
                        for database, split in _per_database(path, config, metrics))
    return rows


def collect(runs, *, metric: str = "f1", view: str = "pooled", by_database: bool = False, labels: dict | None = None,
            allow_mixed_splits: bool = False, fold: int | None = None, ci: float | None = None,
            per_au_ci: bool = False, paired: bool = False, resamples: int | None = None,
            seed: int | None = None) -> list[Table]:
    """Read finished runs into one table per database.

    Parameters
    ----------
    view : "pooled" (the metric on all folds' test predictions) or "per_fold" (mean ± std over folds)
    fold : show this fold's values only
    labels : run path -> row name (``--label RUN=NAME``)
    ci : coverage in percent of a subject-level bootstrap interval on AVG (and every AU with ``per_au_ci``)
    paired : a paired permutation test of every row against the best one (``p_values``)
    """
    from .uncertainty import RESAMPLES, SEED

    resamples = resamples or RESAMPLES
    seed = SEED if seed is None else seed
    if (ci or paired) and (view != "pooled" or fold is not None):
        raise RunError("--ci and --paired describe the pooled table; leave out --per-fold and --fold")
    rows = load_rows(runs, by_database=by_database, labels=labels)
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.database, []).append(row)
    if len(groups) > 1 and not by_database:
        described = "; ".join(f"{', '.join(str(r.path) for r in members)} on {database}"
                              for database, members in groups.items())
        raise RunError(f"runs of different databases cannot share a table ({described}); "
                       "use --by-database for one table per database")
    targets = {row.target for row in rows}
    if len(targets) > 1:
        described = "; ".join(f"{row.path}: {row.target}" for row in rows if row.subset is None)
        named = {"aus": "AU runs", "emotion": "emotion runs", "spotting": "spotting runs"}
        raise RunError(f"{' and '.join(named.get(t, t) for t in sorted(targets))} cannot share a table ({described}); "
                       "report them separately")
    tables = []
    for database, members in groups.items():
        aus = {tuple(row.aus) for row in members}
        if len(aus) > 1:
            described = "; ".join(f"{row.path}: {', '.join(row.aus)}" for row in members)
            raise RunError(f"runs on {database} differ in their AU set or classes ({described}); compare like with "
                           "like (the same --aus and --min-count, or --classes)")
        if not allow_mixed_splits:
            _check_splits(members, database)
        _distinct_labels(members)
        make = {"emotion": _emotion_table, "spotting": _spotting_table}.get(next(iter(targets)), _table)
        table = make(members, database, metric, view, fold)
        if any(synthetic(row.config) for row in members):  # a synthetic database is never mistaken for the real one
            table.notes.insert(0, f"{database}: a synthetic database written by meau synth in its format, not the "
                                  "real one")
        if ci:
            _add_intervals(table, members, ci, per_au_ci, resamples, seed)
        if paired:
            _add_paired(table, members, resamples, seed)
        tables.append(table)
    return tables


def _check_splits(rows: list[Row], database: str) -> None:
    digests = {}
    for row in rows:
        if row.splits is not None:
            digests.setdefault(row.splits, []).append(row)
    if len(digests) > 1:
        groups = list(digests.values())
        first = groups[0][0]
        others = ", ".join(str(row.path) for group in groups[1:] for row in group)
        raise RunError(f"runs on {database} were tested on different folds ({others} differ from {first.path}); "
                       f"rerun with --splits {first.folders[0] / 'splits.csv'}, or give --allow-mixed-splits")


def _distinct_labels(rows: list[Row]) -> None:
    """Rows with one name get their run folder's name after it, or the whole path where folder names repeat too."""
    seen: dict[str, list[Row]] = {}
    for row in rows:
        seen.setdefault(row.label, []).append(row)
    for label, same in seen.items():
        if len(same) < 2:
            continue
        by_folder = len({row.path.name for row in same}) == len(same)
        for row in same:
            row.label = f"{label} ({row.path.name if by_folder else row.path})"


def _table(rows: list[Row], database: str, metric: str, view: str, fold: int | None) -> Table:
    aus = rows[0].aus
    names = aus + ["AVG"]
    columns = [f"AU{au_from_column(name)}" for name in aus] + ["AVG"]
    values, spreads, fold_spread = [], [], []
    for row in rows:
        metrics = row.metrics
        if metric not in metrics["pooled"]["AVG"]:
            raise RunError(f"{row.path}: no metric {metric!r} in metrics.json")
        per_fold = metrics.get("per_fold", {})
        fold_spread.append([per_fold.get(n, {}).get(metric, {}).get("std", np.nan) for n in names])
        if fold is not None:
            if fold not in metrics.get("folds", []) or "values" not in per_fold.get("AVG", {}).get(metric, {}):
                raise RunError(f"{row.path}: no per-fold values for fold {fold} "
                               f"(folds {metrics.get('folds')}; a run of several seeds keeps only their summary)")
            index = metrics["folds"].index(fold)
            values.append([per_fold[n][metric]["values"][index] for n in names])
            spreads.append([np.nan] * len(names))
        elif view == "per_fold":
            values.append([per_fold[n][metric]["mean"] for n in names])
            spreads.append([per_fold[n][metric]["std"] for n in names])
        else:
            seeds = metrics.get("across_seeds")
            values.append([metrics["pooled"][n][metric] for n in names])
            spreads.append([seeds[n][metric]["std"] if seeds and metric in seeds.get(n, {}) else np.nan
                            for n in names])
    if fold is not None:
        frame = rows[0].predictions[0]
        counts = [int(frame.loc[frame["fold"] == fold, name].sum()) for name in aus]
        described = f"fold {fold}"
    else:
        counts = [int(rows[0].metrics["pooled"][name]["positives"]) for name in aus]
        described = "pooled over folds" if view == "pooled" else "mean ± std over folds"
    spread = np.array(spreads, float)
    return Table(database, described, columns, counts, [row.label for row in rows], np.array(values, float), metric,
                 None if np.isnan(spread).all() else spread, np.array(fold_spread, float),
                 constant={i for i, row in enumerate(rows) if row.is_constant}, rows=list(rows))


def _spotting_table(rows: list[Row], database: str, metric: str, view: str, fold: int | None) -> Table:
    """Spotting runs: F1 per type and overall (the MEGC metric, pooled over folds), and STRS where every run
    has one."""
    if view != "pooled" or fold is not None or metric != "f1":
        raise RunError("a spotting table is the MEGC F1 pooled over folds: leave out --per-fold, --fold and --metric")
    columns = ["micro", "macro", "overall"]
    if all("strs" in row.metrics for row in rows):
        columns.append("STRS")
    values = np.array([[row.metrics[kind]["f1"] for kind in columns[:3]] + ([row.metrics["strs"]] if len(columns) > 3
                                                                              else []) for row in rows])
    truth = [int(rows[0].metrics[kind]["truth"]) for kind in columns[:3]]
    for row in rows[1:]:
        if [int(row.metrics[kind]["truth"]) for kind in columns[:3]] != truth:
            raise RunError(f"{row.path} and {rows[0].path} were scored against different truth intervals: they "
                           "cannot share a table")
    notes = ["overall: the MEGC F1 of micro and macro counts summed (not their mean)"]
    if "STRS" in columns:
        notes.append("STRS: overall F1 x the STR analysis F1 on the true-positive pairs")
    return Table(database, "pooled over folds", columns, truth, [row.label for row in rows], values, "spotting",
                 notes=notes, rows=rows)


def _emotion_table(rows: list[Row], database: str, metric: str, view: str, fold: int | None) -> Table:
    """Methods x (UF1, UAR, accuracy, mean precision) of emotion runs; the first row counts the samples per
    column's denominator (all of them)."""
    from .uncertainty import EMOTION_COLUMNS

    keys = ["uf1", "uar", "accuracy", "mean_precision"]
    values, spreads, fold_spread = [], [], []
    for row in rows:
        metrics = row.metrics
        per_fold = metrics.get("per_fold", {})
        fold_spread.append([per_fold.get(key, {}).get("std", np.nan) for key in keys])
        if fold is not None:
            if fold not in metrics.get("folds", []) or "values" not in per_fold.get("uf1", {}):
                raise RunError(f"{row.path}: no per-fold values for fold {fold} (folds {metrics.get('folds')})")
            index = metrics["folds"].index(fold)
            values.append([per_fold[key]["values"][index] for key in keys])
            spreads.append([np.nan] * len(keys))
        elif view == "per_fold":
            values.append([per_fold[key]["mean"] for key in keys])
            spreads.append([per_fold[key]["std"] for key in keys])
        else:
            seeds = metrics.get("across_seeds")
            values.append([metrics["pooled"][key] for key in keys])
            spreads.append([seeds[key]["std"] if seeds and key in seeds else np.nan for key in keys])
    samples = int(rows[0].metrics["pooled"]["samples"])
    described = f"fold {fold}" if fold is not None else "pooled over folds" if view == "pooled" \
        else "mean ± std over folds"
    spread = np.array(spreads, float)
    table = Table(database, described, list(EMOTION_COLUMNS), [samples] * len(keys), [row.label for row in rows],
                  np.array(values, float), "emotion", None if np.isnan(spread).all() else spread,
                  np.array(fold_spread, float), constant={i for i, row in enumerate(rows) if row.is_constant},
                  rows=list(rows))
    table.notes.append(f"classes: {', '.join(rows[0].aus)}. UF1 = mean per-class F1, UAR = mean per-class recall "
                       "(counts pooled over folds, every class counted); mean precision is what several published "
                       "tables print as \"UAR\"")
    return table


def _add_intervals(table: Table, rows: list[Row], level: float, per_au: bool, resamples: int, seed: int) -> None:
    from .uncertainty import bootstrap_interval

    shape = table.values.shape
    table.low, table.high, table.level = np.full(shape, np.nan), np.full(shape, np.nan), level
    for i, row in enumerate(rows):
        low, high = bootstrap_interval(row.counts(), level=level, metric=table.metric, resamples=resamples, seed=seed)
        headline = table.headline % len(low)
        columns = slice(None) if per_au else slice(headline, headline + 1)
        table.low[i, :len(low)][columns], table.high[i, :len(low)][columns] = low[columns], high[columns]
    table.notes.append(f"[low, high]: {level:g}% subject-level bootstrap interval (percentile; subjects drawn with "
                       f"replacement, {resamples} resamples, seed {seed})")


def _add_paired(table: Table, rows: list[Row], resamples: int, seed: int) -> None:
    from .uncertainty import paired_permutation

    best = table.best
    table.p_values = np.full(len(rows), np.nan)
    best_keys = rows[best].sample_keys()
    for i, row in enumerate(rows):
        if i == best:
            continue
        keys = best_keys.merge(row.sample_keys(), on=KEYS)
        if len(keys) < len(best_keys) or len(keys) < len(row.sample_keys()):
            table.notes.append(f"{row.label}: p_vs_best on the {len(keys)} samples both runs predict")
        if keys.empty:
            raise RunError(f"{row.path} and {rows[best].path} share no sample: no paired test")
        first = row.counts(keys).mean(axis=0)
        second = rows[best].counts(keys).mean(axis=0)
        table.p_values[i] = paired_permutation(first, second, metric=table.metric, resamples=resamples, seed=seed)
    table.p_holm = holm(table.p_values)
    table.notes.append(f"p_vs_best: the best row was chosen on the same data it is tested on, so read each p as "
                       f"one of {len(rows) - 1} comparisons; Holm's adjustment for them in parentheses"
                       if len(rows) > 2 else "p_vs_best: the best row was chosen on the same data it is tested on")
    table.notes.append(f"p_vs_best: paired permutation test against {rows[best].label} on "
                       f"{table.columns[table.headline]} (whole subjects' "
                       f"predictions swapped between the two methods, two-sided, {resamples} resamples, seed {seed}; "
                       "a run of several seeds enters with its counts averaged over seeds)")


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of the p-values (NaN, the best row's, left out and kept NaN)."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p_values, np.nan)
    index = np.flatnonzero(~np.isnan(p_values))
    order = index[np.argsort(p_values[index], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _per_database(path, config, metrics) -> list[tuple]:
    """A composite run's test predictions split by database: ``(database, metrics)`` for each.

    Metrics are recomputed from ``predictions.csv`` on that database's rows, over the AUs it codes
    (at least one positive there): an AU a database never codes has no F1 to report. A run over
    several seeds is split seed by seed (``seed_<s>/predictions.csv``), then averaged over seeds
    with the spread kept, so each database's table reads mean ± std as the pooled one does.
    """
    from .metrics import combine_seeds, evaluate, evaluate_classes

    seeds = config.get("parameters", {}).get("seeds")
    tables = [read_predictions(folder) for folder in run_folders(path, config)]
    result = []
    if metrics.get("target") == "emotion":  # each database's rows of the same pooled predictions
        for database in sorted(set().union(*(set(table["database"].astype(str)) for table in tables))):
            per_seed = [evaluate_classes(rows["emotion"], rows["predicted"], rows["fold"], metrics["classes"])
                        for table in tables for rows in [table[table["database"].astype(str) == database]]]
            result.append((database, per_seed[0] if len(per_seed) == 1 else combine_seeds(per_seed, list(seeds))))
        return result
    for database in sorted(set().union(*(set(table["database"].astype(str)) for table in tables))):
        per_seed = []
        for table in tables:
            rows = table[table["database"].astype(str) == database]
            aus = [column for column in metrics["aus"] if rows[column].sum() > 0]
            if aus:
                per_seed.append(evaluate(rows[aus].to_numpy(), rows[[f"{c}_c" for c in aus]].to_numpy(),
                                         rows["fold"].to_numpy(), aus))
        if not per_seed:
            continue
        # several seeds: the mean over seeds, and their spread in across_seeds, as the pooled table
        split = per_seed[0] if len(per_seed) == 1 else combine_seeds(per_seed, list(seeds))
        result.append((database, split))
    return result


def _ranks(table: Table, j: int) -> tuple[set, set]:
    """Rows holding the best and the second-best value of column j (rounded to 4 decimals, ties share a
    rank), among the rows that beat every constant row of the table."""
    rounded = np.round(table.values[:, j], 4)
    floor = max((rounded[i] for i in table.constant), default=-np.inf)
    eligible = [i for i in range(len(rounded)) if i not in table.constant and rounded[i] > floor]
    distinct = sorted({rounded[i] for i in eligible}, reverse=True)
    best = {i for i in eligible if rounded[i] == distinct[0]} if distinct else set()
    second = {i for i in eligible if len(distinct) > 1 and rounded[i] == distinct[1]}
    return best, second


def render(table: Table, fmt: str) -> str:
    if fmt == "csv":
        return render_csv(table)
    if fmt == "latex":
        return render_latex(table)
    if fmt == "markdown":
        return render_markdown(table)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def _interval_columns(table: Table) -> list[tuple[str, int]]:
    """(CSV name, column index) of the interval bounds present: AUn_ci_low/high, then AVG_ci_low/high."""
    if table.low is None:
        return []
    present = [j for j in range(len(table.columns)) if not np.isnan(table.low[:, j]).all()]
    return [(f"{table.columns[j]}_ci_{side}", j) for j in present for side in ("low", "high")]


def render_csv(table: Table) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    spread_columns = [f"{column} std" for column in table.columns] if table.spreads is not None else []
    intervals = _interval_columns(table)
    p_column = ["p_vs_best"] if table.p_values is not None else []
    writer.writerow([f"Method ({table.heading.replace(', ', ' ')})"] + table.columns + spread_columns + [name for name, _ in intervals]
                    + p_column)
    writer.writerow([table.first_row] + table.counts + [""] * (table.blank + len(spread_columns) + len(intervals)
                                                                + len(p_column)))
    for i, (method, row) in enumerate(zip(table.methods, table.values)):
        spreads = [f"{value:.4f}" if not np.isnan(value) else "" for value in table.spreads[i]] if spread_columns else []
        bounds = [f"{(table.low if name.endswith('low') else table.high)[i, j]:.4f}" for name, j in intervals]
        p_value = [table.p_cell(i) if not np.isnan(table.p_values[i]) else ""] if p_column else []
        writer.writerow([method] + [f"{value:.4f}" for value in row] + spreads + bounds + p_value)
    return buffer.getvalue()


def _styled(table: Table, bold, underline) -> list[list[str]]:
    cells = [[table.cell(i, j) for j in range(len(table.columns))] for i in range(len(table.methods))]
    if len(table.methods) < 2:
        return cells
    for j in range(len(table.columns)):
        best, second = _ranks(table, j)
        for i in best:
            cells[i][j] = bold(cells[i][j])
        for i in second:
            cells[i][j] = underline(cells[i][j])
    return cells


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                          ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(char, escaped)
    return text


def render_latex(table: Table) -> str:
    cells = [[cell.replace(" ± ", r" $\pm$ ") for cell in row]
             for row in _styled(table, lambda s: rf"\textbf{{{s}}}", lambda s: rf"\underline{{{s}}}")]
    p_column = table.p_values is not None
    width = len(table.columns) + 1 + p_column
    lines = [r"% needs \usepackage{booktabs}"] + [f"% {note}" for note in table.notes] + [
        r"\begin{tabular}{l" + "c" * (width - 1) + "}",
        r"\toprule",
        rf"\multicolumn{{{width}}}{{c}}{{{_latex_escape(table.heading)} ({_latex_escape(table.title)})}} \\",
        r"\midrule",
        "Method & " + " & ".join(table.columns) + (r" & $p$ vs best" if p_column else "") + r" \\",
        r"\midrule",
        f"{table.first_row} & " + " & ".join(str(c) for c in table.counts) + r" & --" * table.blank
        + (" & " if p_column else "") + r" \\",
        r"\midrule",
    ]
    for i, (method, row) in enumerate(zip(table.methods, cells)):
        p_value = [table.p_cell(i)] if p_column else []
        lines.append(_latex_escape(method) + " & " + " & ".join(row + p_value) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def render_markdown(table: Table) -> str:
    cells = _styled(table, lambda s: f"**{s}**", lambda s: f"<u>{s}</u>")
    p_column = table.p_values is not None
    lines = [
        f"| Method ({table.heading}) | " + " | ".join(table.columns) + (" | p_vs_best" if p_column else "") + " |",
        "|---|" + "---:|" * (len(table.columns) + p_column),
        f"| {table.first_row} | " + " | ".join(str(c) for c in table.counts) + " |" + " |" * table.blank
        + (" |" if p_column else ""),
    ]
    for i, (method, row) in enumerate(zip(table.methods, cells)):
        p_value = [table.p_cell(i)] if p_column else []
        lines.append(f"| {method} | " + " | ".join(row + p_value) + " |")
    lines += [""] + [f"{note}  " for note in table.notes] if table.notes else []
    return "\n".join(lines) + "\n"


def render_text(table: Table) -> str:
    """A plain aligned table for the terminal (no markup)."""
    p_column = table.p_values is not None
    header = ["Method"] + table.columns + (["p_vs_best"] if p_column else [])
    rows = [[table.first_row] + [str(c) for c in table.counts] + [""] * (table.blank + p_column)]
    rows += [[m] + [table.cell(i, j) for j in range(len(table.columns))] + ([table.p_cell(i)] if p_column else [])
             for i, m in enumerate(table.methods)]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    rule = "-" * len(fmt(header))
    title = f"{table.heading} ({table.title})" if table.title else table.heading
    return "\n".join([title, fmt(header), rule] + [fmt(r) for r in rows] + table.notes) + "\n"
