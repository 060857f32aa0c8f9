"""Paper-shaped results tables (CSV, LaTeX, Markdown) from run folders.

One row per run (method), columns ``AU1 … AUn, AVG``, a first row "Number of samples" (positives
per AU), values rounded to 4 decimals, the best value of each column in bold and the second
underlined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .annotations import au_from_column
from .errors import RunError
from .runs import load_run

FORMATS = ("csv", "latex", "markdown")


@dataclass
class Table:
    """One results table: ``rows`` maps method -> values per column (same order as ``columns``)."""

    title: str
    columns: list[str]  # AU1 ... AVG
    counts: list[int]  # positives per AU column
    methods: list[str]
    values: np.ndarray  # (methods, columns)
    metric: str
    spreads: np.ndarray | None = None  # std over seeds, NaN for single-seed runs

    def cell(self, i: int, j: int) -> str:
        text = f"{self.values[i, j]:.4f}"
        if self.spreads is not None and not np.isnan(self.spreads[i, j]):
            text += f" ± {self.spreads[i, j]:.4f}"
        return text


def _method_label(config: dict, path) -> str:
    return config.get("label") or config.get("method") or str(path)


def collect(runs, *, metric: str = "f1", view: str = "pooled", by_database: bool = False) -> list[Table]:
    """Read finished runs into one table (or one per database with ``by_database``).

    Runs over different databases or AU sets are refused unless ``by_database`` groups them.
    """
    loaded = []
    for path in runs:
        config, metrics = load_run(path)
        dataset = config.get("dataset", {})
        databases = sorted({source.get("label", source.get("database", "?"))
                            for source in dataset.get("sources", [])}) or ["?"]
        loaded.append((path, config, metrics, "+".join(databases)))
        if by_database and len(databases) > 1:
            loaded.extend(_per_database(path, config, metrics))
    groups: dict[tuple, list] = {}
    for item in loaded:
        path, config, metrics, database = item
        key = (database if by_database else "", tuple(metrics["aus"]))
        groups.setdefault(key, []).append(item)
    if len(groups) > 1 and not by_database:
        described = "; ".join(f"{[str(i[0]) for i in items]}: {i0[3]} {', '.join(key[1])}"
                              for key, items in groups.items() for i0 in items[:1])
        raise RunError(f"runs differ in database or AU set ({described}); use --by-database or compare like with like")
    if by_database and any(len({k[1] for k in groups if k[0] == db}) > 1 for db, _ in groups):
        raise RunError("runs over the same database use different AU sets; they cannot share a table")
    tables = []
    for (database, aus), items in groups.items():
        columns = [f"AU{au_from_column(name)}" for name in aus] + ["AVG"]
        counts = [int(items[0][2]["pooled"][name]["positives"]) for name in aus]
        methods, values, spreads = [], [], []
        for path, config, metrics, _ in items:
            methods.append(_method_label(config, path))
            seeds = metrics.get("across_seeds") if view == "pooled" else None
            spreads.append([seeds[name][metric]["std"] if seeds and metric in seeds[name] else np.nan
                            for name in list(aus) + ["AVG"]])
            source = metrics["pooled"] if view == "pooled" else {
                name: {metric: metrics["per_fold"][name][metric]["mean"]} for name in list(aus) + ["AVG"]}
            if metric not in source["AVG"]:
                raise RunError(f"{path}: no metric {metric!r} in metrics.json")
            values.append([source[name][metric] for name in list(aus) + ["AVG"]])
        spread = np.array(spreads, float)
        tables.append(Table(database or items[0][3], columns, counts, methods, np.array(values, float), metric,
                            None if np.isnan(spread).all() else spread))
    return tables


def _per_database(path, config, metrics) -> list[tuple]:
    """A composite run's test predictions split by database: one (path, config, metrics, database) each.

    Metrics are recomputed from ``predictions.csv`` on that database's rows, over the AUs it codes
    (at least one positive there): an AU a database never codes has no F1 to report. A run over
    several seeds is split seed by seed (``seed_<s>/predictions.csv``), then averaged over seeds
    with the spread kept, so each database's table reads mean ± std as the pooled one does.
    """
    from pathlib import Path

    import pandas as pd

    from .metrics import evaluate

    from .metrics import combine_seeds

    seeds = config.get("parameters", {}).get("seeds")
    folders = [Path(path) / run for run in config.get("parameters", {}).get("runs", [])] if seeds else [Path(path)]
    tables = []
    for folder in folders:
        predictions_path = folder / "predictions.csv"
        if not predictions_path.exists():
            raise RunError(f"{folder}: --by-database needs the run's predictions.csv (the run has not finished)")
        tables.append(pd.read_csv(predictions_path, dtype={"subject": str, "clip": str, "database": str}))
    result = []
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
        result.append((path, config, split, database))
    return result


def _ranks(column: np.ndarray) -> tuple[set, set]:
    """Rows holding the best and the second-best value (rounded to 4 decimals, ties share a rank)."""
    rounded = np.round(column, 4)
    distinct = sorted(set(rounded.tolist()), reverse=True)
    best = {i for i, v in enumerate(rounded) if v == distinct[0]}
    second = {i for i, v in enumerate(rounded) if len(distinct) > 1 and v == distinct[1]}
    return best, second


def render(table: Table, fmt: str) -> str:
    if fmt == "csv":
        return render_csv(table)
    if fmt == "latex":
        return render_latex(table)
    if fmt == "markdown":
        return render_markdown(table)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def render_csv(table: Table) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    spread_columns = [f"{column} std" for column in table.columns] if table.spreads is not None else []
    writer.writerow(["Method"] + table.columns + spread_columns)
    writer.writerow(["Number of samples"] + table.counts + [""] * (1 + len(spread_columns)))
    for i, (method, row) in enumerate(zip(table.methods, table.values)):
        spreads = [f"{value:.4f}" if not np.isnan(value) else "" for value in table.spreads[i]] if spread_columns else []
        writer.writerow([method] + [f"{value:.4f}" for value in row] + spreads)
    return buffer.getvalue()


def _styled(table: Table, bold, underline) -> list[list[str]]:
    cells = [[table.cell(i, j) for j in range(len(table.columns))] for i in range(len(table.methods))]
    for j in range(len(table.columns)):
        best, second = _ranks(table.values[:, j])
        if len(table.methods) < 2:
            continue
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
    lines = [
        r"% needs \usepackage{booktabs}",
        r"\begin{tabular}{l" + "c" * len(table.columns) + "}",
        r"\toprule",
        "Method & " + " & ".join(table.columns) + r" \\",
        r"\midrule",
        "Number of samples & " + " & ".join(str(c) for c in table.counts) + r" & -- \\",
        r"\midrule",
    ]
    for method, row in zip(table.methods, cells):
        lines.append(_latex_escape(method) + " & " + " & ".join(row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def render_markdown(table: Table) -> str:
    cells = _styled(table, lambda s: f"**{s}**", lambda s: f"<u>{s}</u>")
    lines = [
        "| Method | " + " | ".join(table.columns) + " |",
        "|---|" + "---:|" * len(table.columns),
        "| Number of samples | " + " | ".join(str(c) for c in table.counts) + " | |",
    ]
    for method, row in zip(table.methods, cells):
        lines.append(f"| {method} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def render_text(table: Table) -> str:
    """A plain aligned table for the terminal (no markup)."""
    header = ["Method"] + table.columns
    rows = [["Number of samples"] + [str(c) for c in table.counts] + [""]]
    rows += [[m] + [table.cell(i, j) for j in range(len(table.columns))] for i, m in enumerate(table.methods)]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    rule = "-" * len(fmt(header))
    return "\n".join([f"{table.metric.upper()} ({table.title})" if table.title else table.metric.upper(),
                      fmt(header), rule] + [fmt(r) for r in rows]) + "\n"
