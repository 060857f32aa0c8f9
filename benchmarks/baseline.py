"""Wall time of the full 4-fold run per descriptor on a synthetic database, cold and with a warm cache.

    python benchmarks/baseline.py [--samples 255] [--n-jobs 2] [--workdir DIR]

Cold: empty clip and feature caches (frames decoded, TIM, descriptor, SVMs). Warm: the same run
again with the caches filled (SVMs only).
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=255)
    parser.add_argument("--subjects", type=int, default=26)
    parser.add_argument("--intensity", type=float, default=4.0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--descriptors", default="lbptop,lpqtop,lbpsip,hog3d")
    args = parser.parse_args()

    from meau.databases import load_dataset
    from meau.databases.synth import SHEET_NAME, generate
    from meau.experiment import ConstantBaseline, run_experiment
    from meau.handcrafted.pipeline import HandcraftedMethod
    from meau.runs import RunDir

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meau-bench-"))
    database = workdir / "db"
    if not (database / SHEET_NAME).exists():
        start = time.perf_counter()
        generate(database, subjects=args.subjects, samples=args.samples, intensity=args.intensity, seed=0, n_jobs=2)
        print(f"synthetic database: {args.samples} samples in {time.perf_counter() - start:.1f} s")
    dataset = load_dataset(database, "casme2", database / SHEET_NAME, aus="auto", min_count=15)
    quiet = lambda *_: None  # noqa: E731
    run_experiment(ConstantBaseline(), dataset, RunDir(workdir / "runs" / "constant", overwrite=True), echo=quiet)
    rows = []
    for descriptor in args.descriptors.split(","):
        cache = workdir / "cache" / descriptor
        shutil.rmtree(cache, ignore_errors=True)
        timings = []
        for label in ("cold", "warm"):
            run_dir = workdir / "runs" / f"{descriptor}-{label}"
            shutil.rmtree(run_dir, ignore_errors=True)
            start = time.perf_counter()
            metrics = run_experiment(HandcraftedMethod(descriptor, n_jobs=args.n_jobs, cache=cache), dataset,
                                     RunDir(run_dir), echo=quiet)
            timings.append(time.perf_counter() - start)
        rows.append((descriptor, *timings, metrics["pooled"]["AVG"]["f1"]))
    print(f"{len(dataset.table)} samples, {len(dataset.au_columns)} AUs, 4 folds, n_jobs={args.n_jobs}")
    print(f"{'descriptor':<10}{'cold s':>10}{'warm s':>10}{'AVG F1':>10}")
    for descriptor, cold, warm, f1 in rows:
        print(f"{descriptor:<10}{cold:>10.1f}{warm:>10.1f}{f1:>10.4f}")
    print(f"{'total':<10}{sum(r[1] for r in rows):>10.1f}{sum(r[2] for r in rows):>10.1f}")


if __name__ == "__main__":
    main()
