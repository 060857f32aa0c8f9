"""The README's Python example runs as printed."""

import re
from pathlib import Path

from click.testing import CliRunner

from meau.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def test_own_network_example_runs(tiny_db, tmp_path, monkeypatch):
    text = README.read_text()
    match = re.search(r"<!-- example: own network.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "the README lost its example"
    code = match.group(1)
    assert len(code.strip().splitlines()) <= 11
    (tmp_path / "synthdb").symlink_to(tiny_db)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["baseline", "constant", "synthdb", "--min-count", "3", "-o", "runs/constant"], obj={})
    assert result.exit_code == 0, result.output
    namespace = {}
    exec(compile(code, "README example", "exec"), namespace)
    x, y, batch = namespace["x"], namespace["y"], namespace["batch"]
    assert tuple(x.shape) == (3, 10, 56, 56) and len(y) == len(namespace["dataset"].au_columns)
    assert batch.shape[0] == 8 and set(namespace["labels"].unique().tolist()) <= {0.0, 1.0}
    train = namespace["train"]
    assert len(train) < len(namespace["dataset"])  # fold 0 held out


def test_database_module_example_registers_and_runs(tiny_db, tmp_path, monkeypatch):
    """The README's database module, "installed" through the entry-point group (a package and its
    dist-info on sys.path), reads a database in its layout: annotate and a baseline run on it."""
    import csv
    import shutil
    import sys

    import openpyxl

    from meau.databases import database

    text = README.read_text()
    match = re.search(r"<!-- example: database module.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "the README lost its database module"
    package = tmp_path / "site" / "mylab_meau"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(match.group(1))
    info = tmp_path / "site" / "mylab_meau-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mylab-meau\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[meau.databases]\nmylab = mylab_meau:DATABASE\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(database, "_REGISTRY", database._REGISTRY.fresh())

    # the tiny synthetic database, moved into MyLab's raw layout with its sheet as a CSV
    book = openpyxl.load_workbook(tiny_db / "CASME2-coding-synth.xlsx")
    rows = list(book.active.iter_rows(values_only=True))[1:]
    root = tmp_path / "MyLab"
    with open(root.parent / "mylab.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Participant", "Take", "Start", "Peak", "End", "FACS", "Emotion"])
        for subject, clip, _, onset, apex, offset, _, aus, emotion in rows:
            writer.writerow([subject, clip, onset, apex, offset, aus, emotion])
            for frame in (tiny_db / "Cropped" / f"sub{subject}" / clip).glob("reg_img*.jpg"):
                target = root / "frames" / f"P{subject}" / clip / f"{int(frame.stem[7:]):05d}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(frame, target)
    shutil.move(str(root.parent / "mylab.csv"), root / "mylab.csv")
    assert "mylab" in database.names()
    runner = CliRunner()
    labels = runner.invoke(cli, ["annotate", str(root / "mylab.csv"), "--database", "mylab", "--min-count", "3",
                                 "-o", str(tmp_path / "labels.csv")], obj={})
    assert labels.exit_code == 0, labels.output
    assert "36 samples" in labels.output
    run = runner.invoke(cli, ["baseline", "lbpsip", str(root), "--database", "mylab", "--min-count", "3", "--no-cache",
                              "-o", str(tmp_path / "run")], obj={})
    assert run.exit_code == 0, run.output
    assert "36 samples kept" in run.output and "raw" in (tmp_path / "run" / "config.json").read_text()
    sys.modules.pop("mylab_meau", None)
