"""Several databases in one run (--datasets FILE): keys, AU union, leave-one-database-out, per-database tables."""

import json

import pandas as pd
import pytest

from meau.databases import names
from click.testing import CliRunner

from meau.cli import cli
from meau.databases.composite import load_composite, read_datasets_file
from meau.errors import MeauError


@pytest.fixture(scope="module")
def two_databases(tmp_path_factory):
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("composite")
    generate(root / "first", subjects=4, samples=24, intensity=8.0, seed=11)
    generate(root / "second", subjects=4, samples=24, intensity=8.0, seed=12)
    (root / "both.toml").write_text(
        '[[database]]\nname = "casme2"\nroot = "first"\nlabel = "one"\n\n'
        '[[database]]\nname = "casme2"\nroot = "second"\nlabel = "two"\n')
    return root


def test_composite_keys_subjects_by_database_and_takes_the_au_union(two_databases):
    from meau.databases import load_dataset
    from meau.protocols import _subject_ids

    dataset = load_composite(two_databases / "both.toml", aus="auto", min_count=3)
    singles = {label: load_dataset(two_databases / folder, "casme2", two_databases / folder / "CASME2-coding-synth.xlsx",
                                   aus="auto", min_count=1) for label, folder in (("one", "first"), ("two", "second"))}
    assert dataset.table["database"].value_counts().to_dict() == {k: len(v.table) for k, v in singles.items()}
    # the same subject number in two databases is two subjects
    assert {"one/01", "two/01"} <= set(_subject_ids(dataset.table))
    # AU columns: the union, counted over both databases; an AU one database lacks is 0 there
    union = sorted(set(singles["one"].au_columns) | set(singles["two"].au_columns))
    expected = [c for c in union if sum(int(v.table[c].sum()) for v in singles.values() if c in v.table) >= 3]
    assert dataset.au_columns == expected
    for column in expected:
        total = sum(int(v.table[column].sum()) for v in singles.values() if column in v.table)
        assert int(dataset.table[column].sum()) == total
    assert [s["label"] for s in dataset.sources] == ["one", "two"]


def test_lodo_run_and_per_database_report(two_databases, tmp_path):
    runner = CliRunner()
    run = tmp_path / "lodo"
    result = runner.invoke(cli, ["baseline", "constant", "--datasets", str(two_databases / "both.toml"),
                                 "--protocol", "lodo", "--min-count", "3", "-o", str(run)], obj={})
    assert result.exit_code == 0, result.output
    assert "one (CASME2-coding-synth.xlsx)" in result.output and "two (" in result.output
    splits = pd.read_csv(run / "splits.csv", dtype={"subject": str})
    # leave one database out: each fold is exactly one database
    assert splits.groupby("fold")["database"].nunique().eq(1).all() and splits["database"].nunique() == 2
    config = json.loads((run / "config.json").read_text())
    assert config["parameters"]["datasets"].endswith("both.toml")
    report = runner.invoke(cli, ["report", str(run), "--by-database", "--format", "csv"], obj={})
    assert report.exit_code == 0, report.output
    titles = [line for line in report.output.splitlines() if line.startswith("Method")]
    assert len(titles) == 3  # pooled, one, two
    predictions = pd.read_csv(run / "predictions.csv")
    one = predictions[predictions["database"] == "one"]
    from sklearn.metrics import f1_score

    column = json.loads((run / "metrics.json").read_text())["aus"][0]
    expected = f1_score(one[column], one[f"{column}_c"])
    rows = report.output.split("Method")
    assert f"{expected:.4f}" in rows[2]
    intervals = runner.invoke(cli, ["report", str(run), "--by-database", "--ci", "90", "--resamples", "300",
                                    "--format", "csv"], obj={})
    assert intervals.exit_code == 0, intervals.output
    assert intervals.output.count("AVG_ci_low") == 3  # the pooled table and each database's
    page = runner.invoke(cli, ["report", str(run), "--html", str(tmp_path / "page.html")], obj={})
    assert page.exit_code == 0, page.output
    text = (tmp_path / "page.html").read_text()
    assert "Per database" in text and text.count('class="results"') == 3  # pooled, one, two


