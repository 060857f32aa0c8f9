import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.errors import RunError
from meau.metrics import evaluate
from meau.report import collect, render, render_text


def _fake_run(path, name, f1_values, aus=("AU01", "AU04"), database="casme2"):
    path.mkdir(parents=True)
    truth = np.array([[1, 1]] * 10 + [[0, 0]] * 10)[:, : len(aus)]
    metrics = evaluate(truth, truth, np.zeros(20, int), list(aus))
    for name_au, value in zip(list(aus) + ["AVG"], f1_values):
        metrics["pooled"][name_au]["f1"] = value
    (path / "metrics.json").write_text(json.dumps(metrics))
    (path / "config.json").write_text(json.dumps({"method": name, "dataset": {"sources": [{"database": database}]}}))
    return path


def _predicted_run(path, name, truth, decision, subjects, folds, *, aus=("AU01", "AU04"), database="casme2"):
    """A finished run folder written from given predictions (metrics as meau computes them)."""
    path.mkdir(parents=True)
    n = len(truth)
    keys = pd.DataFrame({"database": database, "subject": [f"{s:02d}" for s in subjects],
                         "clip": [f"EP{i:03d}" for i in range(n)], "onset": np.arange(n) * 10 + 1})
    predictions = keys.assign(fold=folds)
    for j, column in enumerate(aus):
        predictions[column] = truth[:, j]
        predictions[f"{column}_c"] = decision[:, j]
    predictions.to_csv(path / "predictions.csv", index=False)
    keys.assign(fold=folds).to_csv(path / "splits.csv", index=False)
    (path / "metrics.json").write_text(json.dumps(evaluate(truth, decision, folds, list(aus))))
    (path / "config.json").write_text(json.dumps({"method": name, "command": f"meau baseline {name.lower()} DB",
                                                  "dataset": {"sources": [{"database": database}]}}))
    return path


@pytest.fixture
def three_methods(tmp_path):
    """Constant, a good method (90% of decisions right) and a poor one (60%), 12 subjects x 8 clips."""
    rng = np.random.default_rng(0)
    subjects = np.repeat(np.arange(12), 8)
    folds = subjects % 4
    truth = (rng.random((96, 2)) < 0.35).astype(int)

    def noisy(right):
        flip = rng.random(truth.shape) > right
        return np.where(flip, 1 - truth, truth)

    return [_predicted_run(tmp_path / "constant", "Constant", truth, np.ones_like(truth), subjects, folds),
            _predicted_run(tmp_path / "good", "Good", truth, noisy(0.9), subjects, folds),
            _predicted_run(tmp_path / "poor", "Poor", truth, noisy(0.6), subjects, folds)]


def test_latex_bold_best_underline_second(tmp_path):
    runs = [_fake_run(tmp_path / "a", "Constant", [0.2, 0.6, 0.4]),
            _fake_run(tmp_path / "b", "LBP-TOP", [0.5, 0.7, 0.6]),
            _fake_run(tmp_path / "c", "Res3D_SCA", [0.3, 0.65, 0.475])]
    table = collect(runs)[0]
    latex = render(table, "latex")
    lines = latex.splitlines()
    assert r"\toprule" in lines and r"\midrule" in lines and r"\bottomrule" in lines
    assert lines[lines.index(r"\toprule") + 1] == r"\multicolumn{4}{c}{F1, pooled over folds (casme2)} \\"
    assert r"Method & AU1 & AU4 & AVG \\" in lines
    assert r"Positives & 10 & 10 & -- \\" in lines
    rows = {line.split(" & ")[0]: line.rstrip(r" \\").split(" & ")[1:] for line in lines if " & " in line}
    assert rows["LBP-TOP"] == [r"\textbf{0.5000}", r"\textbf{0.7000}", r"\textbf{0.6000}"]
    assert rows["Res3D\\_SCA"] == [r"\underline{0.3000}", r"\underline{0.6500}", r"\underline{0.4750}"]
    assert rows["Constant"] == ["0.2000", "0.6000", "0.4000"]
    assert "\\begin{tabular}{lccc}" in latex
    markdown = render(table, "markdown")
    assert "| LBP-TOP | **0.5000** | **0.7000** | **0.6000** |" in markdown
    assert markdown.startswith("| Method (F1, pooled over folds) |")
    csv_lines = render(table, "csv").splitlines()
    assert csv_lines[0] == "Method (F1 pooled over folds),AU1,AU4,AVG" and csv_lines[1] == "Positives,10,10,"


