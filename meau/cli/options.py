"""Options shared by several commands, and small helpers that print."""

from __future__ import annotations

import functools
from pathlib import Path

import click

DATABASES = ["casme2", "casme", "samm", "casme3", "casme3c", "mmew", "4dme", "csv"]


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
                             "alternatives-first, alternatives-drop, ref-drop, bilateral-only change it.")


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
        if value not in ("casme2", "casme", "samm"):
            raise UserError(f"--frames {value!r}: give a pattern holding {{frame}} or a layout casme2|casme|samm")
        return value
    try:
        FramePattern(value)
    except MeauError as error:
        raise UserError(f"--frames: {error}") from None
    return value


def frames_option(help: str = "Where the frames are, for --database csv: a pattern under DATA_ROOT such as "
                  "'{subject}/{clip}/img{frame}.jpg' ({frame} the frame number, other fields sheet columns, "
                  "format specs pad: {frame:03d}), or a named layout casme2|casme|samm."):
    return click.option("--frames", metavar="PATTERN", callback=_check_frames, help=help)


def column_option():
    return click.option("--column", "columns", multiple=True, metavar="FIELD=NAME", callback=_parse_columns,
                        help="For --database csv: which column holds subject, clip, onset, apex, offset, au_raw, "
                             "emotion (repeatable).")


label_options = stack(
    click.option("--aus", default="auto", show_default=True,
                 help="AUs to keep: 'auto' (at least --min-count positives) or numbers such as 1,2,4,7."),
    click.option("--min-count", default=15, show_default=True, type=click.IntRange(1), help="Positives needed by --aus auto."),
    policy_option(),
    click.option("--skip-unparseable", is_flag=True, help="Drop (and report) rows whose AU cell cannot be parsed."),
    click.option("--apply-fixes", is_flag=True, help="Apply the documented fix table for known sheet errors."),
)

dataset_options = stack(
    click.argument("data_root", type=click.Path(path_type=Path), required=False),
    click.option("--datasets", type=click.Path(path_type=Path),
                 help="A TOML file of several databases ([[database]] name, root, sheet, layout, label ...), "
                      "instead of DATA_ROOT and --database: one composite run (see --protocol lodo)."),
    click.option("--database", type=click.Choice(DATABASES), default="casme2", show_default=True),
    click.option("--sheet", type=click.Path(path_type=Path), help="Coding sheet (default: found in DATA_ROOT)."),
    click.option("--layout", default="auto", show_default=True, help="Frame layout variant: auto, cropped, raw, selected."),
    frames_option(),
    column_option(),
    click.option("--expressions", type=click.Choice(["micro", "macro", "all"]), default="micro", show_default=True,
                 help="CAS(ME)^3 part A: micro-expressions (the label sheet), or macro / all from the full part A "
                      "sheet (CAS(ME)3_part_A_v2.xls), e.g. for pre-training."),
    click.option("--strict", is_flag=True, help="Fail on the first sample with missing frames instead of skipping it."),
    label_options,
)

protocol_options = stack(
    click.option("--protocol", type=click.Choice(["kfold", "loso", "lodo"]), default="kfold", show_default=True),
    click.option("--folds", "k", default=4, show_default=True, type=click.IntRange(3), help="k of the kfold protocol."),
    click.option("--splits", type=click.Path(exists=True, path_type=Path), help="Reuse another run's splits.csv."),
    click.option("--fold", type=int, help="Run only this fold (run the others in other processes)."),
    click.option("--seed", default=0, show_default=True, type=int),
    click.option("--seeds", help="Several seeds, e.g. 0,1,2: one run each (RUN/seed_<s>), mean ± std reported."),
)

