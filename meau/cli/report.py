"""``meau report``: results tables (and figures, and one HTML page) from run folders."""

from pathlib import Path

import click

from .options import overwrite_option


def _parse_labels(ctx, param, value) -> dict:
    labels = {}
    for item in value or ():
        run, separator, name = item.partition("=")
        if not separator or not run or not name:
            raise click.BadParameter(f"{item!r}: give RUN=NAME (a run folder, then the row's name)")
        labels[run] = name
    return labels


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "latex", "markdown"]), default="text", show_default=True,
              help="The table's format (-o writes it to a file).")
@click.option("--metric", type=click.Choice(["f1", "accuracy", "precision", "recall", "macro_f1"]), default="f1",
              show_default=True, help="macro_f1 is the mean of positive- and negative-class F1, not the paper's F1.")
@click.option("--per-fold", is_flag=True, help="Mean ± std of per-fold values instead of pooled predictions.")
@click.option("--fold", type=int, help="Only this fold's values (test fold K of every run).")
@click.option("--by-database", is_flag=True, help="One table per database (runs of different databases are refused "
                                                  "otherwise); a composite run is also split by database.")
@click.option("--allow-mixed-splits", is_flag=True,
              help="Put runs tested on different folds in one table (refused otherwise: give every run the same "
                   "--splits FILE).")
@click.option("--label", "labels", multiple=True, callback=_parse_labels, metavar="RUN=NAME",
              help="The row name of a run (repeatable). Rows with one name get their folder's name after it.")
@click.option("--ci", type=click.FloatRange(0, 100, min_open=True, max_open=True), metavar="LEVEL",
              help="Add a LEVEL% subject-level bootstrap interval to each average (e.g. --ci 95): CSV columns "
                   "AVG_ci_low, AVG_ci_high.")
@click.option("--per-au-ci", is_flag=True, help="With --ci: an interval on every AU too.")
@click.option("--paired", is_flag=True,
              help="Add p_vs_best: a paired permutation test (whole subjects swapped) of each row against the best.")
@click.option("--resamples", type=click.IntRange(100), default=10000, show_default=True,
              help="Bootstrap and permutation resamples (seed 0).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the table to this file too.")
@click.option("--figures", type=click.Path(path_type=Path), help="Also draw the figures into this folder.")
@click.option("--html", type=click.Path(path_type=Path),
              help="Also write one self-contained page: tables, intervals, figures, configs, problems, commands.")
@overwrite_option()
def report(runs, fmt, metric, per_fold, fold, by_database, allow_mixed_splits, labels, ci, per_au_ci, paired,
           resamples, output, figures, html, overwrite):
    """Put finished RUNS in one paper-shaped table: AU1 … AUn, AVG; best bold, second underlined (only
    rows that beat the constant baseline). A folder of runs (such as meau-demo) stands for its runs, in the
    order they were run.

    \b
    Examples:
      meau report runs/constant runs/lbptop --format latex -o table.tex
      meau report meau-demo --ci 95 --paired --html report.html
    """
    from ..outputs import write_text
    from ..report import collect, render, render_text
    from .options import check_output

    check_output(output, overwrite)
    check_output(html, overwrite)
    options = dict(metric=metric, view="per_fold" if per_fold else "pooled", labels=labels,
                   allow_mixed_splits=allow_mixed_splits, fold=fold, ci=ci, per_au_ci=per_au_ci, paired=paired,
                   resamples=resamples)
    tables = collect(runs, by_database=by_database, **options)
    text = "\n".join(render_text(t) if fmt == "text" else render(t, fmt) for t in tables)
    click.echo(text, nl=False)
    written = []
    if figures:
        from ..figures import report_figure_paths, report_figures

        written = report_figures(tables, figures, overwrite=overwrite)
        captions = {stem: caption for stem, (_, caption) in report_figure_paths(tables, figures).items()}
        for path in written:
            click.echo(f"figure: {path}" + (f" ({captions[path.stem]})" if path.suffix == ".png" else ""))
    if html:
        from ..report_page import write_page

        composite = not by_database and any(row.composite for table in tables for row in table.rows)
        split_tables = collect(runs, by_database=True, **options)[1:] if composite else ()
        write_page(html, tables, split_tables=split_tables)
        click.echo(f"page: {html}")
    if output:
        write_text(output, text)