def test_nothing_that_does_not_beat_the_constant_is_bold(tmp_path):
    runs = [_fake_run(tmp_path / "a", "Constant", [0.2, 0.8, 0.5]),
            _fake_run(tmp_path / "b", "A", [0.5, 0.7, 0.6]),
            _fake_run(tmp_path / "c", "B", [0.2, 0.6, 0.4])]
    markdown = render(collect(runs)[0], "markdown")
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in markdown.splitlines()[3:6]}
    assert rows["Constant"] == ["0.2000", "0.8000", "0.5000 |"]  # the constant is never bold, even when best
    assert rows["A"] == ["**0.5000**", "0.7000", "**0.6000** |"]  # AU4: nobody beats the constant
    assert rows["B"] == ["0.2000", "0.6000", "0.4000 |"]  # equal to the constant is not better


def test_runs_of_different_databases_are_refused_unless_by_database(tmp_path):
    a = _fake_run(tmp_path / "a", "A", [0.2, 0.6, 0.4])
    b = _fake_run(tmp_path / "b", "B", [0.2, 0.6, 0.4], database="samm")  # same AUs, other database
    with pytest.raises(RunError, match="different databases") as error:
        collect([a, b])
    assert str(a) in str(error.value) and "samm" in str(error.value) and "--by-database" in str(error.value)
    tables = collect([a, b], by_database=True)
    assert [t.title for t in tables] == ["casme2", "samm"]
    c = _fake_run(tmp_path / "c", "C", [0.2, 0.6], aus=("AU01",))
    with pytest.raises(RunError, match="differ in their AU set"):
        collect([a, c], by_database=True)


