"""Emotion recognition on synthetic databases: the MEGC2019 composite (SMIC-HS, CASME II and SAMM written by
``meau synth --like``, ``megc`` classes, leave-one-subject-out) with the constant, LBP-TOP, flow + SVM and
MDMO + SVM, and the time of each; with ``--deep``, the demo's networks (SSSNet, Res3D-18, Res3D-18+SCA, as
``meau demo`` configures them) on the demo's database in CASME II's five classes, on the demo's folds.

    python benchmarks/recognition.py [--workdir DIR] [--subjects 16] [--samples 160] [--methods ...] [--deep]

Prints the pooled table and each database's (UF1, UAR, accuracy, mean precision), and seconds per method
(features computed on the first run, cached after: run it twice for the warm figure).
"""

import argparse
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--subjects", type=int, default=16)
    parser.add_argument("--samples", type=int, default=160)
    parser.add_argument("--methods", default="constant,lbptop,flow,mdmo")
    parser.add_argument("--deep", action="store_true", help="Only the demo's networks on the demo's five classes.")
    args = parser.parse_args()
    if args.deep:
        return deep_rows(args.workdir or Path(tempfile.mkdtemp(prefix="meau-emotion-deep-")))

    from click.testing import CliRunner

    from meau.cli import cli

    runner = CliRunner()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meau-megc-"))
    for seed, name in enumerate(("smic", "casme2", "samm")):
        if not (workdir / name / "synth.json").exists():
            result = runner.invoke(cli, ["synth", str(workdir / name), "--like", name, "--subjects", str(args.subjects),
                                         "--samples", str(args.samples), "--intensity", "8", "--seed", str(seed + 1)],
                                   obj={})
            assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["template", "megc2019", "-o", str(workdir / "megc.toml"), "--overwrite"], obj={})
    assert result.exit_code == 0, result.output
    text = (workdir / "megc.toml").read_text()
    for name, folder in (("SMIC", "smic"), ("CASME2", "casme2"), ("SAMM", "samm")):
        text = text.replace(f'"/path/to/{name}"', f'"{workdir / folder}"')
    (workdir / "megc.toml").write_text(text)
    runs, seconds = [], {}
    for method in args.methods.split(","):
        run = workdir / f"run-{method}"
        command = ["baseline", method, "--datasets", str(workdir / "megc.toml"), "--protocol", "loso", "--overwrite",
                   "-o", str(run)]
        if method != "constant":
            command += ["--cache", str(workdir / "cache")]
        start = time.perf_counter()
        result = runner.invoke(cli, command, obj={})
        seconds[method] = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        runs.append(str(run))
    print(f"databases under {workdir}")
    print("seconds per method: " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()))
    report = runner.invoke(cli, ["report", *runs, "--by-database", "--ci", "95", "--paired"], obj={})
    print(report.output)


def deep_rows(workdir: Path) -> None:
    """The demo's constant, flow + SVM and networks on its database's five emotion classes, same folds."""
    from meau.databases import DatasetSelection, LabelSettings
    from meau.demo import DEMO_DATABASE, available_methods, synthetic_database
    from meau.experiment import run_experiment
    from meau.paths import cache_root
    from meau.report import collect, render_text
    from meau.runs import RunDir

    settings = {key: DEMO_DATABASE[key] for key in ("subjects", "samples", "seed", "intensity")}
    root = synthetic_database(None, echo=print, **settings)
    dataset = DatasetSelection(root=root, labels=LabelSettings(target="emotion", classes="five")).check().load()
    methods = available_methods()
    runs, seconds, splits = [], {}, None
    for name in ("constant", "flow", "sssnet", "res3d", "sca"):
        method = methods[name](-1, cache_root() / "features", None)
        run = RunDir(workdir / name, overwrite=True)
        start = time.perf_counter()
        run_experiment(method, dataset, run, protocol="kfold", k=4, seed=0, splits=splits, echo=lambda *_: None)
        seconds[method.name] = time.perf_counter() - start
        splits = splits or run.file("splits.csv")
        runs.append(run.path)
    print(render_text(collect(runs, ci=95, paired=True)[0]))
    print("seconds per method (4 folds, features cached): " + ", ".join(f"{m} {s:.0f}" for m, s in seconds.items()))


if __name__ == "__main__":
    main()