def test_per_database_tables_of_a_multi_seed_run_read_mean_and_spread(two_databases, tmp_path):
    import numpy as np
    from sklearn.metrics import f1_score

    runner = CliRunner()
    run = tmp_path / "seeds"
    result = runner.invoke(cli, ["baseline", "flow", "--datasets", str(two_databases / "both.toml"), "--protocol", "kfold",
                                 "--folds", "3", "--seeds", "0,1", "--min-count", "3", "--no-cache", "-o", str(run)],
                           obj={})
    assert result.exit_code == 0, result.output
    report = runner.invoke(cli, ["report", str(run), "--by-database", "--format", "markdown"], obj={})
    assert report.exit_code == 0, report.output
    tables = report.output.split("| Method")
    assert len(tables) == 4, report.output  # pooled, one, two
    column = json.loads((run / "metrics.json").read_text())["aus"][0]
    per_seed = []
    for seed in (0, 1):
        predictions = pd.read_csv(run / f"seed_{seed}" / "predictions.csv")
        one = predictions[predictions["database"] == "one"]
        per_seed.append(f1_score(one[column], one[f"{column}_c"], zero_division=0))
    expected = f"{np.mean(per_seed):.4f} ± {np.std(per_seed):.4f}"
    assert expected in tables[2], (expected, tables[2])


@pytest.mark.parametrize("content,message", [
    ('[[database]]\nname = "casme2"\nroot = "nowhere"\n', "root"),
    ('[[database]]\nname = "casme2"\nroot = "first"\nsheet = "missing.xlsx"\n', "sheet missing.xlsx not found"),
    ('[[database]]\nname = "casme2"\nroot = "first"\n\n[[database]]\nname = "casme2"\nroot = "second"\n',
     "label 'casme2' already used by entry #1"),
    ('[[database]]\nname = "nosuchdb"\nroot = "first"\n', "name must be one of " + ", ".join(names())),
    ('[[database]]\nname = "casme2"\nroot = "first"\nfolder = "x"\n', "unknown key(s) folder"),
    ('[[database]]\nname = "csv"\nroot = "first"\n', "a csv entry needs frames"),
    ("this is not toml = = \n", "not a TOML datasets file"),
    ("title = 'no entries'\n", "no [[database]] entries"),
])
def test_bad_datasets_files_name_the_entry(two_databases, tmp_path, content, message):
    path = two_databases / f"bad_{abs(hash(content))}.toml"
    path.write_text(content)
    with pytest.raises(MeauError, match=None) as caught:
        read_datasets_file(path)
    assert message in str(caught.value) and path.name in str(caught.value)
    result = CliRunner().invoke(cli, ["baseline", "constant", "--datasets", str(path), "-o", str(tmp_path / "run")],
                                obj={})
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


def test_datasets_and_data_root_do_not_combine(two_databases, tmp_path):
    runner = CliRunner()
    both = runner.invoke(cli, ["baseline", "constant", str(two_databases / "first"), "--datasets",
                               str(two_databases / "both.toml"), "-o", str(tmp_path / "run")], obj={})
    assert both.exit_code == 1 and "--datasets replaces DATA_ROOT" in both.stderr
    neither = runner.invoke(cli, ["baseline", "constant", "-o", str(tmp_path / "run")], obj={})
    assert neither.exit_code == 1 and "give DATA_ROOT" in neither.stderr


def test_a_csv_database_joins_through_a_known_layout(two_databases, tmp_path):
    """Any other database enters as a CSV sheet with a column mapping and a known folder layout."""
    from meau.databases import read_sheet

    rows = read_sheet(two_databases / "second" / "CASME2-coding-synth.xlsx", "casme2").rows
    frame = pd.DataFrame([{"Who": f"{r['subject']}", "Video": r["clip"], "Start": r["onset"], "Peak": r["apex"],
                           "End": r["offset"], "AUs": r["au_raw"]} for r in rows])
    frame.to_csv(tmp_path / "other.csv", index=False)
    (tmp_path / "mixed.toml").write_text(
        f'[[database]]\nname = "casme2"\nroot = "{two_databases / "first"}"\nlabel = "one"\n\n'
        f'[[database]]\nname = "csv"\nroot = "{two_databases / "second"}"\nsheet = "{tmp_path / "other.csv"}"\n'
        'frames = "casme2"\nlabel = "other"\n'
        'columns = { subject = "Who", clip = "Video", onset = "Start", apex = "Peak", offset = "End", au_raw = "AUs" }\n')
    dataset = load_composite(tmp_path / "mixed.toml", aus="auto", min_count=3)
    counts = dataset.table["database"].value_counts()
    assert counts["other"] >= 20 and counts["one"] >= 20
