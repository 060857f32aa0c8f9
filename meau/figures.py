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
    """(2, methods) distances below and above each AVG (UF1) bar, and what they are."""
    j = table.headline
    values = table.values[:, j]
    if table.low is not None and not np.isnan(table.low[:, j]).any():
        return (np.stack([values - table.low[:, j], table.high[:, j] - values]),
                f"{table.level:g}% subject-level bootstrap interval")
    spread = table.spreads if table.spreads is not None else table.fold_spread
    if spread is None or np.isnan(spread[:, j]).all():
        return None, ""
    what = "std over folds" if table.spreads is None or table.view != "pooled over folds" else "std over seeds"
    return np.stack([spread[:, j], spread[:, j]]), f"± {what}"


def metric_bars_figure(tables, path) -> Path:
    """The tables' AVG per method as bars, one panel per table (database), in the tables' row order, each bar
    with its value and its error bar (the bootstrap interval when computed, else the spread over folds);
    the constant baseline grey, its level dashed across the panel."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(tables), figsize=(sum(1.6 + 0.75 * len(t.methods) for t in tables), 3.8),
                                squeeze=False)
    for axis, table in zip(axes[0], tables):
        values = table.values[:, table.headline]
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
        axis.set_ylabel(f"{table.columns[table.headline]} {table.heading}", fontsize=8)
        axis.set_title(f"{table.title}" + (f"\nerror bars: {what}" if what else ""), fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def report_figure_paths(tables, folder) -> dict:
    """file stem -> (drawing function, caption in words) of the figures ``report --figures`` and the HTML page
    draw for ``tables``."""
    from .outputs import folder_name

    several = len(tables) > 1
    plans = {}
    for table in tables:
        if table.metric == "spotting":  # the bars only: no AU correlation for intervals
            continue
        if table.metric == "emotion":  # one confusion matrix per run
            for row in table.rows:
                stem = f"confusion_{folder_name(row.label)}" + (f"_{folder_name(table.title)}" if several else "")
                plans[stem] = (lambda path, row=row: confusion_figure(row, path),
                               f"Confusion matrix of {row.label} on {table.title}: one row per true class, one column "
                               "per predicted class, the test predictions of every fold counted together; each "
                               "cell gives its count and its share of the true class (the diagonal is each class's "
                               "recall).")
            continue
        stem = "au_correlation" + (f"_{folder_name(table.title)}" if several else "")
        plans[stem] = (lambda path, table=table: _correlation_of(table, path),
                       f"How often the AUs of {table.title} occur together: the Pearson correlation of every pair of "
                       "AU labels over the samples (lower triangle), pairs above 0.40 outlined.")
    stem = f"{tables[0].metric}_bars"
    plans[stem] = (lambda path: metric_bars_figure(tables, path), _bars_caption(tables))
    return plans


def _bars_caption(tables) -> str:
    """The bars figure in words: what each bar is, the panels, the error bars, the constant baseline."""
    first = tables[0]
    errors = sorted({what for what in (_bar_errors(table)[1] for table in tables) if what})
    panels = f"one panel per database ({', '.join(table.title for table in tables)})" if len(tables) > 1 \
        else f"on {first.title}"
    return (f"The {first.columns[first.headline]} column ({first.heading}) of each run, {panels}, its value over its "
            "bar; "
            + (f"error bars: {'; '.join(errors)}" if errors else "no error bars (a single fold or run)")
            + (". The constant baseline is grey, its level dashed across the panel." if any(t.constant for t in tables)
               else "."))


def confusion_figure(row, path) -> Path:
    """An emotion run's confusion matrix (rows: truth, columns: prediction, counts pooled over folds), each
    cell with its count and its share of the truth class (the recall on the diagonal)."""
    frame = row.predictions[0]
    classes = row.aus
    index = {name: k for k, name in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for truth, predicted in zip(frame["emotion"].astype(str), frame["predicted"].astype(str)):
        if predicted in index:
            counts[index[truth], index[predicted]] += 1
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    plt = pyplot()
    size = 1.6 + 0.75 * len(classes)
    figure, axes = plt.subplots(figsize=(size + 1, size))
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            axes.text(j, i, f"{counts[i, j]}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=7,
                      color="white" if shares[i, j] > 0.6 else "black")
    axes.set_xticks(range(len(classes)), classes, rotation=30, ha="right", fontsize=8)
    axes.set_yticks(range(len(classes)), classes, fontsize=8)
    axes.set_xlabel("predicted", fontsize=8)
    axes.set_ylabel("truth", fontsize=8)
    axes.set_title(f"{row.label}: confusion ({row.database}), share of each "
                   "truth class", fontsize=8)
    figure.colorbar(image, ax=axes, shrink=0.8)
    return save_figure(figure, path)


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
    for stem, (draw, _) in plans.items():
        for suffix in ("png", "pdf"):
            written.append(draw(folder / f"{stem}.{suffix}"))
    return written
