import json

import numpy as np
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.experiment import run_experiment
from meau.handcrafted.pipeline import HandcraftedMethod, extract_features
from meau.runs import RunDir

# Measured on this database (16 subjects, 160 samples, intensity 10, AUs with >= 20 positives):
# constant 0.333; LBP-TOP 0.583, LPQ-TOP 0.583, LBP-SIP 0.540, HOG3D 0.593 (pooled average F1).
MARGIN = 0.15


@pytest.mark.slow
@pytest.mark.parametrize("descriptor", ["lbptop", "lpqtop", "lbpsip", "hog3d"])
def test_every_descriptor_far_above_the_constant_baseline(descriptor, easy_dataset, constant_f1, tmp_path):
    method = HandcraftedMethod(descriptor, n_jobs=2, cache=tmp_path / "cache")
    metrics = run_experiment(method, easy_dataset, RunDir(tmp_path / "run"), echo=lambda *_: None)
    average = metrics["pooled"]["AVG"]["f1"]
    assert average > constant_f1 + MARGIN, (descriptor, average, constant_f1)
    folds = [json.loads((tmp_path / "run" / "folds" / f"fold_{i}.json").read_text()) for i in range(4)]
    assert all(set(fold["C"]) == set(easy_dataset.au_columns) for fold in folds)
    assert all(c is None or c in {10.0**k for k in range(-3, 4)} for fold in folds for c in fold["C"].values())


def test_feature_cache_is_used_and_keyed_by_parameters(tiny_db, tmp_path):
    from meau.databases import load_dataset

    dataset = load_dataset(tiny_db, "casme2", tiny_db / "CASME2-coding-synth.xlsx", aus="auto", min_count=3)
    frames = list(dataset.table["frames"])[:4]
    cache = tmp_path / "cache"
    first = extract_features(frames, "lbpsip", cache=cache)
    stored = sorted((cache / "features" / "lbpsip").glob("*.npy"))
    assert len(stored) == 4
    np.testing.assert_array_equal(extract_features(frames, "lbpsip", cache=cache), first)
    mtimes = [p.stat().st_mtime_ns for p in stored]
    extract_features(frames, "lbpsip", cache=cache)
    assert [p.stat().st_mtime_ns for p in stored] == mtimes  # read, not rewritten
    extract_features(frames, "lbpsip", {"radii": (2, 2, 2)}, cache=cache)
    assert len(list((cache / "features" / "lbpsip").glob("*.npy"))) == 8


def test_cli_baseline_lbptop_with_splits_and_report(tiny_db, tmp_path):
    runner = CliRunner()
    constant = runner.invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3", "-o", str(tmp_path / "c")], obj={})
    assert constant.exit_code == 0, constant.output
    result = runner.invoke(cli, ["baseline", "lbptop", str(tiny_db), "--min-count", "3", "--splits",
                                 str(tmp_path / "c" / "splits.csv"), "--cache", str(tmp_path / "cache"),
                                 "--radii", "2,2,2", "--grid", "3x3", "-o", str(tmp_path / "l")], obj={})
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "l" / "config.json").read_text())
    assert config["method"] == "LBP-TOP"
    assert config["parameters"]["descriptor_params"]["radii"] == [2.0, 2.0, 2.0]
    assert config["parameters"]["descriptor_params"]["grid"] == [3, 3]
    table = runner.invoke(cli, ["report", str(tmp_path / "c"), str(tmp_path / "l"), "--format", "csv"], obj={})
    assert table.exit_code == 0 and table.output.splitlines()[2].startswith("Constant,")
    assert table.output.splitlines()[3].startswith("LBP-TOP,")
    bad = runner.invoke(cli, ["baseline", "lbptop", str(tiny_db), "--radii", "3,3", "-o", str(tmp_path / "x")], obj={})
    assert bad.exit_code == 1 and "--radii expects three numbers" in bad.output
    short = runner.invoke(cli, ["baseline", "lbptop", str(tiny_db), "--min-count", "3", "--tim-frames", "4",
                                "--no-cache", "-o", str(tmp_path / "short")], obj={})
    assert short.exit_code == 1 and "too short for temporal radius 3" in short.output
    assert short.output.count("\n") <= 2
