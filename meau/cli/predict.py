"""``meau predict``: AU probabilities and decisions for new clips, from a finished run."""

from pathlib import Path

import click

from .options import overwrite_option


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--onset", type=int, help="First frame (number in the file names; 0-based index for videos).")
@click.option("--offset", type=int, help="Last frame, inclusive.")
@click.option("--crop", is_flag=True,
              help="Find, align and crop the face first (raw recordings; needs the face extra). One transform per "
                   "input, from the first frame with a face, as meau crop.")
@click.option("--crop-size", default=160, show_default=True, type=int, help="With --crop: the aligned frame size.")
@click.option("--window", type=int, metavar="N",
              help="Long recordings: one row per window of N frames (a clip: onset = its first frame, apex estimated).")
@click.option("--stride", type=int, metavar="S",
              help="With --window: frames between window starts (default N/2). 1: one row per frame (its face box, "
                   "68 landmarks and the window centred on it), as OpenFace and py-feat give.")
@click.option("--fps", type=click.FloatRange(1), help="A frame folder's frame rate, for the windows' times "
              "[default: a video's own; 30 for a frame folder, said on the console and in the output].")
@click.option("--force-fps", is_flag=True, help="Use --fps even for a video that says another rate (refused otherwise).")
@click.option("--figure", type=click.Path(path_type=Path),
              help="With --window: draw the AU probabilities over time (thresholds dashed), PNG or PDF.")
@click.option("--device", default="auto", show_default=True, help="For deep runs: auto, cpu, cuda[:i].")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="predictions.csv to write.")
@overwrite_option()
def predict(source, inputs, onset, offset, crop, crop_size, window, stride, fps, force_fps, figure, device, output,
            overwrite):
    """Predict AUs for INPUTS (frame folders or videos) with SOURCE.

    SOURCE is a finished run folder (handcrafted: its final SVMs; deep: the mean of its folds' best
    checkpoints) or one deep checkpoint file. Inputs show a cropped face, or any recording with --crop.

    \b
    Examples:
      meau predict runs/lbptop my_clips/clip1 my_clips/clip2 -o predictions.csv
      meau predict runs/flow interview.mp4 --crop --window 30 --stride 10 --figure traces.png -o traces.csv
    """
    from ..errors import MeauError
    from ..outputs import check_separate
    from ..prediction import predict_inputs, traces_figure
    from ..outputs import write_csv
    from .options import check_output

    check_output(output, overwrite)
    check_separate(output, [source, *inputs])
    if figure is not None:
        if window is None:
            raise MeauError("--figure draws AU traces over time: it needs --window")
        check_output(figure, overwrite)
        check_separate(figure, [source, *inputs], option="--figure")
    if stride is not None and window is None:
        raise MeauError("--stride needs --window")
    settings = None
    if crop:
        from ..crop import CropSettings
        from ..faces import check_face_support

        settings = CropSettings(size=crop_size)
        settings.check()
        check_face_support()
    table = predict_inputs(source, inputs, onset=onset, offset=offset, device=device, echo=click.echo, crop=settings,
                           window=window, stride=stride, fps=fps, force_fps=force_fps)
    import warnings

    from ..prediction import synthetic_warning

    with warnings.catch_warnings():  # said once the run could be read, on the console beside the summary
        warnings.simplefilter("ignore")
        warned = synthetic_warning(source)
    if warned:
        click.echo(f"warning: {warned}")
    write_csv(output, table)
    errors = table.loc[table["status"].str.startswith("error"), "input"].unique()
    undecided = int(table["status"].str.startswith("no-face").sum())
    what = "" if window is None else f"{len(table)} frame(s) of " if stride == 1 else f"{len(table)} window(s) of "
    click.echo(f"{what}{len(inputs) - len(errors)} of {len(inputs)} input(s) predicted -> {output}"
               + (f"; {undecided} {'frame' if stride == 1 else 'window'}(s) without the face in half their window "
                  "left undecided" if undecided else ""))
    if figure is not None and (table["status"] == "ok").any():
        traces_figure(table, figure)
        click.echo(f"figure: {figure}")
    if len(errors) == len(inputs):
        raise MeauError(f"every input failed ({len(errors)}): their errors are in {output}")
    if len(errors):
        click.echo(f"{len(errors)} input(s) failed, their errors in {output}: {', '.join(errors[:5])}"
                   + (" …" if len(errors) > 5 else ""))
