"""Emotion recognition on synthetic databases: the MEGC2019 composite (SMIC-HS, CASME II and SAMM written by
``meau synth --like``, ``megc`` classes, leave-one-subject-out) with the constant, LBP-TOP, flow + SVM and
MDMO + SVM, and the time of each.

    python benchmarks/recognition.py [--workdir DIR] [--subjects 16] [--samples 160] [--methods ...]

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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
