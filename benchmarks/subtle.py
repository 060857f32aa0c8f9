"""The demo's methods on the subtle synthetic preset: plain, magnified, and cropped with ECC stabilisation.

    python benchmarks/subtle.py [--variants plain,m5,m10,m20,crop,ecc] [--out subtle-bench]

Every variant runs the demo's methods through the same 4 folds (the first variant's splits) and
prints one row per method and one column per variant (F1 pooled over the test folds, AVG over AUs).
``mN``: Eulerian magnification with alpha = N (r1 0.4, r2 0.05, 4 levels); ``crop``: the database
re-cropped by ``meau crop --landmarks`` (the synthetic faces' own landmarks, 128 x 128, eyes at the
documented positions); ``ecc``: the same crop with ``--stabilize ecc``, which removes the head drift.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="plain,m5,m10,m20,crop,ecc")
    parser.add_argument("--methods", default=None, help="Comma-separated demo methods (default: all).")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from click.testing import CliRunner

    from meau.cli import cli
    from meau.databases.synth import PRESETS
    from meau.demo import DEMO_DATABASE, run_demo, synthetic_database
    from meau.paths import cache_root
    from meau.magnify import Magnification

    out = args.out or Path(tempfile.mkdtemp(prefix="subtle-bench-"))
    settings = {key: DEMO_DATABASE[key] for key in ("subjects", "samples", "seed")}
    root = synthetic_database(None, intensity=0.0, nuisance=PRESETS["subtle"], echo=print, **settings)
    methods = args.methods.split(",") if args.methods else None
    results, seconds = {}, {}
    for variant in args.variants.split(","):
        start = time.perf_counter()
        magnify, variant_root = None, root
        if variant.startswith("m"):
            magnify = Magnification(alpha=float(variant[1:])).as_dict()
        elif variant in ("crop", "ecc"):
            variant_root = out / f"cropped_{variant}"
            if not (variant_root / "crop.csv").exists():
                result = CliRunner().invoke(cli, ["crop", str(root), "--database", "casme2", "--layout", "cropped",
                                                  "--landmarks", str(root / "landmarks.csv"), "--size", "128",
                                                  "--stabilize", "ecc" if variant == "ecc" else "none", "--n-jobs", "2",
                                                  "-o", str(variant_root)], obj={})
                assert result.exit_code == 0, result.output
        runs = run_demo(out=out / variant, cache=cache_root() / "synth", intensity=0.0, methods=methods, n_jobs=-1,
                        magnify=magnify, root=variant_root, echo=lambda *_: None, **settings)
        seconds[variant] = time.perf_counter() - start
        for run in runs:
            config = json.loads((run / "config.json").read_text())
            metrics = json.loads((run / "metrics.json").read_text())
            results.setdefault(config["method"], {})[variant] = metrics["pooled"]["AVG"]["f1"]
    variants = args.variants.split(",")
    print(f"{'method':<24}" + "".join(f"{v:>9}" for v in variants))
    for method, row in results.items():
        print(f"{method:<24}" + "".join(f"{row.get(v, float('nan')):>9.4f}" for v in variants))
    print(f"{'seconds':<24}" + "".join(f"{seconds[v]:>9.0f}" for v in variants))
    print(f"run folders: {out}")


if __name__ == "__main__":
    main()
