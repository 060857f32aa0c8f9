"""What each input and option does to the demo's deep rows: pooled AVG F1, mean ROC AUC, wall time.

    python benchmarks/deep_inputs.py [--settings NAME,NAME] [--epochs 15] [--workdir DIR]

Runs the demo's quarter-width Res3D-18 (+SCA) on the demo's synthetic database (255 samples,
intensity 8, the demo's 4 folds) once per setting, on the CPU, and prints one row per setting.
The README's deep-model table comes from this script.
"""

import argparse
import tempfile
import time
from pathlib import Path

SETTINGS = {  # everything not named here is the demo's setting (meau.deep.train.small_cpu_config)
    "rgb": dict(input="rgb", flip=False, threshold="fixed"),
    "rgb-40ep": dict(input="rgb", flip=False, threshold="fixed", epochs=40),
    "diff": dict(input="diff", flip=False, threshold="fixed"),
    "diff+flip": dict(input="diff", flip=True, threshold="fixed"),
    "diff+jitter2": dict(input="diff", flip=False, jitter=2, threshold="fixed"),
    "diff+validation": dict(input="diff", flip=False, threshold="validation"),
    "diff+flip+validation": dict(input="diff", flip=True, threshold="validation"),  # the demo
    "diff+flip+validation+randomcrop": dict(input="diff", flip=True, threshold="validation", random_crop=True),
    "rgb+flip+validation": dict(input="rgb", flip=True, threshold="validation"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="rgb,diff,diff+flip,diff+jitter2,diff+validation")
    parser.add_argument("--fusions", default="learn", help="Comma-separated: learn (SCA), none (plain Res3D), ...")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from meau.databases import load_dataset
    from meau.databases.synth import SHEET_NAME
    from meau.deep.train import demo_method
    from meau.demo import DEMO_DATABASE, synthetic_database
    from meau.paths import cache_root
    from meau.experiment import ConstantBaseline, run_experiment
    from meau.runs import RunDir

    quiet = lambda *_: None  # noqa: E731
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meau-deep-"))
    root = synthetic_database(None, echo=print, **DEMO_DATABASE)
    dataset = load_dataset(root, "casme2", root / SHEET_NAME, aus="auto", min_count=max(3, DEMO_DATABASE["samples"] // 20))
    constant = RunDir(workdir / "constant", overwrite=True)
    floor = run_experiment(ConstantBaseline(), dataset, constant, echo=quiet)["pooled"]["AVG"]["f1"]
    splits = constant.file("splits.csv")
    print(f"{len(dataset.table)} samples, AUs {', '.join(dataset.au_columns)}; constant AVG F1 {floor:.4f}")
    print(f"{'fusion':8s} {'setting':24s} {'AVG F1':>7s} {'AUC':>6s} {'time':>6s}")
    for fusion in args.fusions.split(","):
        for name in args.settings.split(","):
            settings = {"epochs": args.epochs, **SETTINGS[name]}
            run = RunDir(workdir / f"{fusion}-{name}", overwrite=True)
            start = time.perf_counter()
            method = demo_method(fusion, cache=cache_root() / "features", echo=quiet, **settings)
            metrics = run_experiment(method, dataset, run, splits=splits, echo=quiet)
            seconds = time.perf_counter() - start
            predictions = pd.read_csv(run.file("predictions.csv"))
            auc = np.mean([roc_auc_score(predictions[c], predictions[f"{c}_p"]) for c in dataset.au_columns])
            print(f"{fusion:8s} {name:24s} {metrics['pooled']['AVG']['f1']:7.4f} {auc:6.3f} {seconds:5.0f}s", flush=True)


if __name__ == "__main__":
    main()
