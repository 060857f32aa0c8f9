import json

import numpy as np
import pytest

from meau.errors import RunError
from meau.metrics import evaluate
from meau.report import collect, render


def _fake_run(path, name, f1_values, aus=("AU01", "AU04"), database="casme2"):
    path.mkdir(parents=True)
    truth = np.array([[1, 1]] * 10 + [[0, 0]] * 10)[:, : len(aus)]
    metrics = evaluate(truth, truth, np.zeros(20, int), list(aus))
    for name_au, value in zip(list(aus) + ["AVG"], f1_values):
        metrics["pooled"][name_au]["f1"] = value
    (path / "metrics.json").write_text(json.dumps(metrics))
    (path / "config.json").write_text(json.dumps({"method": name, "dataset": {"sources": [{"database": database}]}}))
    return path


def test_latex_bold_best_underline_second(tmp_path):
    runs = [_fake_run(tmp_path / "a", "Constant", [0.2, 0.6, 0.4]),
            _fake_run(tmp_path / "b", "LBP-TOP", [0.5, 0.7, 0.6]),
            _fake_run(tmp_path / "c", "Res3D_SCA", [0.3, 0.65, 0.475])]
    table = collect(runs)[0]
    latex = render(table, "latex")
    lines = latex.splitlines()
    assert r"\toprule" in lines and r"\midrule" in lines and r"\bottomrule" in lines
    assert lines[lines.index(r"\toprule") + 1] == r"Method & AU1 & AU4 & AVG \\"
    assert r"Number of samples & 10 & 10 & -- \\" in lines
    rows = {line.split(" & ")[0]: line.rstrip(r" \\").split(" & ")[1:] for line in lines if " & " in line}
    assert rows["LBP-TOP"] == [r"\textbf{0.5000}", r"\textbf{0.7000}", r"\textbf{0.6000}"]
    assert rows["Res3D\\_SCA"] == [r"\underline{0.3000}", r"\underline{0.6500}", r"\underline{0.4750}"]
    assert rows["Constant"] == ["0.2000", "0.6000", "0.4000"]
    assert latex.count("&") == 4 * 3 + 3 and "\\begin{tabular}{lccc}" in latex
    markdown = render(table, "markdown")
    assert "| LBP-TOP | **0.5000** | **0.7000** | **0.6000** |" in markdown
    csv_text = render(table, "csv")
    assert csv_text.splitlines()[1] == "Number of samples,10,10,"


def test_mixed_au_sets_are_refused_unless_by_database(tmp_path):
    a = _fake_run(tmp_path / "a", "A", [0.2, 0.6, 0.4])
    b = _fake_run(tmp_path / "b", "B", [0.2, 0.6], aus=("AU01",), database="samm")
    with pytest.raises(RunError, match="differ in database or AU set"):
        collect([a, b])
    tables = collect([a, b], by_database=True)
    assert [t.title for t in tables] == ["casme2", "samm"]


def test_unfinished_run_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(RunError, match="not a finished run folder"):
        collect([tmp_path / "x"])
