"""Figures (matplotlib, headless): AU correlation matrix, accuracy per method and database.

Every figure is written as the file name given (PNG or PDF by its suffix); ``report_figures`` writes
both formats.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .annotations import au_from_column

MARK_ABOVE = 0.40


def pyplot():
    """matplotlib's pyplot on the Agg backend (headless)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: Path, *, close: bool = True) -> Path:
    """Write ``figure`` atomically, as PNG or PDF by the suffix of ``path``; close it unless asked not to."""
    from .outputs import atomic_path

    path = Path(path)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")
    if close:
        pyplot().close(figure)
    return path


def au_correlation(table, au_columns) -> np.ndarray:
    """Pearson correlation between the 0/1 AU columns (NaN where an AU is constant)."""
    values = table[au_columns].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.corrcoef(values, rowvar=False)


def au_correlation_figure(table, au_columns, path, *, title: str = "") -> Path:
    """Lower triangle of the AU cross-correlation matrix; pairs above 0.40 are outlined (the paper's Fig. 1)."""
    plt = pyplot()
    matrix = au_correlation(table, au_columns)
    names = [f"AU{au_from_column(c)}" for c in au_columns]
    size = len(names)
    masked = np.ma.array(matrix, mask=np.triu(np.ones_like(matrix, dtype=bool), k=1))
    figure, axes = plt.subplots(figsize=(1.0 + 0.55 * size, 0.8 + 0.5 * size))
    image = axes.imshow(masked, cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(size):
        for j in range(i + 1):
            value = matrix[i, j]
            if np.isnan(value):
                continue
            axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                      color="white" if abs(value) > 0.6 else "black")
            if i != j and value > MARK_ABOVE:
                axes.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2))
    axes.set_xticks(range(size), names, rotation=90)
    axes.set_yticks(range(size), names)
    axes.set_title(title or "AU correlation (Pearson)")
    figure.colorbar(image, ax=axes, shrink=0.8)
    return save_figure(figure, path)


def accuracy_bars_figure(runs, path, *, metric: str = "accuracy") -> Path:
    """Average ``metric`` per method, grouped by database (the paper's Fig. 5)."""
    from .runs import load_run

    plt = pyplot()
    values: dict[str, dict[str, float]] = {}
    for run in runs:
        config, metrics = load_run(run)
        database = "+".join(sorted({s.get("database", "?") for s in config.get("dataset", {}).get("sources", [])}))
        method = config.get("method", str(run))
        values.setdefault(method, {})[database] = metrics["pooled"]["AVG"][metric]
    methods = list(values)
    databases = sorted({db for by_db in values.values() for db in by_db})
    width = 0.8 / max(len(methods), 1)
    figure, axes = plt.subplots(figsize=(2 + 1.5 * len(databases) + 0.3 * len(methods), 3.5))
    for k, method in enumerate(methods):
        heights = [values[method].get(db, np.nan) for db in databases]
        positions = np.arange(len(databases)) + (k - (len(methods) - 1) / 2) * width
        axes.bar(positions, heights, width, label=method)
    axes.set_xticks(np.arange(len(databases)), databases)
    axes.set_ylabel(f"average {metric}")
    axes.set_ylim(0, 1)
    axes.legend(fontsize=7, ncol=2)
    return save_figure(figure, path)


def report_figures(runs, folder) -> list[Path]:
    """Correlation matrix of the labels of the first run (from its predictions) and the bar chart, PNG and PDF."""
    import pandas as pd

    from .runs import load_run

    folder = Path(folder)
    written = []
    config, metrics = load_run(runs[0])
    predictions = pd.read_csv(Path(runs[0]) / "predictions.csv", dtype={"subject": str, "clip": str})
    for suffix in ("png", "pdf"):
        written.append(au_correlation_figure(predictions, metrics["aus"], folder / f"au_correlation.{suffix}"))
        written.append(accuracy_bars_figure(runs, folder / f"accuracy.{suffix}"))
    return written
