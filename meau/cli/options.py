"""Options shared by several commands, and small helpers that print."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import click

class DatabaseChoice(click.ParamType):
    """A registered database name, checked against the registry when the option is used (the registry
    is read then, not when the command line is imported); ``synth``, ``layouts`` or ``long`` (the long-video
    databases, for spotting) narrow it."""

    name = "database"

    def __init__(self, which: str = "all"):
        self.which = which

    def choices(self) -> list[str]:
        from .. import databases
        from ..databases import database

        if self.which == "long":
            return [name for name in databases.names() if database.get(name).long_video]
        return {"all": databases.names, "synth": database.with_synth, "layouts": database.with_layouts}[self.which]()

    def get_metavar(self, param, ctx=None):
        return "[" + "|".join(self.choices()) + "]"

    def convert(self, value, param, ctx):
        if value is None:
            return None
        # a database of clips given to a spotter: the loader's line says why it is refused and what spotting reads
        choices = DatabaseChoice().choices() if self.which == "long" else self.choices()
        if value not in choices:
            self.fail(f"{value!r} is not one of {', '.join(choices)}", param, ctx)
        return value


def default_database() -> str:
    from ..databases import default_name

    return default_name()


def stack(*decorators):
    def apply(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def _check_n_jobs(ctx, param, value):
    if value == 0:
        from . import UserError

        raise UserError("--n-jobs 0: no worker would run; use 1, N, or -1 for all cores")
    return value


def n_jobs_option(default: int, help: str):
    """``--n-jobs`` for joblib: N workers, -1 all cores; 0 is a one-line error (exit 1)."""
    return click.option("--n-jobs", default=default, show_default=True, type=int, callback=_check_n_jobs, help=help)


def policy_option():
    from ..annotations import POLICY_PRESETS

    return click.option("--policy", "policies", multiple=True, type=click.Choice(list(POLICY_PRESETS)),
                        help="AU presence policy (repeatable): default counts every mention; "
                             + ", ".join(name for name in POLICY_PRESETS if name != "default") + " change it.")


def _parse_columns(ctx, param, value):
    mapping = {}
    for item in value or ():
        if "=" not in item:
            from . import UserError

            raise UserError(f"--column expects FIELD=NAME, got {item!r}")
        field, name = item.split("=", 1)
        mapping[field.strip()] = name.strip()
    return mapping


def _check_frames(ctx, param, value):
    if value is None:
        return None
    from . import UserError
    from ..databases.layouts import FramePattern, is_pattern
    from ..errors import MeauError

    if value.isdigit():
        raise UserError(f"--frames {value}: --frames is the frame file pattern (such as '{{subject}}/{{clip}}/img{{frame}}.jpg'); "
                        "the model's frames per clip is --clip-frames")
    if not is_pattern(value):
        layouts = DatabaseChoice("layouts").choices()
        if value not in layouts:
            raise UserError(f"--frames {value!r}: give a pattern holding {{frame}} or the layouts of a database "
                            f"({'|'.join(layouts)})")
        return value
    try:
        FramePattern(value)
    except MeauError as error:
        raise UserError(f"--frames: {error}") from None
    return value


def frames_option(help: str = "Where the frames are, for --database csv: a pattern under DATA_ROOT such as "
                  "'{subject}/{clip}/img{frame}.jpg' ({frame} the frame number, other fields sheet columns, "
                  "format specs pad: {frame:03d}), or the name of a database whose named layouts to search."):
    return click.option("--frames", metavar="PATTERN", callback=_check_frames, help=help)


def column_option():
    return click.option("--column", "columns", multiple=True, metavar="FIELD=NAME", callback=_parse_columns,
                        help="For --database csv: which column holds subject, clip, onset, apex, offset, au_raw, "
                             "emotion (repeatable).")


label_options = stack(
    click.option("--aus", default="auto", show_default=True,
                 help="AUs to keep: 'auto' (at least --min-count positives) or numbers such as 1,2,4,7."),
    click.option("--min-count", default=15, show_default=True, type=click.IntRange(1),
                 help="Positives needed by --aus auto (meau.load_dataset uses the same default)."),
    policy_option(),
    click.option("--skip-unparseable", is_flag=True, help="Drop (and report) rows whose AU cell cannot be parsed."),
    click.option("--apply-fixes", is_flag=True, help="Apply the documented fix table for known sheet errors."),
    click.option("--target", type=click.Choice(["aus", "emotion", "objective", "self-report"]),
                 help="What to predict: aus (one 0/1 label per AU), emotion (one class per sample, see --classes), "
                      "objective (the sheet's objective classes: SAMM's, the updated CASME II sheet's) or self-report "
                      "(CAS(ME)^2's participant self-reports); --classes all by default for the last two "
                      "[default: a datasets file's target, else aus]."),
    click.option("--classes", metavar="megc|five|all|FILE",
                 help="Emotion classes for --target emotion: megc (negative, positive, surprise as MEGC2019 maps "
                      "them), five (CASME II's or SAMM's five-class protocol), all (the labels as written), or a "
                      "TOML file of label = \"class\" lines; samples outside are left out and counted "
                      "[default: a datasets file's classes, else megc]."),
    click.option("--samples", type=click.Path(path_type=Path),
                 help="A CSV list (header subject, clip[, database]) of the only samples to use, such as a "
                      "published protocol's clip list; listed samples not found are reported by name."),
)

dataset_options = stack(
    click.argument("data_root", type=click.Path(path_type=Path), required=False),
    click.option("--datasets", type=click.Path(path_type=Path),
                 help="A TOML file of several databases ([[database]] name, root, sheet, layout, label ...), "
                      "instead of DATA_ROOT and --database: one composite run (see --protocol lodo)."),
    click.option("--database", type=DatabaseChoice(), default=default_database, show_default="casme2",
                 help="The database's reader (sheet format, folder layouts, frame rate, fixes)."),
    click.option("--sheet", type=click.Path(path_type=Path),
                 help="Coding sheet (default: found in DATA_ROOT; a bare name is looked up there too)."),
    click.option("--layout", default="auto", show_default=True,
                 help="Frame layout variant: auto (detected), or the database's cropped, raw, selected …"),
    frames_option(),
    column_option(),
    click.option("--expressions", type=click.Choice(["micro", "macro", "all"]),
                 help="Sheets that code the expression type (CAS(ME)^3 part A's full sheet CAS(ME)3_part_A_v2.xls, "
                      "long-video sheets): micro-expressions, macro-expressions or all, e.g. for pre-training "
                      "[default: micro; all for a long-video database]."),
    click.option("--subset", type=click.Choice(["hs", "vis", "nir"]),
                 help="SMIC's subset: hs (100 fps, the default), vis or nir (25 fps)."),
    click.option("--strict", is_flag=True, help="Fail on the first sample with missing frames instead of skipping it."),
    label_options,
)

protocol_options = stack(
    click.option("--protocol", type=click.Choice(["kfold", "loso", "lodo"]), default="kfold", show_default=True,
                 help="kfold: k subject-independent folds (--folds); loso: leave one subject out; lodo: leave one "
                      "database out (--datasets)."),
    click.option("--folds", "k", default=4, show_default=True, type=click.IntRange(3), help="k of the kfold protocol."),
    click.option("--splits", type=click.Path(exists=True, path_type=Path), help="Reuse another run's splits.csv."),
    click.option("--fold", type=int, help="Run only this fold (run the others in other processes)."),
    click.option("--seed", default=0, show_default=True, type=int,
                 help="Seed of the folds' assignment and of anything random in the method."),
    click.option("--seeds", help="Several seeds, e.g. 0,1,2: one run each (RUN/seed_<s>), mean ± std reported."),
)

def overwrite_option(help: str = "Replace the output file if it exists."):
    """``--overwrite``, declared once: what it replaces is said by each command (only what meau wrote)."""
    return click.option("--overwrite", is_flag=True, help=help)


backend_options = stack(
    click.option("--backend", default=None,
                 help="joblib backend of the per-clip and per-video work: loky (the default), threading, or dask "
                      "(an existing Dask cluster: --scheduler ADDRESS; pip install 'meau[cluster]')."),
    click.option("--scheduler", metavar="ADDRESS", help="With --backend dask: the scheduler, such as tcp://10.0.0.5:8786."),
    click.option("--scheduler-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1),
                 help="Seconds to wait for the scheduler before giving up (nothing is written)."),
)


@contextlib.contextmanager
def parallel_backend(options: dict):
    """(joblib backend, n_jobs) for a command, connected to the Dask scheduler first when asked: an
    unreachable scheduler is one line before the output folder exists. On a cluster, --n-jobs 1 means
    "as many as the cluster has" (-1)."""
    from ..parallel import backend_session

    with backend_session(options.get("backend"), options.get("scheduler"),
                         timeout=options.get("scheduler_timeout") or 10.0) as backend:
        n_jobs = options.get("n_jobs", 1)
        yield backend, (-1 if backend == "dask" and n_jobs == 1 else n_jobs)


run_options = stack(
    click.option("-o", "--output", "run_dir", required=True, type=click.Path(path_type=Path), help="Run folder."),
    click.option("--resume", is_flag=True, help="Continue an interrupted run: finished folds are kept."),
    overwrite_option("Replace the results of a previous run in the folder (only a run folder meau wrote)."),
)


def preset_option(help: str):
    """``--preset classic|subtle`` of the synthetic database (synth and demo)."""
    return click.option("--preset", type=click.Choice(["classic", "subtle"]), default="classic", show_default=True,
                        help=help)


magnify_options = stack(
    click.option("--magnify", default=0.0, show_default=True, type=float, metavar="ALPHA",
                 help="Eulerian motion magnification factor, applied per clip after resizing and before TIM "
                      "(0: off; MEB uses 20). Recorded in the run; predict magnifies the same way."),
    click.option("--magnify-band", default="0.4,0.05", show_default=True, metavar="R1,R2",
                 help="Rates of the two temporal low-passes (R1 > R2); the band is their difference."),
    click.option("--magnify-levels", default=4, show_default=True, type=int, metavar="L", help="Laplacian pyramid levels."),
    click.option("--magnify-cutoff", default=16.0, show_default=True, type=float, metavar="LAMBDA",
                 help="Cut-off wavelength in pixels: finer levels are magnified less (Wu et al.)."),
)


def magnification(options: dict):
    """The :class:`~meau.magnify.Magnification` the options name (None when off); a bad value is a
    SettingError, shown with its option."""
    from ..errors import SettingError
    from ..magnify import Magnification

    band = str(options.get("magnify_band", "0.4,0.05"))
    try:
        r1, r2 = (float(value) for value in band.split(","))
    except ValueError:
        raise SettingError("magnification.band", band, "give two rates R1,R2 such as 0.4,0.05") from None
    settings = Magnification(float(options.get("magnify", 0.0)), r1, r2, int(options.get("magnify_levels", 4)),
                             float(options.get("magnify_cutoff", 16.0))).check()
    return settings if settings.on else None


def magnification_dict(options: dict) -> dict | None:
    """The magnification as the recorded settings dict (what specs and caches keep), None when off."""
    settings = magnification(options)
    return settings.as_dict() if settings is not None else None


def dataset_selection(options: dict):
    """The :class:`~meau.databases.DatasetSelection` the shared dataset options name (checked)."""
    from ..annotations import policy_from_names
    from ..databases import DatasetSelection, LabelSettings

    labels = LabelSettings(aus=options.get("aus", "auto"), min_count=options.get("min_count", 15),
                           policy=policy_from_names(options.get("policies") or ()),
                           skip_unparseable=options.get("skip_unparseable", False),
                           apply_fixes=options.get("apply_fixes", False), target=options.get("target"),
                           classes=options.get("classes"))
    layout = options.get("layout")
    selection = DatasetSelection(database=options.get("database"), root=options.get("data_root"),
                                 sheet=options.get("sheet"), datasets=options.get("datasets"),
                                 layout=None if layout in (None, "auto") else layout, frames=options.get("frames"),
                                 columns=dict(options.get("columns") or {}), expressions=options.get("expressions"),
                                 strict=options.get("strict", False), labels=labels,
                                 samples=options.get("samples"), subset=options.get("subset"),
                                 emotions_sheet=options.get("emotions_sheet")).check()
    if options.get("classes") and selection.target_settings()[0] == "aus":
        from . import UserError

        raise UserError("--classes chooses classes: give it with --target emotion, objective or self-report")
    return selection


def load_selection(selection, echo=click.echo):
    """Load the dataset of a selection and print the validation summary."""
    dataset = selection.load()
    echo(validation_summary(dataset))
    return dataset


def validation_summary(dataset) -> str:
    from collections import Counter

    kinds = Counter(problem.kind for problem in dataset.problems)
    problems = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "none"
    rows = getattr(dataset, "rows_read", len(dataset.table))
    names = [source.get("label", source["name"]) for source in dataset.sources] if len(dataset.sources) > 1 \
        else [dataset.sources[0]["name"]]
    if dataset.target == "emotion":
        from ..tasks.emotion import targets

        counts = dict(zip(dataset.classes, targets(dataset).sum(axis=0)))
        what = "classes: " + ", ".join(f"{name} {int(count)}" for name, count in counts.items())
    else:
        what = f"AUs: {', '.join(dataset.au_columns)}"
    lines = [f"{', '.join(names)}: {rows} rows read, {len(dataset.table)} "
             f"samples kept, problems: {problems}; {what}"]
    if len(dataset.sources) > 1:  # a composite: one line per database
        counts = dataset.table["database"].value_counts()
        for source in dataset.sources:
            label = source.get("label", source["database"])
            own = Counter(p.kind for p in dataset.problems if p.path == source["path"] or p.key.startswith(f"{label}/"))
            lines.append(f"  {label} ({source['name']}): {int(counts.get(label, 0))} samples kept"
                         f"{', problems: ' + ', '.join(f'{k} {n}' for k, n in sorted(own.items())) if own else ''}")
    return "\n".join(lines)


def open_run(options: dict, selection=None):
    """The run folder of ``-o`` (checked against the selection's inputs before anything is written)."""
    from ..outputs import check_separate
    from ..runs import RunDir

    check_separate(options["run_dir"], selection.inputs() if selection is not None else [])
    # One process per fold shares the folder: --fold implies keeping what is there.
    resume = options.get("resume", False) or options.get("fold") is not None
    return RunDir(options["run_dir"], resume=resume, overwrite=options.get("overwrite", False))


def print_metrics(metrics: dict | None, run_dir, method: str, echo=click.echo):
    if metrics is None:
        return
    if metrics.get("target") == "emotion":
        pooled = metrics["pooled"]
        echo(f"{method}: UF1 {pooled['uf1']:.4f}, UAR {pooled['uar']:.4f}, accuracy {pooled['accuracy']:.4f} "
             f"(pooled over folds; UF1 per fold {metrics['per_fold']['uf1']['mean']:.4f} ± "
             f"{metrics['per_fold']['uf1']['std']:.4f}) -> {run_dir}")
        for database, found in metrics.get("by_database", {}).items():
            echo(f"  {database}: UF1 {found['uf1']:.4f}, UAR {found['uar']:.4f}, accuracy {found['accuracy']:.4f}")
        return
    average = metrics["pooled"]["AVG"]
    per_fold = metrics["per_fold"]["AVG"]["f1"]
    echo(f"{method}: average F1 {average['f1']:.4f} (pooled over folds; per fold {per_fold['mean']:.4f} ± "
         f"{per_fold['std']:.4f}), accuracy {average['accuracy']:.4f} -> {run_dir}")


def passthrough(function):
    """Collect click's keyword arguments into one ``options`` dict."""

    @functools.wraps(function)
    def wrapper(**options):
        return function(options)

    return wrapper


def parse_seeds(text) -> list[int] | None:
    from ..errors import MeauError

    if not text:
        return None
    try:
        seeds = [int(item) for item in str(text).replace(",", " ").split()]
    except ValueError:
        raise MeauError(f"--seeds expects integers such as 0,1,2 (got {text!r})") from None
    if len(set(seeds)) != len(seeds) or not seeds:
        raise MeauError(f"--seeds must list distinct integers (got {text!r})")
    return seeds


def run_method(make_method, dataset, run, options, selection, echo=click.echo):
    """Run ``make_method(seed)`` through the protocol once, or once per ``--seeds`` entry; print the result."""
    from ..experiment import run_experiment, run_seeds

    common = dict(protocol=options["protocol"], k=options["k"], splits=options["splits"], fold=options["fold"],
                  parameters=selection.parameters())
    seeds = parse_seeds(options.get("seeds"))
    built = []

    def remember(seed):
        built.append(make_method(seed))
        return built[-1]

    if seeds:
        metrics = run_seeds(remember, dataset, run, seeds, echo=echo, **common)
    else:
        metrics = run_experiment(remember(options["seed"]), dataset, run, seed=options["seed"], echo=echo, **common)
    print_metrics(metrics, run.path, built[-1].name, echo)
    if metrics is not None and "across_seeds" in metrics:
        emotion = metrics.get("target") == "emotion"
        spread = metrics["across_seeds"]["uf1"] if emotion else metrics["across_seeds"]["AVG"]["f1"]
        echo(f"over seeds {seeds}: {'UF1' if emotion else 'average F1'} {spread['mean']:.4f} ± {spread['std']:.4f}")
    return metrics



def check_output(path, overwrite: bool) -> None:
    """Refuse to replace an existing output file unless asked to."""
    from ..errors import MeauError

    if path is not None and Path(path).exists() and not overwrite:
        raise MeauError(f"{path}: exists; use --overwrite to replace it")
