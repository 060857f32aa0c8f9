"""``meau spot``: expression intervals in long recordings, and the MEGC metric that scores them."""

from pathlib import Path

import click

from . import LazyGroup
from ..errors import MeauError
from .options import DatabaseChoice, backend_options, n_jobs_option, overwrite_option, stack


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
@click.option("--analysis-classes", metavar="CLASS,CLASS,…",
              help="With --label: analyse only these classes (the public STR code's negative,positive,surprise); "
                   "intervals of other classes still count for spotting, and a pair whose truth is another class "
                   "counts against the class it was given [default: the classes in the truth of the pairs].")
@click.option("--aus", is_flag=True,
              help="Also score the intervals' AUs (AUxx_c, from --aus-from) on the true-positive pairs against the "
                   "truth's AUxx: per-AU F1, their mean, and its product with the spotting F1.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Folder for metrics.json, the printed table (table.txt) and matches.csv (which prediction hit which "
                   "truth interval, with its IoU).")
@overwrite_option("Replace metrics.json, table.txt and matches.csv in the output folder.")
def score(predictions, truth, label, analysis_classes, aus, output, overwrite):
    """Score PREDICTIONS (a CSV of intervals) against --truth with the MEGC metric.

    Intervals are inclusive (length = offset - onset + 1); a prediction hits a truth interval of the same
    video and type when IoU >= 0.5; TP counts the truth intervals hit, FP = predictions - TP; counts are
    pooled over videos and 'overall' sums micro and macro.

    \b
    Example:
      meau spot score runs/spot/intervals.csv --truth truth.csv -o scores
      meau spot score runs/softnet/intervals.csv --truth truth.csv --label emotion \\
          --analysis-classes negative,positive,surprise
    """
    from ..outputs import OutputFolder, check_separate, write_json
    from ..spotting.intervals import megc_table, score_files
    from .options import check_output

    if output is not None:
        check_separate(output, [predictions, truth])
        for name in ("metrics.json", "table.txt", "matches.csv"):
            check_output(output / name, overwrite)
    if analysis_classes and not label:
        raise MeauError("--analysis-classes goes with --label COLUMN (the column the classes are in)")
    classes = [name.strip() for name in analysis_classes.split(",") if name.strip()] if analysis_classes else None
    metrics = score_files(predictions, truth, label=label, aus=aus, classes=classes)
    click.echo(megc_table(metrics), nl=False)
    for note in metrics["notes"]:
        click.echo(f"note: {note}")
    if output is not None:
        from ..outputs import write_csv, write_text
        from ..spotting.intervals import matches_table

        folder = OutputFolder(output, "scores")
        folder.mark()
        write_json(folder.file("metrics.json"), metrics)
        write_text(folder.file("table.txt"), megc_table(metrics) + "".join(f"note: {n}\n" for n in metrics["notes"]))
        write_csv(folder.file("matches.csv"), matches_table(predictions, truth))
        click.echo(f"metrics, table, matches: {output / 'metrics.json'}, table.txt, matches.csv")