run_options = stack(
    click.option("-o", "--output", "run_dir", required=True, type=click.Path(path_type=Path), help="Run folder."),
    click.option("--resume", is_flag=True, help="Continue an interrupted run: finished folds are kept."),
    click.option("--overwrite", is_flag=True, help="Replace the results of a previous run in the folder."),
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


def magnification(options: dict) -> dict | None:
    """The magnification settings named by the options (None when off); bad values name their option."""
    from ..errors import MeauError
    from ..magnify import Magnification

    band = str(options.get("magnify_band", "0.4,0.05"))
    try:
        r1, r2 = (float(value) for value in band.split(","))
    except ValueError:
        raise MeauError(f"--magnify-band {band}: give two rates R1,R2 such as 0.4,0.05") from None
    settings = Magnification(float(options.get("magnify", 0.0)), r1, r2, int(options.get("magnify_levels", 4)),
                             float(options.get("magnify_cutoff", 16.0))).check()
    return settings.as_dict() if settings.on else None


def load_dataset_from_options(options: dict, echo=click.echo):
    """Load the dataset named by the shared options and print the validation summary."""
    from ..databases import load_from_parameters

    dataset = load_from_parameters(options, no_database="give DATA_ROOT (one database) or --datasets FILE (several)")
    echo(validation_summary(dataset))
    return dataset


def validation_summary(dataset) -> str:
    from collections import Counter

    kinds = Counter(problem.kind for problem in dataset.problems)
    problems = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "none"
    rows = getattr(dataset, "rows_read", len(dataset.table))
    names = [source.get("label", source["name"]) for source in dataset.sources] if len(dataset.sources) > 1 \
        else [dataset.sources[0]["name"]]
    lines = [f"{', '.join(names)}: {rows} rows read, {len(dataset.table)} "
             f"samples kept, problems: {problems}; AUs: {', '.join(dataset.au_columns)}"]
    if len(dataset.sources) > 1:  # a composite: one line per database
        counts = dataset.table["database"].value_counts()
        for source in dataset.sources:
            label = source.get("label", source["database"])
            own = Counter(p.kind for p in dataset.problems if p.path == source["path"] or p.key.startswith(f"{label}/"))
            lines.append(f"  {label} ({source['name']}): {int(counts.get(label, 0))} samples kept"
                         f"{', problems: ' + ', '.join(f'{k} {n}' for k, n in sorted(own.items())) if own else ''}")
    return "\n".join(lines)


def dataset_parameters(options: dict) -> dict:
    keep = ("data_root", "datasets", "database", "sheet", "layout", "frames", "columns", "expressions", "strict", "aus",
            "min_count", "policies", "skip_unparseable", "apply_fixes")
    return {key: (str(value) if isinstance(value, Path) else value) for key, value in options.items() if key in keep}


def open_run(options: dict):
    from ..outputs import check_separate
    from ..runs import RunDir

    check_separate(options["run_dir"], [options.get(name) for name in ("data_root", "datasets", "sheet")])
    # One process per fold shares the folder: --fold implies keeping what is there.
    resume = options.get("resume", False) or options.get("fold") is not None
    return RunDir(options["run_dir"], resume=resume, overwrite=options.get("overwrite", False))


def print_metrics(metrics: dict | None, run_dir, method: str, echo=click.echo):
    if metrics is None:
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


def run_method(make_method, dataset, run, options, echo=click.echo):
    """Run ``make_method(seed)`` through the protocol once, or once per ``--seeds`` entry; print the result."""
    from ..experiment import run_experiment, run_seeds

    common = dict(protocol=options["protocol"], k=options["k"], splits=options["splits"], fold=options["fold"],
                  parameters=dataset_parameters(options))
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
        spread = metrics["across_seeds"]["AVG"]["f1"]
        echo(f"over seeds {seeds}: average F1 {spread['mean']:.4f} ± {spread['std']:.4f}")
    return metrics


overwrite_option = click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")


def check_output(path, overwrite: bool) -> None:
    """Refuse to replace an existing output file unless asked to."""
    from ..errors import MeauError

    if path is not None and Path(path).exists() and not overwrite:
        raise MeauError(f"{path}: exists; use --overwrite to replace it")
