"""``meau predict``: AU probabilities and decisions for new clips, from a finished run."""

from pathlib import Path

import click


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--onset", type=int, help="First frame (number in the file names; 0-based index for videos).")
@click.option("--offset", type=int, help="Last frame, inclusive.")
@click.option("--device", default="auto", show_default=True, help="For deep runs: auto, cpu, cuda[:i].")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="predictions.csv to write.")
@click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")
def predict(source, inputs, onset, offset, device, output, overwrite):
    """Predict AUs for INPUTS (frame folders of cropped faces, or videos of a cropped face) with SOURCE.

    SOURCE is a finished run folder (handcrafted: its final SVMs; deep: the mean of its folds' best
    checkpoints) or one deep checkpoint file. meau does not detect faces: inputs must be cropped faces.

    \b
    Example:
      meau predict runs/lbptop my_clips/clip1 my_clips/clip2 -o predictions.csv
    """
    from ..errors import MeauError
    from ..predict import predict_inputs
    from ..runs import write_csv
    from .options import check_output

    check_output(output, overwrite)
    table = predict_inputs(source, inputs, onset=onset, offset=offset, device=device, echo=click.echo)
    write_csv(output, table)
    failed = int((table["status"] != "ok").sum())
    click.echo(f"{len(table) - failed} of {len(table)} input(s) predicted -> {output}")
    if failed:
        raise MeauError(f"{failed} input(s) failed; their errors are in {output}")
