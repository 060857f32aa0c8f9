import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], obj={})


def test_help_and_import_do_not_import_torch():
    code = ("import sys, meau, meau.cli; from click.testing import CliRunner; "
            "r = CliRunner().invoke(meau.cli.cli, ['--help']); assert r.exit_code == 0, r.output; "
            "r = CliRunner().invoke(meau.cli.cli, ['baseline', '--help']); assert r.exit_code == 0, r.output; "
            "assert 'torch' not in sys.modules; assert 'sklearn' not in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and "meau, version" in result.output


def test_user_error_is_one_line_exit_1(tmp_path):
    result = invoke("annotate", tmp_path / "absent.xlsx", "--database", "casme2", "-o", tmp_path / "l.csv")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no such file" in result.output
    assert "Traceback" not in result.output
    debug = invoke("--debug", "annotate", tmp_path / "absent.xlsx", "--database", "casme2", "-o", tmp_path / "l.csv")
    assert debug.exit_code == 1 and debug.exception is not None and type(debug.exception).__name__ == "SheetError"


def test_usage_error_is_exit_2():
    assert invoke("baseline", "constant").exit_code == 2


def test_annotate_writes_labels_and_counts(tiny_db, tmp_path):
    result = invoke("annotate", tiny_db / "CASME2-coding-synth.xlsx", "--database", "casme2", "--min-count", "3",
                    "-o", tmp_path / "labels.csv")
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(tmp_path / "labels.csv", dtype={"subject": str})
    assert list(labels.columns[:8]) == ["database", "subject", "clip", "onset", "apex", "offset", "emotion", "au_raw"]
    au_columns = [c for c in labels.columns if c.startswith("AU")]
    assert au_columns and all(labels[c].sum() >= 3 for c in au_columns)
    assert "Positives" in result.output
    for column in au_columns:
        assert f" {labels[column].sum()}" in result.output.split("Positives")[1].splitlines()[0]
    assert (tmp_path / "labels.problems.csv").exists()


def test_constant_baseline_end_to_end_resume_and_fold(tiny_db, tmp_path):
    run = tmp_path / "constant"
    result = invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", run)
    assert result.exit_code == 0, result.output
    for name in ("config.json", "splits.csv", "predictions.csv", "metrics.json", "validation.csv"):
        assert (run / name).exists(), name
    config = json.loads((run / "config.json").read_text())
    assert config["method"] == "Constant" and len(config["dataset"]["sources"][0]["sha256"]) == 64
    assert config["dataset"]["samples_kept"] == 36
    predictions = pd.read_csv(run / "predictions.csv", dtype={"subject": str})
    assert len(predictions) == 36 and predictions["fold"].nunique() == 4
    metrics = json.loads((run / "metrics.json").read_text())
    for column in metrics["aus"]:
        p = predictions[column].mean()
        assert metrics["pooled"][column]["f1"] == pytest.approx(2 * p / (1 + p))
    # a finished run folder is never overwritten silently
    again = invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", run)
    assert again.exit_code == 1 and "--resume" in again.output
    # an interrupted run: remove a fold, resume recomputes only it, same metrics
    (run / "folds" / "fold_2.csv").unlink()
    (run / "metrics.json").unlink()
    resumed = invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", run, "--resume")
    assert resumed.exit_code == 0 and resumed.output.count("already done") == 3
    assert json.loads((run / "metrics.json").read_text())["pooled"] == metrics["pooled"]
    # folds as independent units
    parts = tmp_path / "parts"
    for fold in range(4):
        out = invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", parts, "--fold", fold)
        assert out.exit_code == 0, out.output
        assert (parts / "metrics.json").exists() == (fold == 3)
    assert json.loads((parts / "metrics.json").read_text())["pooled"] == metrics["pooled"]
    # another method on identical folds
    reuse = invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", tmp_path / "reuse", "--splits", run / "splits.csv")
    assert reuse.exit_code == 0
    assert (tmp_path / "reuse" / "splits.csv").read_text() == (run / "splits.csv").read_text()
    table = invoke("report", run, tmp_path / "reuse", "--format", "markdown")
    assert table.exit_code == 0 and "| Positives |" in table.output


def test_missing_data_root_is_clear(tmp_path):
    result = invoke("baseline", "constant", tmp_path / "nowhere", "-o", tmp_path / "r")
    # the root is named, not the sheet it could not hold
    assert result.exit_code == 1 and "nowhere: database root is not a folder" in result.output


def test_demo_small_runs_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("MEAU_CACHE", str(tmp_path / "cache"))
    result = invoke("demo", "--subjects", "6", "--samples", "36", "--intensity", "6", "--methods", "constant,lbptop",
                    "-o", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "Positives" in result.output and "LBP-TOP" in result.output
    assert (tmp_path / "demo" / "table.md").exists()
    page = (tmp_path / "demo" / "report.html").read_text()
    assert "p vs best" in page and "bootstrap" in page and page.count("data:image/png;base64,") == 2
    again = invoke("demo", "--subjects", "6", "--samples", "36", "--intensity", "6", "--methods", "constant,lbptop",
                   "-o", tmp_path / "demo")
    assert "(cached)" in again.output and "running" not in again.output


def test_several_seeds_report_mean_and_std(tiny_db, tmp_path):
    run = tmp_path / "seeds"
    result = invoke("baseline", "lbpsip", tiny_db, "--min-count", "3", "--seeds", "0,1,2", "--no-cache", "-o", run)
    assert result.exit_code == 0, result.output
    assert "lbpsip features" not in result.output  # no -v and not a terminal: no progress bar
    assert "over seeds [0, 1, 2]: average F1" in result.output
    metrics = json.loads((run / "metrics.json").read_text())
    per_seed = [json.loads((run / f"seed_{s}" / "metrics.json").read_text())["pooled"]["AVG"]["f1"] for s in (0, 1, 2)]
    assert metrics["across_seeds"]["AVG"]["f1"]["values"] == per_seed
    assert metrics["across_seeds"]["AVG"]["f1"]["std"] == pytest.approx(float(np.std(per_seed)))
    assert metrics["pooled"]["AVG"]["f1"] == pytest.approx(float(np.mean(per_seed)))
    splits = {(run / f"seed_{s}" / "splits.csv").read_text() for s in (0, 1, 2)}
    assert len(splits) > 1  # each seed draws its own folds
    table = invoke("report", run, "--format", "markdown")
    assert table.exit_code == 0 and " ± " in table.output
    # the interval of a several-seed run: the same subjects resampled in every seed, the mean over seeds
    interval = invoke("report", run, "--ci", "95", "--resamples", "500", "--format", "csv")
    assert interval.exit_code == 0, interval.output
    row = dict(zip(*[line.split(",") for line in interval.output.splitlines()[0:3:2]]))
    assert float(row["AVG_ci_low"]) <= float(row["AVG"]) <= float(row["AVG_ci_high"])
    assert invoke("baseline", "constant", tiny_db, "--seeds", "0,x", "-o", tmp_path / "bad").exit_code == 1


def test_outputs_are_never_overwritten_silently(tiny_db, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("precious")
    sheet = tiny_db / "CASME2-coding-synth.xlsx"
    result = invoke("annotate", sheet, "--database", "casme2", "--min-count", "3", "-o", labels)
    assert result.exit_code == 1 and "--overwrite" in result.output and labels.read_text() == "precious"
    assert invoke("annotate", sheet, "--database", "casme2", "--min-count", "3", "-o", labels, "--overwrite").exit_code == 0
    assert labels.read_text().startswith("database,subject")


def test_descriptor_extraction_shows_progress_with_verbose(tiny_db, tmp_path):
    # without -v and not on a terminal there is no bar: test_several_seeds_report_mean_and_std's lbpsip runs
    loud = invoke("-v", "baseline", "lbpsip", tiny_db, "--min-count", "3", "--no-cache", "-o", tmp_path / "b")
    assert loud.exit_code == 0, loud.output
    assert "lbpsip features: 100%" in loud.output and f"{36}/36" in loud.output


def test_every_option_of_every_command_is_described_and_no_default_is_dynamic():
    import click

    from meau.cli import cli

    def commands(command, path):
        if isinstance(command, click.Group):
            context = click.Context(command)
            for name in command.list_commands(context):
                yield from commands(command.get_command(context, name), path + [name])
        else:
            yield " ".join(path), command

    for name, command in commands(cli, []):
        silent = [option.opts[0] for option in command.params
                  if isinstance(option, click.Option) and not option.help and option.name != "help"]
        assert not silent, (name, silent)
        text = command.get_help(click.Context(command, info_name=name))
        assert "(dynamic)" not in text, name
    spot = cli.get_command(click.Context(cli), "spot")
    listing = spot.get_help(click.Context(spot, info_name="spot"))
    assert "(Moilanen et al. 2014)" in listing  # a summary is not cut at "et al."
    flow = spot.get_command(click.Context(spot), "flow")
    assert "[casme3|casmesq|sammlv]" in flow.get_help(click.Context(flow, info_name="flow"))


def test_a_refused_fold_writes_nothing(tiny_db, tmp_path):
    from click.testing import CliRunner

    from meau.cli import cli

    run = tmp_path / "run"
    result = CliRunner().invoke(cli, ["baseline", "constant", str(tiny_db), "--fold", "9", "-o", str(run)], obj={})
    assert result.exit_code == 1 and "--fold 9: this protocol has folds 0, 1, 2, 3" in result.output, result.output
    assert not run.exists() or not any(run.iterdir())
    from meau.experiment import fold_list

    assert fold_list(range(26)) == "0, 1, … 25 (26 folds)"
