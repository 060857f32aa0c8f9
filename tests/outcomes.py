"""What every fault case checks of a command's outcome: its exit code, one ``Error:`` line naming the
problem (or the report that names it), and no traceback."""

from __future__ import annotations

from pathlib import Path


def check_outcome(result, name: str, exit_code: int, expect: str, report: Path | None = None) -> None:
    output = result.output
    assert isinstance(result.exception, (SystemExit, type(None))), (name, repr(result.exception), output)
    assert result.exit_code == exit_code, (name, output)
    assert "Traceback" not in output, (name, output)
    if exit_code == 1:
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("Error: "), (name, result.stderr)
        assert expect in errors[0], (name, errors[0])
        assert len(errors[0]) < 400, (name, errors[0])
    else:
        assert expect in report.read_text(), (name, report.read_text()[:500])
