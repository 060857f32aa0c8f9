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
