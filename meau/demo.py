"""The demo: synthetic database -> every method -> one results table.

The database is built once into a cache folder keyed by its parameters; each method writes a run
folder under ``out``; methods whose run is complete are not run again.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from .errors import MeauError
from .paths import cache_root

# the demo's rows, in table order (each one only if its dependencies are installed)
DEMO_METHODS = ["constant", "lbptop", "flow", "mdmo", "sssnet", "res3d", "sca"]
# the rows of the demo's second table, emotion recognition (five classes) on the same folds; their features
# are cached by the first table, so it adds seconds
EMOTION_METHODS = ["constant", "lbptop", "flow", "mdmo"]
# the database `meau demo` builds by default (its command-line defaults)
DEMO_DATABASE = {"subjects": 26, "samples": 255, "intensity": 8.0, "seed": 0}


def synthetic_database(cache: Path | None, *, subjects: int, samples: int, intensity: float, seed: int, echo,
                       nuisance=None) -> Path:
    """The synthetic database for these parameters, generated on first use."""
    from .databases.synth import GENERATOR_VERSION, generate

    parameters = {"subjects": subjects, "samples": samples, "intensity": intensity, "seed": seed, "v": GENERATOR_VERSION}
    if nuisance is not None:
        parameters["nuisance"] = nuisance.as_dict()
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:12]
    folder = Path(cache or cache_root() / "synth") / f"synth-{digest}"
    if (folder / "synth.json").exists():
        echo(f"synthetic database: {folder} (cached)")
        return folder
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    what = f"intensity {intensity}" if nuisance is None else "subtle preset"
    echo(f"building the synthetic database ({samples} samples, {subjects} subjects, {what}) ...")
    start = time.perf_counter()
    generate(partial, subjects=subjects, samples=samples, intensity=intensity, seed=seed, n_jobs=2, progress=True,
             nuisance=nuisance)
    partial.rename(folder)
    echo(f"synthetic database: {folder} ({time.perf_counter() - start:.0f} s)")
    return folder


def available_methods() -> dict:
    """Demo methods whose dependencies are installed, in table order."""
    from .experiment import ConstantBaseline

    methods = {"constant": lambda n_jobs, cache, magnify: ConstantBaseline()}
    try:
        from .handcrafted.pipeline import HandcraftedMethod

        from .handcrafted.pipeline import FlowSVMMethod, MdmoMethod

        from .flow import FlowSpec

        methods["lbptop"] = lambda n_jobs, cache, magnify: HandcraftedMethod("lbptop", n_jobs=n_jobs, cache=cache,
                                                                             magnify=magnify)
        methods["flow"] = lambda n_jobs, cache, magnify: FlowSVMMethod(FlowSpec(magnify=magnify), n_jobs=n_jobs,
                                                                       cache=cache)
        # the synthetic faces' landmarks.csv is written by synth: no detector needed
        methods["mdmo"] = lambda n_jobs, cache, magnify: MdmoMethod(n_jobs=n_jobs, cache=cache, magnify=magnify)
    except ImportError:
        pass
    try:
        import torch  # noqa: F401

        from .deep.train import FlowConfig, FlowMethod, demo_method
        from .flow import FlowSpec  # noqa: F811 (also imported above, where the handcrafted methods may be missing)

        methods["sssnet"] = lambda n_jobs, cache, magnify: FlowMethod(
            FlowConfig(model="sssnet", epochs=60, device="cpu", deterministic=True, n_jobs=n_jobs,
                       flow=FlowSpec(magnify=magnify)), cache=cache)
        methods["res3d"] = lambda n_jobs, cache, magnify: demo_method("none", cache=cache, magnify=magnify)
        methods["sca"] = lambda n_jobs, cache, magnify: demo_method("learn", cache=cache, magnify=magnify)
    except ImportError:
        pass
    return methods


def run_demo(*, out: Path, cache: Path | None, intensity: float, subjects: int, samples: int, seed: int,
             methods: list[str] | None, n_jobs: int, echo=print, nuisance=None, magnify: dict | None = None,
             root: Path | None = None) -> list[Path]:
    """Every demo method through the same 4 folds of the synthetic database (``nuisance``: the
    subtle preset's settings; ``magnify``: magnification settings applied by every clip-reading method;
    ``root``: an existing CASME II-layout database to use instead, such as a crop of the synthetic one)."""
    from .databases import load_dataset
    from .databases import default_name
    from .databases.synth import SHEET_NAME
    from .report import collect, render, render_text
    from .outputs import write_text

    found = available_methods()
    wanted = methods or [name for name in DEMO_METHODS if name in found]
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise MeauError(f"demo method(s) {', '.join(unknown)} not available; choose from {', '.join(found)}")
    if root is None:
        root = synthetic_database(cache, subjects=subjects, samples=samples, intensity=intensity, seed=seed, echo=echo,
                                  nuisance=nuisance)
    database = default_name()  # the synthetic database's own layout and sheet
    dataset = load_dataset(root, database, root / SHEET_NAME, aus="auto", min_count=max(3, samples // 20))
    echo(f"{len(dataset.table)} samples, AUs {', '.join(dataset.au_columns)}")
    feature_cache = Path(cache or cache_root()) / "features"
    runs = []
    splits = None
    common = {"demo": True, "intensity": intensity, "data_root": str(root),
              "preset": "classic" if nuisance is None else "subtle", "database": database}
    for name in wanted:
        run = _demo_run(found[name](n_jobs, feature_cache, magnify), dataset, Path(out) / name, name, seed, splits,
                        {**common, "aus": "auto", "min_count": max(3, samples // 20)}, echo)
        splits = splits or run / "splits.csv"
        runs.append(run)
    tables = collect(runs)
    text = render_text(tables[0])
    write_text(Path(out) / "table.md", render(tables[0], "markdown"))
    echo("")
    echo(text)
    figures = Path(out) / "figures"
    from .figures import report_figures

    written = report_figures(tables, figures, overwrite=True)  # the demo's own figures, redrawn each run
    # class activation maps need the Res3D(+SCA) head; the flow CNNs have none
    deep_runs = [run for run in runs if (run / "checkpoints").is_dir()
                 and json.loads((run / "config.json").read_text())["parameters"].get("kind") != "flow"]
    if deep_runs:
        from .deep.cam import explain

        coded = dataset.table[dataset.au_columns].sum(axis=1).to_numpy().argmax()
        key = f"{dataset.table['subject'][coded]}/{dataset.table['clip'][coded]}"
        written += explain(deep_runs, [key], figures, cache=Path(cache or cache_root()), echo=lambda *_: None,
                           overwrite=True)
    from .report_page import write_page

    page = write_page(Path(out) / "report.html", collect(runs, ci=95, paired=True))
    echo(f"run folders: {', '.join(str(r) for r in runs)}; table: {Path(out) / 'table.md'}; "
         f"with 95% intervals and paired tests: {page}")
    echo(f"figures: {', '.join(sorted({p.name for p in written if p.suffix == '.png'}))} in {figures}")
    _emotion_table(dataset, found, [name for name in wanted if name in EMOTION_METHODS], out,
                   n_jobs, feature_cache, magnify, seed, splits, echo, common)
    return runs  # (the AU runs: what benchmarks read; the emotion runs are under out/emotion)


def _demo_run(method, dataset, path: Path, label: str, seed: int, splits, parameters: dict, echo) -> Path:
    """One demo row's run folder: run through the 4 folds unless its metrics are there already."""
    from .experiment import run_experiment
    from .runs import RunDir

    run = RunDir(path, resume=True)
    if not run.file("metrics.json").exists():
        start = time.perf_counter()
        echo(f"[{label}] running ...")
        run_experiment(method, dataset, run, protocol="kfold", k=4, seed=seed, splits=splits, parameters=parameters)
        echo(f"[{label}] done in {time.perf_counter() - start:.0f} s")
    return path


def _emotion_table(dataset, found, names, out, n_jobs, feature_cache, magnify, seed, splits, echo,
                   parameters) -> list[Path]:
    """The demo's second table: emotion recognition (CASME II's five classes, planted by synth from the AUs)
    with the same methods on the same folds, into ``out/emotion/<method>``."""
    from .report import collect, render, render_text
    from .report_page import write_page
    from .outputs import write_text
    from .tasks.emotion import with_classes

    if not names or "emotion" not in dataset.table:
        return []
    emotions = with_classes(dataset, "five")
    runs = [_demo_run(found[name](n_jobs, feature_cache, magnify), emotions, Path(out) / "emotion" / name,
                      f"emotion {name}", seed, splits, {**parameters, "target": "emotion", "classes": "five"}, echo)
            for name in names]
    tables = collect(runs)
    write_text(Path(out) / "table_emotion.md", render(tables[0], "markdown"))
    echo("")
    echo(render_text(tables[0]))
    page = write_page(Path(out) / "report_emotion.html", collect(runs, ci=95, paired=True))
    echo(f"emotion runs: {Path(out) / 'emotion'}; with 95% intervals and paired tests: {page}")
    return runs
