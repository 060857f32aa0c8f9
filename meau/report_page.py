"""One self-contained HTML page of a report: what a reviewer needs, in one file that opens anywhere.

The page holds the tables (intervals and p-values where computed, notes saying how), a composite
run's tables per database, the figures (PNG embedded as ``data:`` URIs), and per run its command,
configuration and the problems met reading its database. No script, no external URL, no font or
style sheet from elsewhere: it reads the same offline, in an archive, or attached to a review.
"""

from __future__ import annotations

import base64
import html
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ._version import __version__

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #444; } tr.positives td { color: #666; font-style: italic; }
td.best { font-weight: bold; } td.second { text-decoration: underline; }
p.note { font-size: 0.8em; color: #555; margin: 0.2em 0; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; } img { max-width: 100%; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
code { background: #f6f6f6; padding: 0 0.2em; } details { margin: 0.4em 0; }
"""
MAX_PROBLEMS = 200  # problem rows shown per run; the rest are counted (validation.csv has them all)


def _escape(value) -> str:
    return html.escape(str(value), quote=True)


def table_html(table) -> str:
    """One results table as HTML: the best value of a column bold, the second underlined, as in LaTeX."""
    from .report import _ranks

    ranks = [_ranks(table, j) if len(table.methods) > 1 else (set(), set()) for j in range(len(table.columns))]
    p_column = table.p_values is not None
    head = "".join(f"<th>{_escape(c)}</th>" for c in ["Method", *table.columns] + (["p vs best"] if p_column else []))
    rows = [f'<tr class="positives"><td>{table.first_row}</td>' + "".join(f"<td>{c}</td>" for c in table.counts)
            + "<td></td>" * (table.blank + p_column) + "</tr>"]
    for i, method in enumerate(table.methods):
        cells = []
        for j in range(len(table.columns)):
            best, second = ranks[j]
            kind = ' class="best"' if i in best else ' class="second"' if i in second else ""
            cells.append(f"<td{kind}>{_escape(table.cell(i, j))}</td>")
        if p_column:
            cells.append(f"<td>{_escape(table.p_cell(i))}</td>")
        rows.append(f"<tr><td>{_escape(method)}</td>{''.join(cells)}</tr>")
    notes = "".join(f'<p class="note">{_escape(note)}</p>' for note in table.notes)
    return (f"<h3>{_escape(table.heading)} ({_escape(table.title)})</h3>\n"
            f'<table class="results"><thead><tr>{head}</tr></thead>\n<tbody>{"".join(rows)}</tbody></table>\n{notes}')


def _figures_html(tables) -> str:
    """The report's figures, drawn to PNG in a temporary folder and embedded."""
    from .figures import report_figure_paths

    parts = []
    with tempfile.TemporaryDirectory() as folder:
        for stem, (draw, caption) in report_figure_paths(tables, folder).items():
            path = draw(Path(folder) / f"{stem}.png")
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{_escape(caption)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{_escape(caption)} <code>{_escape(stem)}</code></figcaption></figure>")
    return "\n".join(parts)


def _problems_html(path: Path) -> str:
    import pandas as pd

    file = path / "validation.csv"
    if not file.exists():
        return "<p>no validation.csv (a run of an older meau, or of several seeds: see each seed's folder)</p>"
    problems = pd.read_csv(file, dtype=str).fillna("")
    if problems.empty:
        return "<p>none: every row of the sheet became a sample</p>"
    counts = ", ".join(f"{kind}: {count}" for kind, count in problems["kind"].value_counts().items())
    shown = problems.head(MAX_PROBLEMS)
    head = "".join(f"<th>{_escape(c)}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{_escape(v)}</td>" for v in row) + "</tr>" for row in shown.to_numpy())
    more = f"<p>… and {len(problems) - MAX_PROBLEMS} more in {_escape(file)}</p>" if len(problems) > MAX_PROBLEMS else ""
    return (f"<p>{len(problems)} problem(s): {_escape(counts)}</p>"
            f'<table class="problems"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}')


def _runs_html(tables) -> str:
    parts, seen = [], set()
    for table in tables:
        for row in table.rows:
            if row.path in seen:
                continue
            seen.add(row.path)
            config = row.config
            parts.append(
                f'<h3>{_escape(row.label)} <small>({_escape(row.path)})</small></h3>\n'
                f"<p>command: <code>{_escape(config.get('command', '(not recorded)'))}</code></p>\n"
                f"<p>meau {_escape(config.get('meau_version', '?'))}, created {_escape(config.get('created', '?'))}"
                f"</p>\n<details><summary>problems met reading the database</summary>{_problems_html(row.path)}"
                f"</details>\n<details><summary>config.json</summary><pre>"
                f"{_escape(json.dumps(config, indent=2, default=str))}</pre></details>")
    return "\n".join(parts)


def page(tables, *, split_tables=()) -> str:
    """The page's HTML text. ``split_tables``: a composite run's tables per database."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    split = ("<h2>Per database</h2>\n" + "\n".join(table_html(t) for t in split_tables)) if split_tables else ""
    has_intervals = any(t.low is not None for t in tables)
    how = ("<p>Intervals: each run's subjects are drawn with replacement and the table's value recomputed on the "
           "drawn subjects' clips; p vs best: a paired permutation test that swaps whole subjects' predictions "
           "between a method and the best row.</p>") if has_intervals or any(t.p_values is not None for t in tables) else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>meau report</title>
<style>{STYLE}</style></head>
<body>
<h1>meau report</h1>
<p>{len({row.path for t in tables for row in t.rows})} run(s); written by meau {__version__} on {stamp}.
Best value of each column in bold, second underlined, among the rows that beat the constant baseline.</p>
{how}
<h2>Results</h2>
{chr(10).join(table_html(t) for t in tables)}
{split}
<h2>Figures</h2>
{_figures_html(tables)}
<h2>Runs</h2>
{_runs_html(list(tables) + list(split_tables))}
</body></html>
"""


def write_page(path, tables, *, split_tables=()) -> Path:
    """Write :func:`page` atomically to ``path``."""
    from .outputs import write_text

    write_text(path, page(tables, split_tables=split_tables))
    return Path(path)

