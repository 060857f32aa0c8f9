"""MEB's CD6ME protocol end to end on synthetic data: six databases, each in its own sheet format and folder
layout (``meau synth --like``), about 2,400 clips, ``baseline flow`` leave-one-database-out.

    python benchmarks/composite.py [--n-jobs 2] [--workdir DIR] [--scale 1.0] [--sizes real|defaults]

``--sizes real`` (the default): the databases have about the real ones' sizes (CASME 197, CASME II 255,
SAMM 159, 4DME 650, MMEW 300, CAS(ME)^3 A 860 samples, intensity 4; ``--scale`` shrinks them);
``--sizes defaults``: six ``meau synth --like X`` databases with synth's sizes (26 subjects, 255 samples)
at intensity 8. Building them is not timed; the LODO run is timed cold (flow computed) and warm (flow
cache filled), and the per-database report is printed.
"""

import argparse
import tempfile
import time
from pathlib import Path

SIZES = {"casme": (19, 197), "casme2": (26, 255), "samm": (29, 159), "4dme": (65, 650), "mmew": (36, 300),
         "casme3": (94, 860)}


def build(workdir, sizes: str, scale: float, intensity: float) -> Path:
    """The six synthetic databases and their datasets file ``cd6me.toml`` under ``workdir`` (built once)."""
    from meau.databases import get
    from meau.databases.composite import template_text
    from meau.databases.database import suite
    from meau.databases.synth import generate

    workdir = workdir or Path(tempfile.mkdtemp(prefix="meau-cd6me-"))
    text = template_text(["cd6me"])
    start = time.perf_counter()
    for seed, name in enumerate(suite("cd6me")):
        subjects, samples = SIZES[name] if sizes == "real" else (26, 255)
        subjects, samples = max(2, round(subjects * scale)), max(4, round(samples * scale))
        root = workdir / name
        if not (root / "synth.json").exists():
            generate(root, subjects=subjects, samples=samples, intensity=intensity, seed=seed, n_jobs=2, like=name)
        text = text.replace(f'root = "{get(name).template.root}"', f'root = "{root}"', 1)
    (workdir / "cd6me.toml").write_text(text)
    print(f"six synthetic databases built in {time.perf_counter() - start:.0f} s under {workdir}")
    return workdir


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--intensity", type=float, default=4.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--sizes", choices=["real", "defaults"], default="real")
    parser.add_argument("--warm-only", action="store_true", help="Time only the warm run (the flow cache kept).")
    args = parser.parse_args()
    if args.sizes == "defaults":
        args.intensity = 8.0

    from click.testing import CliRunner

    from meau.cli import cli

    workdir = build(args.workdir, args.sizes, args.scale, args.intensity)
    runner = CliRunner()
    aus = "1,2,4,7,9,12,14,15,17"  # the synthetic faces plant no AU5, AU6 or AU10 of MEB's 12
    for label in (("warm",) if args.warm_only else ("cold", "warm")):
        cache = workdir / "cache"
        if label == "cold" and cache.exists():
            import shutil

            shutil.rmtree(cache)
        run = workdir / f"run-{label}"
        start = time.perf_counter()
        result = runner.invoke(cli, ["baseline", "flow", "--datasets", str(workdir / "cd6me.toml"), "--aus", aus,
                                     "--protocol", "lodo", "--n-jobs", str(args.n_jobs), "--cache", str(cache),
                                     "--overwrite", "-o", str(run)], obj={})
        seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        print(f"baseline flow, LODO, {label}: {seconds:.1f} s")
        print(result.output.strip().splitlines()[-1])
    report = runner.invoke(cli, ["report", str(workdir / "run-warm"), "--by-database", "--format", "markdown"], obj={})
    print(report.output)


if __name__ == "__main__":
    main()
