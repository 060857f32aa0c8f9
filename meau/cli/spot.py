"""``meau spot``: expression intervals in long recordings, and the MEGC metric that scores them."""

from pathlib import Path

import click

from . import LazyGroup
from .options import DatabaseChoice, n_jobs_option, overwrite_option


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


@spot.command()
@click.argument("data_root", type=click.Path(path_type=Path))
@click.option("--database", type=DatabaseChoice(), required=True,
              help="A database of long recordings (sammlv, casmesq, or casme3 with its full part A sheet).")
@click.option("--sheet", type=click.Path(path_type=Path), help="The coding sheet (default: found in DATA_ROOT).")
@click.option("--layout", default="auto", show_default=True, help="Frame layout variant: auto, cropped, raw …")
@click.option("--expressions", type=click.Choice(["micro", "macro", "all"]), default="all", show_default=True,
              help="Which coded intervals are the truth.")
@click.option("--apply-fixes", is_flag=True, help="Apply the documented fixes of known sheet errors.")
@click.option("--size", default=96, show_default=True, type=click.IntRange(32, 256),
              help="Frames are downscaled to SIZE x SIZE for the optical flow.")
@click.option("--stride", type=click.IntRange(1), help="Frames between two flows [default: a 25th of a second, 8 frames at 200 fps].")
@click.option("--fold", type=int, help="Run only this fold (one per subject; the others in other processes).")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="One figure per recording: score, threshold, truth and spotted intervals over time.")
@n_jobs_option(1, "Recordings processed in parallel (-1: all cores).")
@click.option("--backend", default=None, help="joblib backend (loky, threading, dask ...).")
@click.option("--cache", type=click.Path(path_type=Path), help="Flow trace cache folder (default: ~/.cache/meau).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("-o", "--output", "run_dir", required=True, type=click.Path(path_type=Path), help="Run folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run: finished folds are kept.")
@overwrite_option("Replace the results of a previous run in the folder (only a run folder meau wrote).")
def flow(data_root, database, sheet, layout, expressions, apply_fixes, size, stride, fold, figures, n_jobs, backend,
         cache, no_cache, run_dir, resume, overwrite):
    """Spot micro- and macro-expressions in long recordings with optical flow in facial regions, through
    leave-one-subject-out: k, smoothing, p and length bounds are chosen on the training subjects only.

    \b
    Example:
      meau spot flow /data/SAMM_LongVideos --database sammlv -o runs/spot
      meau spot score runs/spot/intervals.csv --truth truth.csv
    """
    from ..databases import DatasetSelection, LabelSettings
    from ..databases.recordings import load_recordings
    from ..paths import cache_root
    from ..spotting.flow import FlowSpotter
    from ..spotting.intervals import megc_table
    from ..spotting.run import run_spotting
    from .options import open_run

    selection = DatasetSelection(database=database, root=data_root, sheet=sheet,
                                 layout=None if layout == "auto" else layout, expressions=expressions,
                                 labels=LabelSettings(min_count=1, apply_fixes=apply_fixes)).check()
    run = open_run({"run_dir": run_dir, "resume": resume, "overwrite": overwrite, "fold": fold}, selection)
    data = load_recordings(selection)
    kinds = data.truth["type"].value_counts().to_dict()
    click.echo(f"{database}: {len(data.recordings)} recordings of {len(data.subjects)} subjects, "
               f"{len(data.truth)} intervals ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
               f"problems: {len(data.problems)}")
    metrics = run_spotting(FlowSpotter(size=size, stride=stride), data, run, fold=fold, n_jobs=n_jobs, backend=backend,
                           cache=None if no_cache else (cache or cache_root()), echo=click.echo, figures=figures,
                           parameters={**selection.parameters(), "size": size})
    if metrics is not None:
        click.echo(megc_table(metrics), nl=False)
        click.echo(f"intervals.csv, metrics.json, figures/: {run_dir}")
