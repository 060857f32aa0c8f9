"""``meau annotate``: a coding sheet -> labels.csv and the positives per AU."""

from pathlib import Path

import click

from .options import DatabaseChoice, check_output, column_option, label_options, overwrite_option


@click.command()
@click.argument("sheet", type=click.Path(path_type=Path))
@click.option("--database", type=DatabaseChoice(), required=True, help="The database whose sheet this is.")
@click.option("--expressions", type=click.Choice(["micro", "macro", "all"]),
              help="Sheets that code the expression type: which expressions to read [default: micro; all for a "
                   "long-video database].")
@label_options
@column_option()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="labels.csv to write.")
@click.option("--problems", "problems_path", type=click.Path(path_type=Path),
              help="Where to write the problem list (default: beside the output, *.problems.csv).")
@click.option("--figure", type=click.Path(path_type=Path), help="Also draw the AU correlation matrix (PNG or PDF).")
@overwrite_option()
def annotate(sheet, database, expressions, aus, min_count, policies, skip_unparseable, apply_fixes, target, classes,
             samples, columns, output, problems_path, figure, overwrite):
    """Read a coding SHEET as distributed and write one 0/1 column per AU (or, with --target emotion, each
    sample's emotion class).

    \b
    Example:
      meau annotate CASME2-coding-20140508.xlsx --database NAME -o labels.csv
      meau annotate CASME2-coding-20140508.xlsx --database casme2 --target emotion --classes five -o emotions.csv
    """
    from . import UserError

    if classes and target not in ("emotion", "objective"):
        raise UserError("--classes chooses classes: give it with --target emotion or objective")
    from ..annotations import policy_from_names
    from ..databases import annotate as read_labels
    from ..databases.sheets import problems_frame
    from ..outputs import write_csv

    check_output(output, overwrite)
    check_output(figure, overwrite)
    emotion = target in ("emotion", "objective")
    labels = read_labels(sheet, database, aus=aus, min_count=min_count, policy=policy_from_names(policies),
                         skip_unparseable=skip_unparseable, fixes=apply_fixes, columns=columns, expressions=expressions,
                         require_aus=not emotion)
    if samples is not None:
        from ..databases.samples import keep_listed

        labels = keep_listed(labels, samples)
    if emotion:
        from ..databases.classes import COLUMN, with_classes

        classes = classes or ("all" if target == "objective" else "megc")
        labels = with_classes(labels, classes, source=target)
        table = labels.table.drop(columns=["emotion"]).rename(columns={COLUMN: "emotion"})
        keys = [c for c in ("database", "subject", "clip", "emotion", "onset", "apex", "offset") if c in table]
        table = table[keys]
    elif "video" in labels.table:  # a long-video sheet: one row per interval, as meau spot score reads a truth file
        first = ["subject", "video", "onset", "offset", "type", *labels.au_columns]
        table = labels.table[first + [column for column in labels.table if column not in first]]  # row: the sheet's
    else:
        table = labels.table.drop(columns=["row"])
    if figure and emotion:
        raise UserError("--figure draws the AU correlation matrix: not with --target emotion")
    if figure:  # drawn first: a figure that fails leaves no labels behind to block the rerun
        from ..figures import au_correlation_figure

        au_correlation_figure(labels.table, labels.au_columns, figure, title=sheet.name)
    write_csv(output, table)
    problems_path = problems_path or output.with_suffix(".problems.csv")
    write_csv(problems_path, problems_frame(labels.problems))
    click.echo(f"{sheet.name} (sha256 {labels.sources[0]['sha256'][:12]}…): {len(table)} samples, "
               + (f"{target} classes {classes}" if emotion else f"policy {labels.policy.describe()}"))
    if emotion:
        counts = table["emotion"].value_counts()
        header = ["Class"] + list(labels.classes)
        row = ["Samples"] + [str(int(counts.get(name, 0))) for name in labels.classes]
    else:
        positives = labels.positives()
        header = ["AU"] + [column.replace("AU0", "AU") for column in labels.au_columns]
        row = ["Positives"] + [str(positives[column]) for column in labels.au_columns]
    widths = [max(len(a), len(b)) for a, b in zip(header, row)]
    click.echo("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    click.echo("  ".join(r.rjust(w) for r, w in zip(row, widths)))
    for line in labels.fixes_applied:
        click.echo(f"fixed: {line}")
    if labels.problems:
        click.echo(f"{len(labels.problems)} problem(s), listed in {problems_path}:")
        for problem in labels.problems[:10]:
            click.echo(f"  row {problem.row} {problem.key}: {problem.kind}: {problem.message}")
        if len(labels.problems) > 10:
            click.echo(f"  … and {len(labels.problems) - 10} more")
    if figure:
        click.echo(f"figure: {figure}")
    click.echo(f"labels: {output}")