def test_runs_on_different_folds_are_refused_unless_allowed(three_methods, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for name in ("metrics.json", "config.json", "predictions.csv"):
        (other / name).write_bytes((three_methods[1] / name).read_bytes())
    splits = pd.read_csv(three_methods[1] / "splits.csv", dtype=str)
    splits["fold"] = splits["fold"].map({"0": "1", "1": "0", "2": "2", "3": "3"})
    splits.to_csv(other / "splits.csv", index=False)
    with pytest.raises(RunError, match="different folds") as error:
        collect([three_methods[0], other])
    assert "--splits" in str(error.value) and "--allow-mixed-splits" in str(error.value)
    assert len(collect([three_methods[0], other], allow_mixed_splits=True)[0].methods) == 2


def test_labels_given_and_identical_labels_made_distinct(three_methods, tmp_path):
    copy = tmp_path / "copy" / "good"
    copy.mkdir(parents=True)
    for name in ("metrics.json", "config.json", "predictions.csv", "splits.csv"):
        (copy / name).write_bytes((three_methods[1] / name).read_bytes())
    table = collect([three_methods[1], copy])[0]
    assert table.methods == [f"Good ({three_methods[1]})", f"Good ({copy})"]  # same folder name: whole paths
    table = collect(three_methods, labels={str(three_methods[2]): "Poor (raw)", str(three_methods[1]): "Poor (raw)"})[0]
    assert table.methods == ["Constant", "Poor (raw) (good)", "Poor (raw) (poor)"]
    with pytest.raises(RunError, match="--label"):
        collect(three_methods, labels={"elsewhere": "X"})


def test_per_fold_and_single_fold_headers(three_methods):
    per_fold = collect(three_methods, view="per_fold")[0]
    assert per_fold.heading == "F1, mean ± std over folds" and per_fold.spreads is not None
    metrics = json.loads((three_methods[1] / "metrics.json").read_text())
    assert per_fold.cell(1, 2) == (f"{metrics['per_fold']['AVG']['f1']['mean']:.4f} ± "
                                   f"{metrics['per_fold']['AVG']['f1']['std']:.4f}")
    fold = collect(three_methods, fold=2)[0]
    assert render_text(fold).startswith("F1, fold 2 (casme2)")
    assert fold.values[1, -1] == pytest.approx(metrics["per_fold"]["AVG"]["f1"]["values"][2])
    predictions = pd.read_csv(three_methods[1] / "predictions.csv")
    assert fold.counts == [int(predictions.loc[predictions["fold"] == 2, c].sum()) for c in ("AU01", "AU04")]


def test_intervals_and_paired_tests_in_every_format(three_methods):
    table = collect(three_methods, ci=95, paired=True, resamples=2000)[0]
    assert table.best == 1
    low, high, values = table.low[:, -1], table.high[:, -1], table.values[:, -1]
    assert np.all(low <= values) and np.all(values <= high) and np.all(high - low > 0.01)
    assert np.isnan(table.low[:, 0]).all()  # per AU only with per_au_ci
    assert np.isnan(table.p_values[1]) and table.p_values[0] < 0.01 and table.p_values[2] < 0.05
    header = render(table, "csv").splitlines()[0].split(",")
    assert header[-3:] == ["AVG_ci_low", "AVG_ci_high", "p_vs_best"]
    good = render(table, "csv").splitlines()[3].split(",")
    assert good[0] == "Good" and good[-1] == "" and float(good[-3]) == pytest.approx(low[1], abs=5e-5)
    text = render_text(table)
    assert "bootstrap" in text and "permutation" in text and "2000 resamples, seed 0" in text
    per_au = collect(three_methods, ci=90, per_au_ci=True, resamples=500)[0]
    assert not np.isnan(per_au.low).any()
    assert "AU1_ci_low" in render(per_au, "csv").splitlines()[0]
    with pytest.raises(RunError, match="pooled"):
        collect(three_methods, ci=95, view="per_fold")


def test_unfinished_run_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(RunError, match="not a finished run folder"):
        collect([tmp_path / "x"])


def test_report_command_line(three_methods, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["report", *map(str, three_methods), "--ci", "95", "--paired", "--resamples", "1000",
                                 "--label", f"{three_methods[2]}=Poor method", "--format", "markdown"], obj={})
    assert result.exit_code == 0, result.output
    assert "| Poor method |" in result.output and "p_vs_best" in result.output
    mixed = _fake_run(tmp_path / "samm", "S", [0.2, 0.6, 0.4], database="samm")
    refused = runner.invoke(cli, ["report", str(three_methods[0]), str(mixed)], obj={})
    assert refused.exit_code == 1 and "different databases" in refused.output and "Traceback" not in refused.output
    bad = runner.invoke(cli, ["report", str(three_methods[0]), "--label", "no-equals-sign"], obj={})
    assert bad.exit_code != 0 and "RUN=NAME" in bad.output


def test_a_folder_of_runs_stands_for_its_runs_in_the_order_they_were_run(three_methods, tmp_path):
    for run, created in zip(three_methods, ("2026-01-03", "2026-01-01", "2026-01-02")):
        config = json.loads((run / "config.json").read_text())
        (run / "config.json").write_text(json.dumps({**config, "created": created}))
    (tmp_path / "figures").mkdir()  # what else a demo folder holds is passed over
    (tmp_path / "table.md").write_text("")
    assert collect([tmp_path])[0].methods == ["Good", "Poor", "Constant"]


def test_holm_adjustment_and_the_smallest_p_printed_as_a_bound():
    import numpy as np

    from meau.report import Table, holm

    adjusted = holm([np.nan, 0.01, 0.04, 0.03])
    assert np.isnan(adjusted[0]) and np.allclose(adjusted[1:], [0.03, 0.06, 0.06])  # Holm by hand
    table = Table("db", "pooled", ["AVG"], [], ["a", "b", "c"], np.zeros((3, 1)), "f1",
                  p_values=np.array([np.nan, 1 / 10001, 0.2]))
    table.p_holm = holm(table.p_values)
    assert table.p_cell(1) == "< 0.0001 (Holm 0.0002)" and table.p_cell(0) == "best"


def test_a_synthetic_database_is_named_as_such(constant_run):
    from meau.report import collect

    table = collect([constant_run])[0]
    assert table.notes[0].endswith("a synthetic database written by meau synth in its format, not the real one")
