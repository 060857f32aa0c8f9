"""The batched squared-hinge solver against liblinear on the same problems: objectives, chosen C, test
decisions, F1, and time.

    python benchmarks/solver.py [--cases demo,subtle,lodo] [--lodo-workdir DIR] [--n-jobs 2]

For each case (the demo database with the demo's SVM rows LBP-TOP, flow and MDMO; the same on the subtle
preset; flow + SVM leave-one-database-out on six ``synth --like`` databases, as ``benchmarks/composite.py
--sizes defaults`` builds them) and each fold, every (AU, C) problem is solved by both solvers on the same
row-space coordinates. Printed per case: the objective of liblinear's solution relative to the batched one
(positive: liblinear stopped above the optimum), how many chosen C agree, the share of equal test decisions,
the largest difference in pooled F1 over AUs and in AVG, and the solve time of each (liblinear with
``--n-jobs`` workers, as ``baseline`` ran it; batched on the same cores). Features come from the cache.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def folds_of(dataset, protocol, seed=0):
    from meau.protocols import assign_folds, rotations

    return rotations(dataset.table, assign_folds(dataset.table, dataset.au_columns, protocol, 4, seed), protocol, seed)


def compare(name, method, dataset, protocol, n_jobs):
    from meau.handcrafted.solver import squared_hinge_objective
    from meau.handcrafted.svm import C_GRID, RowSpace, binary_f1, grid_weights

    dataset = method.prepare(dataset)
    features = method.feature_matrix(dataset)
    labels = dataset.table[dataset.au_columns].to_numpy().astype(int)
    grid = sorted(C_GRID)
    relative, same_c, total_c = [], 0, 0
    decisions = {"batched": [], "liblinear": []}
    truth, seconds = [], {"batched": 0.0, "liblinear": 0.0}
    for rotation in folds_of(dataset, protocol):
        space = RowSpace().fit(features[rotation.train])
        train, val, test = (space.transform(features[i]) for i in (rotation.train, rotation.validation, rotation.test))
        y_train, y_val = labels[rotation.train], labels[rotation.validation]
        fitted = [j for j in range(labels.shape[1]) if len(np.unique(y_train[:, j])) == 2]
        weights = np.ones((len(train), len(fitted)))
        solved, chosen = {}, {}
        for solver in ("liblinear", "batched"):
            start = time.perf_counter()
            solved[solver] = grid_weights(train, y_train[:, fitted], weights, grid, solver=solver, n_jobs=n_jobs)
            seconds[solver] += time.perf_counter() - start
        signs = 2.0 * y_train[:, fitted] - 1
        for C in grid:
            w = {s: np.column_stack([solved[s][k, C] for k in range(len(fitted))]) for s in solved}
            values = {s: squared_hinge_objective(w[s], train, signs, np.full(signs.shape, C)) for s in w}
            relative.extend((values["liblinear"] - values["batched"]) / values["batched"])
        for solver in solved:
            chosen[solver], block = [], np.zeros((len(test), labels.shape[1]), int)
            for k, j in enumerate(fitted):
                scores = [binary_f1(y_val[:, j], val @ solved[solver][k, C] > 0) for C in grid]
                C = grid[int(np.argmax(scores))]  # first maximum: ties keep the smaller C
                chosen[solver].append(C)
                block[:, j] = test @ solved[solver][k, C] > 0
            decisions[solver].append(block)
        same_c += sum(a == b for a, b in zip(chosen["batched"], chosen["liblinear"]))
        total_c += len(fitted)
        truth.append(labels[rotation.test])
    truth = np.vstack(truth)
    f1 = {s: np.array([binary_f1(truth[:, j], np.vstack(d)[:, j]) for j in range(labels.shape[1])])
          for s, d in decisions.items()}
    equal = np.mean(np.vstack(decisions["batched"]) == np.vstack(decisions["liblinear"]))
    relative = np.array(relative)
    print(f"| {name} | {len(relative)} | {relative.min():+.1e} / {np.median(relative):+.1e} / {relative.max():+.1e} "
          f"| {same_c}/{total_c} | {100 * equal:.2f} % | {np.abs(f1['batched'] - f1['liblinear']).max():.4f} "
          f"| {f1['liblinear'].mean():.4f} / {f1['batched'].mean():.4f} | {seconds['liblinear']:.1f} "
          f"| {seconds['batched']:.1f} |", flush=True)


def time_rows(case, dataset, cache):
    """Each SVM row of the demo end to end (run_experiment into a fresh folder, features cached), per solver."""
    import tempfile

    from meau.experiment import run_experiment
    from meau.flow import FlowSpec
    from meau.handcrafted.pipeline import FlowSVMMethod, HandcraftedMethod, MdmoMethod
    from meau.runs import RunDir

    rows = (("LBP-TOP", lambda solver: HandcraftedMethod("lbptop", n_jobs=-1, cache=cache, solver=solver)),
            ("Flow 16x16+SVM", lambda solver: FlowSVMMethod(FlowSpec(), n_jobs=-1, cache=cache, solver=solver)),
            ("MDMO+SVM", lambda solver: MdmoMethod(n_jobs=-1, cache=cache, solver=solver)))
    for label, make in rows:
        seconds = {}
        for solver in ("liblinear", "batched"):
            with tempfile.TemporaryDirectory() as folder:
                method = make(solver)
                method.prepare(dataset)  # features read from the cache before the clock starts
                start = time.perf_counter()
                run_experiment(method, dataset, RunDir(Path(folder) / "run"), protocol="kfold", k=4, seed=0,
                               echo=lambda *_: None)
                seconds[solver] = time.perf_counter() - start
        print(f"| {case}: {label}, whole run (4 folds + final models) | | | | | | | {seconds['liblinear']:.1f} "
              f"| {seconds['batched']:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="demo,subtle,lodo")
    parser.add_argument("--lodo-workdir", type=Path, default=None,
                        help="benchmarks/composite.py --sizes defaults's folder (built there when missing).")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    from meau.databases import load_dataset
    from meau.databases.synth import PRESETS, SHEET_NAME
    from meau.demo import DEMO_DATABASE, synthetic_database
    from meau.flow import FlowSpec
    from meau.handcrafted.pipeline import FlowSVMMethod, HandcraftedMethod, MdmoMethod
    from meau.paths import cache_root

    cache = cache_root() / "features"
    print("| case | problems | objective: (liblinear - batched) / batched, min / median / max | same C | "
          "same test decisions | max abs F1 difference (per AU, AVG incl.) | AVG F1 liblinear / batched "
          "| liblinear s | batched s |")
    print("|---|---:|---|---:|---:|---:|---|---:|---:|")
    for case in args.cases.split(","):
        if case in ("demo", "subtle"):
            settings = {key: DEMO_DATABASE[key] for key in ("subjects", "samples", "seed")}
            root = synthetic_database(None, intensity=DEMO_DATABASE["intensity"] if case == "demo" else 0.0,
                                      nuisance=PRESETS["subtle"] if case == "subtle" else None, echo=lambda *_: None,
                                      **settings)
            dataset = load_dataset(root, "casme2", root / SHEET_NAME, aus="auto", min_count=12)
            for label, method in (("LBP-TOP", HandcraftedMethod("lbptop", n_jobs=2, cache=cache)),
                                  ("Flow 16x16+SVM", FlowSVMMethod(FlowSpec(), n_jobs=2, cache=cache)),
                                  ("MDMO+SVM", MdmoMethod(n_jobs=2, cache=cache))):
                compare(f"{case}: {label}", method, dataset, "kfold", args.n_jobs)
            if case == "demo":
                time_rows(case, dataset, cache)
        elif case == "lodo":
            from composite import build
            from meau.databases import DatasetSelection, LabelSettings

            workdir = build(args.lodo_workdir, "defaults", 1.0, 8.0)
            dataset = DatasetSelection(datasets=workdir / "cd6me.toml",
                                       labels=LabelSettings(aus="1,2,4,7,9,12,14,15,17")).check().load()
            compare("six databases, LODO: Flow 16x16+SVM", FlowSVMMethod(FlowSpec(), n_jobs=2, cache=workdir / "cache"),
                    dataset, "lodo", args.n_jobs)


if __name__ == "__main__":
    main()
