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
@click.option("--emotions-sheet", type=click.Path(path_type=Path),
              help="SAMM Long Videos: SAMM's short sheet, whose Estimated Emotion each micro-expression takes "
                   "(joined on Filename, as the STR baselines do; intervals without a match are reported).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="labels.csv to write.")
@click.option("--problems", "problems_path", type=click.Path(path_type=Path),
              help="Where to write the problem list (default: beside the output, *.problems.csv).")
@click.option("--figure", type=click.Path(path_type=Path), help="Also draw the AU correlation matrix (PNG or PDF).")
@overwrite_option()
def annotate(sheet, database, expressions, aus, min_count, policies, skip_unparseable, apply_fixes, target, classes,
             samples, columns, emotions_sheet, output, problems_path, figure, overwrite):
    """Read a coding SHEET as distributed and write one 0/1 column per AU (or, with --target emotion, each
    sample's emotion class).

    \b
    A long-video sheet (casmesq, sammlv, casme3) gives one row per interval, every interval kept (the truth
    of spotting): with --target emotion each has its class, 'others' outside the classes.

    \b
    Example:
      meau annotate CASME2-coding-20140508.xlsx --database NAME -o labels.csv
      meau annotate CASME2-coding-20140508.xlsx --database casme2 --target emotion --classes five -o emotions.csv
      meau annotate SAMM_LongVideos_V2_Release.xlsx --database sammlv --target emotion \\
          --emotions-sheet SAMM_Micro_FACS_Codes_v2.xlsx -o truth.csv
    """
    from . import UserError

    from ..databases.classes import CLASS_TARGETS

    if classes and target not in CLASS_TARGETS:
        raise UserError("--classes chooses classes: give it with --target emotion, objective or self-report")
    from ..annotations import policy_from_names
    from ..databases import annotate as read_labels
    from ..databases import get
    from ..databases.sheets import problems_frame
    from ..outputs import write_csv

    check_output(output, overwrite)
    check_output(figure, overwrite)
    _outside_the_database(sheet, database, {"-o": output, "--problems": problems_path, "--figure": figure})
    emotion = target in CLASS_TARGETS
    long_video = get(database).long_video
    labels = read_labels(sheet, database, aus=aus, min_count=min_count, policy=policy_from_names(policies),
                         skip_unparseable=skip_unparseable, fixes=apply_fixes, columns=columns, expressions=expressions,
                         require_aus=not emotion, emotions_sheet=emotions_sheet)
    if samples is not None:
        from ..databases.samples import keep_listed

        labels = keep_listed(labels, samples)
    classes = (classes or ("megc" if target == "emotion" else "all")) if emotion else classes
    if emotion and long_video:  # spotting truth: every interval, with its class
        from ..databases.classes import COLUMN, interval_classes, source_column

        table, chosen = interval_classes(labels, classes, source=target)
        class_names = list(chosen.classes)
        read = table[source_column(target)]
        table = table.drop(columns=[c for c in ("emotion", source_column(target)) if c in table])
        table = table.rename(columns={COLUMN: "emotion"}).assign(label=read)
        first = ["subject", "video", "onset", "offset", "type", "emotion", "label", *labels.au_columns]
        table = table[first + [c for c in table if c not in first]]
    elif emotion:
        from ..databases.classes import COLUMN, with_classes

        labels = with_classes(labels, classes, source=target)
        class_names = list(labels.classes)
        table = labels.table.drop(columns=["emotion"]).rename(columns={COLUMN: "emotion"})
        keys = [c for c in ("database", "subject", "clip", "emotion", "onset", "apex", "offset") if c in table]
        table = table[keys]
    elif long_video:  # a long-video sheet: one row per interval, as meau spot score reads a truth file
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
        shown = class_names + sorted(set(counts.index) - set(class_names) - {""})
        header = ["Class"] + shown
        row = ["Samples"] + [str(int(counts.get(name, 0))) for name in shown]
    else:
        positives = labels.positives()
        header = ["AU"] + [column.replace("AU0", "AU") for column in labels.au_columns]
        row = ["Positives"] + [str(positives[column]) for column in labels.au_columns]
    widths = [max(len(a), len(b)) for a, b in zip(header, row)]
    click.echo("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    click.echo("  ".join(r.rjust(w) for r, w in zip(row, widths)))
    for line in labels.fixes_applied:
        click.echo(f"fixed: {line}")
    if long_video and not labels.au_columns and not emotion:
        click.echo(f"no AU has {min_count} positive(s): the intervals are written without AU columns (spotting "
                   "truth needs none)")
    if labels.problems:
        click.echo(f"{len(labels.problems)} problem(s), listed in {problems_path}:")
        for problem in labels.problems[:10]:
            click.echo(f"  row {problem.row} {problem.key}: {problem.kind}: {problem.message}")
        if len(labels.problems) > 10:
            click.echo(f"  … and {len(labels.problems) - 10} more")
    if figure:
        click.echo(f"figure: {figure}")
    click.echo(f"labels: {output}")


def _outside_the_database(sheet, database: str, outputs: dict) -> None:
    """Refuse an output inside the sheet's folder when that folder holds the database's frames (a database root),
    as a run folder there is refused: a lab's recordings get nothing written beside them."""
    from ..databases.layouts import holds_frames
    from ..errors import MeauError
    from ..outputs import check_separate, is_inside

    root = Path(sheet).parent
    for option, path in outputs.items():
        if path is None:
            continue
        check_separate(path, [sheet], option=option)
        if is_inside(path, root) and holds_frames(root, database):
            raise MeauError(f"{option} {path} lies inside the database root {root} (it holds the {database} frames): "
                            "write the output outside it")
