"""Wall time of ``baseline flow`` 4-fold on a composite of three synthetic databases (~600 clips).

    python benchmarks/composite.py [--n-jobs 2] [--workdir DIR]

The databases have the supported databases' sizes (CASME II 255, CASME 197, SAMM 159 samples) and
run as one composite through a datasets file, cold (flow computed) and warm (flow cache filled).
"""

import argparse
import tempfile
import time
from pathlib import Path

SIZES = {"casme2": (26, 255), "casme": (19, 197), "samm": (29, 159)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--intensity", type=float, default=4.0)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()

    from meau.databases.composite import load_composite
    from meau.databases.synth import SHEET_NAME, generate
    from meau.experiment import run_experiment
    from meau.handcrafted.pipeline import FlowSVMMethod
    from meau.runs import RunDir

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meau-composite-"))
    entries = []
    for seed, (label, (subjects, samples)) in enumerate(SIZES.items()):
        root = workdir / label
        if not (root / SHEET_NAME).exists():
            generate(root, subjects=subjects, samples=samples, intensity=args.intensity, seed=seed, n_jobs=2)
        entries.append(f'[[database]]\nname = "casme2"\nroot = "{root}"\nlabel = "{label}"\n')
    (workdir / "datasets.toml").write_text("\n".join(entries))
    dataset = load_composite(workdir / "datasets.toml", aus="auto", min_count=15)
    print(f"composite: {len(dataset.table)} samples, {dataset.table['database'].nunique()} databases, "
          f"AUs {', '.join(dataset.au_columns)}")
    quiet = lambda *_: None  # noqa: E731
    for label in ("cold", "warm"):
        cache = workdir / "cache"
        if label == "cold" and cache.exists():
            import shutil

            shutil.rmtree(cache)
        start = time.perf_counter()
        metrics = run_experiment(FlowSVMMethod(n_jobs=args.n_jobs, cache=cache), dataset,
                                 RunDir(workdir / f"run-{label}", overwrite=True), echo=quiet)
        print(f"baseline flow, 4-fold, {label}: {time.perf_counter() - start:.1f} s, "
              f"average F1 {metrics['pooled']['AVG']['f1']:.4f}")


if __name__ == "__main__":
    main()
