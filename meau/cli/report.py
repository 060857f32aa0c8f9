"""``meau report``: results tables (and figures) from run folders."""

from pathlib import Path

import click

from .options import overwrite_option


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "latex", "markdown"]), default="text", show_default=True)
@click.option("--metric", type=click.Choice(["f1", "accuracy", "precision", "recall", "macro_f1"]), default="f1",
              show_default=True, help="macro_f1 is the mean of positive- and negative-class F1, not the paper's F1.")
@click.option("--per-fold", is_flag=True, help="Mean of per-fold values instead of pooled predictions.")
@click.option("--by-database", is_flag=True, help="One table per database instead of refusing mixed runs.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the table to this file too.")
@click.option("--figures", type=click.Path(path_type=Path), help="Also draw the figures into this folder.")
@overwrite_option()
def report(runs, fmt, metric, per_fold, by_database, output, figures, overwrite):
    """Put finished RUNS in one paper-shaped table: AU1 … AUn, AVG; best bold, second underlined.

    \b
    Example:
      meau report runs/constant runs/lbptop --format latex -o table.tex
    """
    from ..report import collect, render, render_text
    from ..outputs import write_text
    from .options import check_output

    check_output(output, overwrite)
    tables = collect(runs, metric=metric, view="per_fold" if per_fold else "pooled", by_database=by_database)
    text = "\n".join(render_text(t) if fmt == "text" else render(t, fmt) for t in tables)
    click.echo(text, nl=False)
    if output:
        write_text(output, text)
    if figures:
        from ..figures import report_figures

        for path in report_figures(runs, figures):
            click.echo(f"figure: {path}")
