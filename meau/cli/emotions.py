"""``meau emotions score``: UF1, UAR, accuracy and mean precision of anyone's emotion predictions."""

from pathlib import Path

import click


@click.group()
def emotions():
    """Emotion recognition outside a run: score a predictions file against the truth."""


@emotions.command()
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--truth", type=click.Path(path_type=Path), required=True,
              help="CSV with subject, clip, emotion (and optionally database): the true classes.")
@click.option("--classes", help="The classes, comma-separated (default: the labels of the truth file).")
@click.option("--allow-missing", is_flag=True,
              help="Count a truth row without a prediction as an error (and list it) instead of refusing.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="A folder for metrics.json.")
@click.option("--overwrite", is_flag=True, help="Replace the folder's metrics.json if it exists.")
def score(predictions, truth, classes, allow_missing, output, overwrite):
    """Score PREDICTIONS (subject, clip, emotion[, database]) as the MEGC2019 guideline does: per class TP, FP
    and FN pooled over every row; UF1 = mean per-class F1, UAR = mean per-class recall, every class counted.

    \b
    Example:
      meau emotions score predictions.csv --truth megc2019_truth.csv -o scores
    """
    from ..emotions import score_files
    from ..outputs import OutputFolder, check_separate, write_json
    from .options import check_output

    if output is not None:  # checked before anything is read or written
        check_separate(output, [predictions, truth])
        check_output(output / "metrics.json", overwrite)
    names = [name.strip() for name in classes.split(",") if name.strip()] if classes else None
    result = score_files(predictions, truth, classes=names, allow_missing=allow_missing)
    rows = [("pooled", result["pooled"])] + list(result["by_database"].items())
    click.echo(f"{result['matched']} sample(s) matched; classes {', '.join(result['classes'])}")
    width = max(len(name) for name, _ in rows)
    click.echo(f"{'':<{width}}  {'UF1':>6}  {'UAR':>6}  {'accuracy':>8}  {'mean precision':>14}  samples")
    for name, found in rows:
        click.echo(f"{name:<{width}}  {found['uf1']:6.4f}  {found['uar']:6.4f}  {found['accuracy']:8.4f}  "
                   f"{found['mean_precision']:14.4f}  {found['samples']}")
    for note in result["pooled"]["notes"]:
        click.echo(f"note: {note}")
    if result["missing_predictions"]:
        click.echo(f"{len(result['missing_predictions'])} truth row(s) without a prediction, counted as errors: "
                   f"{', '.join(result['missing_predictions'][:10])}" + (" …" if len(result["missing_predictions"]) > 10 else ""))
    if result["missing_truth"]:
        click.echo(f"{len(result['missing_truth'])} prediction(s) without truth, left out: "
                   f"{', '.join(result['missing_truth'][:10])}" + (" …" if len(result["missing_truth"]) > 10 else ""))
    click.echo("UAR is the mean per-class recall; the mean per-class precision is shown apart (some tables print it "
               "as 'UAR').")
    if output is not None:
        folder = OutputFolder(output, "scores")
        folder.mark()
        write_json(folder.file("metrics.json"), {"pooled": result["pooled"], "by_database": result["by_database"],
                                                 "classes": result["classes"],
                                                 "missing_predictions": result["missing_predictions"],
                                                 "missing_truth": result["missing_truth"]})
        click.echo(f"metrics: {folder.file('metrics.json')}")
