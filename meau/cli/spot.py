"""``meau spot``: expression intervals in long recordings, and the MEGC metric that scores them."""

from pathlib import Path

import click

from . import LazyGroup
from .options import overwrite_option


@click.group(cls=LazyGroup, lazy_subcommands={})
def spot():
    """Spot micro- and macro-expressions in long recordings, or score spotted intervals."""


@spot.command()
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--truth", required=True, type=click.Path(path_type=Path),
              help="The truth intervals (meau annotate's output of a long-video sheet, or any CSV with video, onset, "
                   "offset[, type, subject])).")
@click.option("--label", metavar="COLUMN",
              help="Also analyse this column (emotion, …) on the true-positive pairs: the STR analysis and STRS.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Folder for metrics.json.")
@overwrite_option("Replace metrics.json in the output folder.")
def score(predictions, truth, label, output, overwrite):
    """Score PREDICTIONS (a CSV of intervals) against --truth with the MEGC metric.

    Intervals are inclusive (length = offset - onset + 1); a prediction hits a truth interval of the same
    video and type when IoU >= 0.5; TP counts the truth intervals hit, FP = predictions - TP; counts are
    pooled over videos and 'overall' sums micro and macro.

    \b
    Example:
      meau spot score runs/spot/intervals.csv --truth truth.csv -o scores
    """
    from ..outputs import OutputFolder, check_separate, write_json
    from ..spotting.intervals import megc_table, score_files
    from .options import check_output

    if output is not None:
        check_separate(output, [predictions, truth])
        check_output(output / "metrics.json", overwrite)
    metrics = score_files(predictions, truth, label=label)
    click.echo(megc_table(metrics), nl=False)
    for note in metrics["notes"]:
        click.echo(f"note: {note}")
    if output is not None:
        folder = OutputFolder(output, "scores")
        folder.mark()
        write_json(folder.file("metrics.json"), metrics)
        click.echo(f"metrics: {output / 'metrics.json'}")
