"""``meau crop``: raw recordings -> aligned face clips (a cropped database, or one folder per input)."""

from pathlib import Path

import click

from .options import DatabaseChoice, backend_options, column_option, frames_option, n_jobs_option, overwrite_option


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="Folder to write.")
@click.option("--database", type=DatabaseChoice(),
              help="INPUTS is one database root: write its cropped layout (onset..offset of every sample) and sheet.")
@click.option("--datasets", type=click.Path(path_type=Path),
              help="A TOML datasets file: crop every entry into OUT/<label> and write OUT/datasets.toml.")
@click.option("--sheet", type=click.Path(path_type=Path), help="Coding sheet (default: found in the root).")
@click.option("--layout", default="auto", show_default=True, help="Layout to crop from (default: raw where there is one).")
@frames_option("For --database csv: the frame pattern (see meau baseline --help).")
@column_option()
@click.option("--size", default=160, show_default=True, type=int,
              help="Output frames are SIZE x SIZE; the eye centres land level, 0.34 SIZE apart, centred, at 0.32 SIZE "
                   "from the top (brows near 0.20, the chin near 0.90 SIZE).")
@click.option("--stabilize", type=click.Choice(["none", "ecc"]), default="none", show_default=True,
              help="ecc: register every frame to the reference frame (OpenCV ECC, Euclidean, over the face) to remove "
                   "head drift; the motion removed is written to motion.csv.")
@n_jobs_option(-1, "Clips cropped in parallel (-1: all cores; results do not depend on it).")
@backend_options
@click.option("--resume", is_flag=True, help="Continue an interrupted crop: finished clips are kept.")
@overwrite_option("Replace a previous crop in OUT (only a folder meau crop wrote), and --figure's file.")
@click.option("--strict", is_flag=True, help="Fail when a clip has no face (default: list it and go on).")
@click.option("--landmarks", type=click.Path(path_type=Path),
              help="With --database: a landmarks.csv (meau crop's or meau synth's) whose points replace detection "
                   "on each sample's onset frame.")
@click.option("--figure", type=click.Path(path_type=Path),
              help="Also draw the 68 points and the 36 MDMO regions over the first aligned clip (PNG or PDF).")
def crop(inputs, out, database, datasets, sheet, layout, frames, columns, size, stabilize, n_jobs, backend, scheduler,
         scheduler_timeout, resume, overwrite, strict, landmarks, figure):
    """Find, align and crop faces offline (dlib HOG detector + 68 points; nothing is downloaded).

    \b
    A database:        meau crop RAW_ROOT --database NAME -o cropped
    Several databases: meau crop --datasets cd.toml -o cropped   (writes cropped/datasets.toml)
    Videos or folders: meau crop interview.mp4 clips/take1 -o faces
    """
    from ..crop import CropSettings
    from ..errors import MeauError
    from ..outputs import check_separate
    from .options import check_output, parallel_backend

    settings = CropSettings(size=size, stabilize=stabilize).check()
    if landmarks is not None and not database:
        raise MeauError("--landmarks gives the points of a database's samples: it needs --database "
                        "(videos and frame folders are detected)")
    if figure is not None:
        check_output(figure, overwrite)
        check_separate(figure, [*inputs, datasets, sheet], option="--figure")
    common = dict(settings=settings, n_jobs=n_jobs, resume=resume, overwrite=overwrite, strict=strict,
                  progress=None)  # a bar on a terminal, or with -v
    # the cluster first (an unreachable scheduler writes nothing), then the crop with its workers
    with parallel_backend({"backend": backend, "scheduler": scheduler, "scheduler_timeout": scheduler_timeout,
                           "n_jobs": n_jobs}) as (_, jobs):
        _run_crop(inputs, out, database, datasets, sheet, layout, frames, columns, landmarks, figure,
                  {**common, "n_jobs": jobs})


def _run_crop(inputs, out, database, datasets, sheet, layout, frames, columns, landmarks, figure, common):
    from ..crop import crop_dataset, crop_datasets_file, crop_inputs, raw_layout_first
    from ..errors import MeauError
    from ..outputs import check_separate

    if datasets:
        if inputs or database:
            raise MeauError("--datasets replaces DATA_ROOT and --database: give one or the other")
        for label, summary in crop_datasets_file(datasets, out, **common):
            click.echo(_summary(label, summary))
        click.echo(f"datasets file of the cropped roots: {out / 'datasets.toml'}")
        return
    if not inputs:
        raise MeauError("give a DATA_ROOT with --database, --datasets FILE, or videos / frame folders to crop")
    if database:
        if len(inputs) != 1:
            raise MeauError(f"--database crops one database root, got {len(inputs)} inputs")
        root = inputs[0]
        if not root.is_dir():
            raise MeauError(f"{root}: database root is not a folder")
        check_separate(out, [root, sheet, landmarks])
        from ..databases import DatasetSelection, LabelSettings
        from ..databases.layouts import is_pattern

        # a sheet without layouts of its own may borrow another database's (--frames NAME)
        layout_database = frames if frames and not is_pattern(frames) else database
        dataset = DatasetSelection(database=database, root=root, sheet=sheet, frames=frames, columns=columns,
                                   layout=raw_layout_first(root, layout_database, layout),
                                   labels=LabelSettings(min_count=1)).load()
        summary = crop_dataset(dataset, out, database=layout_database, frames=frames,
                               sheet=dataset.sources[0]["path"], landmarks=landmarks, **common)
        click.echo(_summary(str(root), summary))
    else:
        summary = crop_inputs(list(inputs), out, **common)
        click.echo(_summary("inputs", summary))
        for message in summary["messages"]:
            click.echo(f"  {message}")
    if figure:
        from ..crop import regions_of_first_clip

        regions_of_first_clip(out, figure)
        click.echo(f"figure: {figure}")
    click.echo(f"crop.csv, landmarks.csv, validation.csv: {out}")


def _summary(what, summary) -> str:
    resumed = f" ({summary['resumed']} kept from before)" if summary["resumed"] else ""
    failed = f", {summary['failed']} skipped (listed in validation.csv)" if summary["failed"] else ""
    return f"{what}: {summary['ok']} of {summary['samples']} cropped, {summary['frames']} frames{resumed}{failed}"