def spotter_options(size_help: str):
    """The options every spotter command shares: the database (or --run and your recordings), the
    protocol, parallel work, AUs per interval, outputs."""
    return stack(
        click.argument("inputs", nargs=-1, type=click.Path(path_type=Path), metavar="DATA_ROOT | RECORDING..."),
        click.option("--database", type=DatabaseChoice("long"),
                     help="A database of long recordings (sammlv, casmesq, or casme3 with its full part A sheet)."),
        click.option("--sheet", type=click.Path(path_type=Path), help="The coding sheet (default: found in DATA_ROOT)."),
        click.option("--layout", default="auto", show_default=True, help="Frame layout variant: auto, cropped, raw …"),
        click.option("--expressions", type=click.Choice(["micro", "macro", "all"]), default="all", show_default=True,
                     help="Which coded intervals are the truth."),
        click.option("--apply-fixes", is_flag=True, help="Apply the documented fixes of known sheet errors."),
        click.option("--run", "settings_run", type=click.Path(path_type=Path),
                     help="Spot your own recordings (INPUTS: videos or frame folders, no sheet) with the settings "
                          "this finished spotting run chose on all its subjects."),
        click.option("--crop", "crop_faces", is_flag=True,
                     help="With --run: find, align and crop the face of each recording first (as meau crop does)."),
        click.option("--fps", type=click.FloatRange(1, min_open=False),
                     help="With --run: a frame folder's frame rate [default: a video's own; 30 for a frame folder, "
                          "said on the console and in recordings.csv]."),
        click.option("--force-fps", is_flag=True,
                     help="With --run: use --fps even for a video that says another rate (refused otherwise)."),
        click.option("--eaf", is_flag=True,
                     help="With --run: also an ELAN file per recording (a tier per type; pip install 'meau[elan]')."),
        click.option("--aus-from", "aus_from", type=click.Path(path_type=Path),
                     help="A finished AU run (baseline, train): predict the AUs of every spotted interval "
                          "(AUxx_p/_t/_c, as meau predict computes them)."),
        click.option("--emotions-from", "emotions_from", type=click.Path(path_type=Path),
                     help="A finished emotion run (baseline or train --target emotion): the emotion of every spotted "
                          "interval (emotion, p_<class>, as meau predict gives them); metrics.json adds the STR "
                          "analysis and STRS."),
        click.option("--emotions-sheet", type=click.Path(path_type=Path),
                     help="SAMM Long Videos: SAMM's short sheet, whose Estimated Emotion each micro-expression takes "
                          "(joined on Filename, as the STR baselines do)."),
        click.option("--size", default=96, show_default=True, type=click.IntRange(32, 256), help=size_help),
        click.option("--one-per-event/--keep-overlapping", "one_per_event", default=None,
                     help="Drop a spot that overlaps a higher-scoring one of the same type, in tuning as at test time, "
                          "or keep it [default: one per event for flow and softnet, where it was measured to help; "
                          "kept for diff, where it did not; mdmd's runs never overlap]."),
        click.option("--stride", type=click.IntRange(1),
                     help="Frames between two computed values [default: a 25th of a second, 8 frames at 200 fps]."),
        click.option("--fold", type=int, help="Run only this fold (one per subject; the others in other processes)."),
        click.option("--figures/--no-figures", default=True, show_default=True,
                     help="One figure per recording: score, threshold, truth and spotted intervals over time."),
        n_jobs_option(-1, "Recordings processed in parallel (-1: all cores; results do not depend on it)."),
        backend_options,
        click.option("--cache", type=click.Path(path_type=Path), help="Trace cache folder (default: $MEAU_CACHE, else ~/.cache/meau)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the cache."),
        click.option("-o", "--output", "run_dir", required=True, type=click.Path(path_type=Path),
                     help="Run folder (with --run: the output folder)."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run: finished folds are kept."),
        overwrite_option("Replace the results of a previous run in the folder (only a folder meau wrote)."),
    )


def _spot(spotter, options: dict) -> None:
    """A spotter through leave-one-subject-out on a database, or, with --run, on the user's recordings."""
    from ..paths import cache_root
    from ..spotting.aus import au_predictor
    from ..spotting.intervals import megc_table
    from .options import open_run, parallel_backend

    inputs, settings_run = options["inputs"], options["settings_run"]
    recordings_only = {"crop_faces": "--crop", "fps": "--fps", "force_fps": "--force-fps", "eaf": "--eaf"}
    if settings_run is None:
        given = [flag for name, flag in recordings_only.items() if options[name]]
        if given:
            raise MeauError(f"{given[0]} goes with --run RUN (spotting your own recordings)")
        if len(inputs) != 1 or not options["database"]:
            raise MeauError("give DATA_ROOT and --database (a long-video database), or --run RUN and your recordings")
    else:
        database_only = {"database": "--database", "sheet": "--sheet", "fold": "--fold", "resume": "--resume",
                         "apply_fixes": "--apply-fixes"}
        given = [flag for name, flag in database_only.items() if options[name] not in (None, False)]
        if given:
            raise MeauError(f"{given[0]} goes with a database (DATA_ROOT), not with --run and your recordings")
        if not inputs:
            raise MeauError("--run RUN spots your own recordings: give one or more videos or frame folders")
    if settings_run is not None:
        _refuse_other_fixed_settings(spotter, settings_run)
    aus = (options["aus_from"], au_predictor(options["aus_from"])) if options["aus_from"] else None
    emotions = _emotion_predictor(options["emotions_from"], spotter) if options["emotions_from"] else None
    if settings_run is not None:
        from ..crop import CropSettings
        from ..spotting.apply import spot_inputs

        summary = spot_inputs(settings_run, inputs, options["run_dir"], kind=spotter.kind, fps=options["fps"],
                              crop=CropSettings().check() if options["crop_faces"] else None, aus=aus,
                              emotions=emotions, force_fps=options["force_fps"],
                              eaf=options["eaf"], figures=options["figures"], overwrite=options["overwrite"],
                              echo=click.echo)
        if summary["failed"] == summary["inputs"]:
            raise MeauError(f"every input failed ({summary['failed']}): listed in {options['run_dir'] / 'recordings.csv'}")
        click.echo(f"{summary['intervals']} interval(s) in {summary['inputs'] - summary['failed']} recording(s) "
                   f"({summary['failed']} failed), {summary['spotter']} settings of {settings_run}: "
                   f"{options['run_dir'] / 'intervals.csv'}")
        return
    from ..databases.recordings import load_recordings
    from ..spotting.run import run_spotting
    from .options import dataset_selection

    database = options["database"]
    # every coded interval is truth: no AU needs a minimum count of positives
    selection = dataset_selection({**options, "data_root": inputs[0], "min_count": 1})
    with parallel_backend(options) as (backend, n_jobs):
        run = open_run(options, selection)
        data = load_recordings(selection)
        kinds = data.truth["type"].value_counts().to_dict()
        click.echo(f"{database}: {len(data.recordings)} recordings of {len(data.subjects)} subjects, "
                   f"{len(data.truth)} intervals ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
                   f"problems: {len(data.problems)}")
        cache = None if options["no_cache"] else (options["cache"] or cache_root())
        metrics = run_spotting(spotter, data, run, fold=options["fold"], n_jobs=n_jobs, backend=backend, cache=cache,
                               echo=click.echo, figures=options["figures"], aus=aus, emotions=emotions,
                               parameters={**selection.parameters(), "size": options["size"],
                                           "aus_from": str(options["aus_from"]) if aus else None,
                                           "emotions_from": str(options["emotions_from"]) if emotions else None})
    if metrics is not None:
        click.echo(megc_table(metrics), nl=False)
        click.echo(f"intervals.csv, metrics.json, settings.json, figures/: {options['run_dir']}")


def _overlap(options: dict) -> dict:
    """The spotter's ``keep_overlapping`` when --one-per-event or --keep-overlapping is given, else its default."""
    return {} if options["one_per_event"] is None else {"keep_overlapping": not options["one_per_event"]}


def _emotion_predictor(source, spotter):
    """(run, predictor) of ``--emotions-from``: a finished emotion run; one line for anything else."""
    from ..spotting.aus import au_predictor

    if spotter.recognize:
        raise MeauError("--emotions-from describes a learning-free spotter's intervals; softnet --recognize "
                        "gives its own: choose one")
    predictor = au_predictor(source)
    if getattr(predictor, "target", "aus") != "emotion":
        raise MeauError(f"--emotions-from {source}: an AU run (use it with --aus-from); give a run of "
                        "--target emotion")
    return source, predictor


def _refuse_other_fixed_settings(spotter, settings_run) -> None:
    """With --run the run's spotter settings apply as saved: a spotter option given on the command line
    that differs from the run's is one line, not silently ignored."""
    from click.core import ParameterSource

    from ..spotting.apply import read_settings

    context = click.get_current_context()
    saved = read_settings(settings_run, spotter.kind).spotter
    for name in ("size", "stride", "blocks", "head_motion", "mask_eyes", "recognize", "classes", "epochs"):
        if context.get_parameter_source(name) == ParameterSource.COMMANDLINE and \
                getattr(spotter, name, None) != getattr(saved, name, None):
            raise MeauError(f"--{name.replace('_', '-')}{_shown(getattr(spotter, name))}: {settings_run} was run "
                            f"with{_shown(getattr(saved, name))}, and --run applies the run's settings (drop the option)")
    if context.get_parameter_source("one_per_event") == ParameterSource.COMMANDLINE and \
            spotter.keep_overlapping != saved.keep_overlapping:
        given = "--keep-overlapping" if spotter.keep_overlapping else "--one-per-event"
        raise MeauError(f"{given}: {settings_run} was run the other way, and --run applies the run's settings (drop "
                        "the option)")


def _shown(value) -> str:
    """An option's value as the line names it (a flag by itself: on or off)."""
    return (" on" if value else " off") if isinstance(value, bool) else f" {value}"


@spot.command()
@spotter_options("Frames are downscaled to SIZE x SIZE for the optical flow.")
def flow(**options):
    """Spot micro- and macro-expressions with optical flow in facial regions (brows, eyes' surroundings,
    mouth corners, chin; head motion removed), through leave-one-subject-out: k, smoothing, p and length
    bounds are chosen on the training subjects only.

    \b
    Examples:
      meau spot flow /data/SAMM_LongVideos --database sammlv -o runs/spot
      meau spot score runs/spot/intervals.csv --truth truth.csv
      meau spot flow --run runs/spot interview.mp4 --crop --eaf -o spots    # your own recordings
    """
    from ..spotting.flow import FlowSpotter

    _spot(FlowSpotter(size=options["size"], stride=options["stride"], **_overlap(options)),
          options)


@spot.command()
@spotter_options("Frames are downscaled to SIZE x SIZE for the optical flow.")
@click.option("--blocks", default=6, show_default=True, type=click.IntRange(1), help="BLOCKS x BLOCKS blocks (MDMD's 6).")
@click.option("--head-motion", type=click.Choice(["none", "median"]), default="none", show_default=True,
              help="median: subtract each flow's median vector (the head's translation) first. Not the organisers' "
                   "method, which compares raw flows (none).")
def mdmd(blocks, head_motion, **options):
    """Spot with MDMD, the MEGC2020 baseline: main-directional maximal difference of optical flow in 6 x 6
    blocks. k and the length filters are the organisers'; p is chosen per fold on the training subjects.

    \b
    Examples:
      meau spot mdmd /data/CASME_sq --database casmesq -o runs/mdmd
      meau spot mdmd /data/CASME_sq --database casmesq --head-motion median -o runs/mdmd-median
    """
    from ..spotting.mdmd import MdmdSpotter

    _spot(MdmdSpotter(size=options["size"], stride=options["stride"], blocks=blocks, head_motion=head_motion),
          options)


@spot.command(short_help="Spot with the LBP feature difference (Moilanen et al. 2014).")
@spotter_options("Frames are downscaled to SIZE x SIZE for the LBP histograms.")
@click.option("--blocks", default=6, show_default=True, type=click.IntRange(1), help="BLOCKS x BLOCKS blocks.")
@click.option("--mask-eyes", is_flag=True,
              help="Leave the eyes' pixels out (blinks are not expressions), from landmarks.csv or dlib's 68 points; "
                   "not the published method.")
def diff(blocks, mask_eyes, **options):
    """Spot with the LBP feature difference (Moilanen et al. 2014): per block, the chi-squared distance of a
    frame's LBP histogram to the mean of frames t - k and t + k, contrasted with its neighbours. k,
    smoothing, p and length bounds are chosen on the training subjects only.

    \b
    Examples:
      meau spot diff /data/SAMM_LongVideos --database sammlv -o runs/diff
      meau spot diff /data/SAMM_LongVideos --database sammlv --mask-eyes -o runs/diff-eyes
    """
    from ..spotting.diff import DiffSpotter

    _spot(DiffSpotter(size=options["size"], stride=options["stride"], blocks=blocks, mask_eyes=mask_eyes,
                      **_overlap(options)), options)


@spot.command()
@spotter_options("Frames are downscaled to SIZE x SIZE for the optical flow (the flow spotter's: one pass serves both).")
@click.option("--recognize", is_flag=True,
              help="MEAN's emotion head: each spotted interval gets the majority of the per-window emotions over "
                   "[peak - k, peak) and the mean class probabilities (emotion, p_<class>).")
@click.option("--classes", default="megc", show_default=True, metavar="megc|five|all|FILE",
              help="With --recognize: the emotion classes (as for --target emotion); intervals of other classes "
                   "train the spotting only.")
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(1),
              help="The most epochs tried; each fold chooses how many on its inner validation subjects.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the networks' weights and batches.")
@click.option("--deterministic", is_flag=True, help="Deterministic torch algorithms (the same intervals twice).")
def softnet(recognize, classes, epochs, seed, deterministic, **options):
    """Spot with SoftNet, a shallow three-stream CNN over optical flow (u, v, strain) in the eye-and-brow and
    mouth regions regressing SoftNet's pseudo-labels; with --recognize, MEAN's emotion head. Leave-one-subject-out,
    honest: per fold and type, an inner split of the training subjects chooses the epochs, smoothing and p.

    \b
    Examples:
      meau spot softnet /data/SAMM_LongVideos --database sammlv -o runs/softnet
      meau spot softnet /data/CASME_sq --database casmesq --recognize -o runs/mean
      meau spot softnet --run runs/mean interview.mp4 --crop --eaf -o spots
    """
    from ..spotting.softnet import SoftNetSpotter

    if classes != "megc" and not recognize:
        raise MeauError("--classes goes with --recognize (the emotion head's classes)")
    _spot(SoftNetSpotter(size=options["size"], stride=options["stride"], recognize=recognize, classes=classes,
                         epochs=epochs, seed=seed, deterministic=deterministic,
                         **_overlap(options)), options)
