"""Figures (matplotlib, headless): AU correlation matrix, the tables' averages as bars.

Every figure is written atomically as the file name given (PNG or PDF by its suffix): a figure that
fails leaves nothing behind. ``report_figures`` writes both formats.
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
    """Pearson correlation between the 0/1 AU columns (m x m, NaN where an AU is constant)."""
    values = table[list(au_columns)].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(values, rowvar=False))


def au_correlation_figure(table, au_columns, path, *, title: str = "") -> Path:
    """Lower triangle of the AU cross-correlation matrix; pairs above 0.40 are outlined (the paper's Fig. 1)."""
    plt = pyplot()
    matrix = au_correlation(table, au_columns)
    names = [f"AU{au_from_column(c)}" for c in au_columns]
    size = len(names)
    masked = np.ma.array(matrix, mask=np.triu(np.ones_like(matrix, dtype=bool), k=1))
    figure, axes = plt.subplots(figsize=(2.2 + 0.55 * size, 1.8 + 0.5 * size))
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
    axes.set_title(title or "AU correlation (Pearson)", fontsize=9)
    figure.colorbar(image, ax=axes, shrink=0.8)
    return save_figure(figure, path)


def _bar_errors(table) -> tuple[np.ndarray | None, str]:
    """(2, methods) distances below and above each AVG bar, and what they are."""
    values = table.values[:, -1]
    if table.low is not None and not np.isnan(table.low[:, -1]).any():
        return (np.stack([values - table.low[:, -1], table.high[:, -1] - values]),
                f"{table.level:g}% subject-level bootstrap interval")
    spread = table.spreads if table.spreads is not None else table.fold_spread
    if spread is None or np.isnan(spread[:, -1]).all():
        return None, ""
    what = "std over folds" if table.spreads is None or table.view != "pooled over folds" else "std over seeds"
    return np.stack([spread[:, -1], spread[:, -1]]), f"± {what}"


def metric_bars_figure(tables, path) -> Path:
    """The tables' AVG per method as bars, one panel per table (database), in the tables' row order, each bar
    with its value and its error bar (the bootstrap interval when computed, else the spread over folds);
    the constant baseline grey, its level dashed across the panel."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(tables), figsize=(sum(1.6 + 0.75 * len(t.methods) for t in tables), 3.8),
                                squeeze=False)
    for axis, table in zip(axes[0], tables):
        values = table.values[:, -1]
        errors, what = _bar_errors(table)
        colours = ["0.65" if i in table.constant else f"C{i % 10}" for i in range(len(values))]
        positions = np.arange(len(values))
        axis.bar(positions, values, 0.7, color=colours, yerr=errors, capsize=3, ecolor="black")
        tops = values if errors is None else values + errors[1]
        for x, value, top in zip(positions, values, tops):
            axis.text(x, top + 0.015, f"{value:.3f}", ha="center", va="bottom", fontsize=7)
        for i in table.constant:
            axis.axhline(values[i], color="0.4", linestyle="--", linewidth=0.8)
        axis.set_xticks(positions, table.methods, rotation=30, ha="right", fontsize=8)
        axis.set_ylim(0, min(1.1, max(1.0, float(np.nanmax(tops)) + 0.1)))
        axis.set_ylabel(f"AVG {table.heading}", fontsize=8)
        axis.set_title(f"{table.title}" + (f"\nerror bars: {what}" if what else ""), fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def report_figure_paths(tables, folder) -> dict:
    """name -> (drawing function, its file stem) of the figures ``report --figures`` draws for ``tables``."""
    from .outputs import folder_name

    several = len(tables) > 1
    plans = {}
    for table in tables:
        stem = "au_correlation" + (f"_{folder_name(table.title)}" if several else "")
        plans[stem] = lambda path, table=table: _correlation_of(table, path)
    stem = f"{tables[0].metric}_bars"
    plans[stem] = lambda path: metric_bars_figure(tables, path)
    return plans


def _correlation_of(table, path) -> Path:
    """The AU correlation of a table's labels, read from its first run's test predictions."""
    frame = table.rows[0].predictions[0]
    aus = table.rows[0].aus
    return au_correlation_figure(frame, aus, path, title=f"AU correlation (Pearson), {table.title}")


def report_figures(tables, folder, *, overwrite: bool = False) -> list[Path]:
    """The AU correlation matrix of each table's labels and the bars of its averages, PNG and PDF.

    Every file is checked before the first is drawn: existing figures are kept unless ``overwrite``.
    """
    from .errors import MeauError

    folder = Path(folder)
    plans = report_figure_paths(tables, folder)
    paths = [folder / f"{stem}.{suffix}" for stem in plans for suffix in ("png", "pdf")]
    existing = [path for path in paths if path.exists()]
    if existing and not overwrite:
        raise MeauError(f"{existing[0]}: exists; use --overwrite to replace the figures")
    written = []
    for stem, draw in plans.items():
        for suffix in ("png", "pdf"):
            written.append(draw(folder / f"{stem}.{suffix}"))
    return written
