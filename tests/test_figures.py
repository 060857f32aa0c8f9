import numpy as np
import pandas as pd
from click.testing import CliRunner

from meau.cli import cli
from meau.figures import au_correlation


def _png_size(path):
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    return image.shape


def test_correlation_matrix_is_pearson():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 200)
    table = pd.DataFrame({"AU01": a, "AU02": a ^ (rng.random(200) < 0.1), "AU04": rng.integers(0, 2, 200)})
    matrix = au_correlation(table, ["AU01", "AU02", "AU04"])
    assert matrix[0, 1] == np.corrcoef(table["AU01"], table["AU02"])[0, 1]
    assert matrix[0, 1] > 0.7 and abs(matrix[0, 2]) < 0.2


def test_annotate_figure_and_report_figures(tiny_db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["annotate", str(tiny_db / "CASME2-coding-synth.xlsx"), "--database", "casme2",
                                 "--min-count", "3", "-o", str(tmp_path / "labels.csv"), "--figure",
                                 str(tmp_path / "corr.png")], obj={})
    assert result.exit_code == 0, result.output
    height, width, _ = _png_size(tmp_path / "corr.png")
    assert height > 300 and width > 300
    run = runner.invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3", "-o", str(tmp_path / "c")], obj={})
    assert run.exit_code == 0
    report = runner.invoke(cli, ["report", str(tmp_path / "c"), "--figures", str(tmp_path / "figs")], obj={})
    assert report.exit_code == 0, report.output
    for name in ("au_correlation", "f1_bars"):
        assert _png_size(tmp_path / "figs" / f"{name}.png")[0] > 200
        assert (tmp_path / "figs" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
    before = (tmp_path / "figs" / "f1_bars.png").read_bytes()
    again = runner.invoke(cli, ["report", str(tmp_path / "c"), "--figures", str(tmp_path / "figs")], obj={})
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert (tmp_path / "figs" / "f1_bars.png").read_bytes() == before


def test_one_au_draws_every_figure(tiny_db, tmp_path):
    """A small database often keeps one AU: the correlation matrix is then 1 x 1, never a crash."""
    runner = CliRunner()
    sheet = str(tiny_db / "CASME2-coding-synth.xlsx")
    result = runner.invoke(cli, ["annotate", sheet, "--database", "casme2", "--aus", "4", "-o",
                                 str(tmp_path / "labels.csv"), "--figure", str(tmp_path / "corr.png")], obj={})
    assert result.exit_code == 0, result.output
    assert _png_size(tmp_path / "corr.png")[0] > 100
    run = runner.invoke(cli, ["baseline", "constant", str(tiny_db), "--aus", "4", "-o", str(tmp_path / "c")], obj={})
    assert run.exit_code == 0, run.output
    report = runner.invoke(cli, ["report", str(tmp_path / "c"), "--figures", str(tmp_path / "figs")], obj={})
    assert report.exit_code == 0, report.output
    assert _png_size(tmp_path / "figs" / "au_correlation.png")[0] > 100


def test_a_failing_figure_leaves_no_output_behind(tiny_db, tmp_path, monkeypatch):
    import meau.figures

    def broken(*args, **kwargs):
        raise RuntimeError("matplotlib broke")

    monkeypatch.setattr(meau.figures, "au_correlation_figure", broken)
    runner = CliRunner()
    arguments = ["annotate", str(tiny_db / "CASME2-coding-synth.xlsx"), "--database", "casme2", "--min-count", "3",
                 "-o", str(tmp_path / "labels.csv"), "--figure", str(tmp_path / "corr.png")]
    result = runner.invoke(cli, arguments, obj={})
    assert result.exit_code != 0
    assert not (tmp_path / "labels.csv").exists() and not (tmp_path / "corr.png").exists()
    monkeypatch.undo()
    assert runner.invoke(cli, arguments, obj={}).exit_code == 0  # nothing blocks the rerun
