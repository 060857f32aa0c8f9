"""``meau template``: a datasets file (TOML) for several databases, roots to fill in."""

from pathlib import Path

import click

from .options import overwrite_option


@click.command()
@click.argument("names", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The TOML file to write.")
@overwrite_option()
def template(names, output, overwrite):
    """Write a datasets file for NAMES: cd6me (MEB's six databases and 12 AUs) or any registered
    database (meau baseline constant --help lists them under --database).

    \b
    Example:
      meau template cd6me -o cd6me.toml   # then fill in the roots
      meau baseline flow --datasets cd6me.toml --protocol lodo -o runs/flow-lodo
    """
    from ..databases.composite import template_text
    from ..outputs import write_text
    from .options import check_output

    check_output(output, overwrite)
    write_text(output, template_text(names))
    click.echo(f"wrote {output}: fill in each root, then --datasets {output}")
