"""``meau synth``: write the synthetic CASME II-layout database."""

from pathlib import Path

import click

from .options import n_jobs_option


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--subjects", default=26, show_default=True, type=click.IntRange(1))
@click.option("--samples", default=255, show_default=True, type=click.IntRange(1))
@click.option("--intensity", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Apex displacement in pixels at 170x140: 1 is a micro-expression, 4+ is easy.")
@click.option("--seed", default=0, show_default=True, type=int)
@n_jobs_option(1, "Threads writing subjects.")
@click.option("--plant", metavar="AUS",
              help="Plant these AUs (e.g. 4,9,17), each in half of the clips independently (a clip left without "
                   "any gets another AU), instead of CASME II-like combinations: targets for class activation maps.")
def synth(out, subjects, samples, intensity, seed, n_jobs, plant):
    """Write a synthetic database (CASME II layout and sheet) to OUT.

    \b
    Example:
      meau synth synthdb --intensity 4 && meau baseline constant synthdb -o runs/constant
    """
    from ..databases import parse_aus_option
    from ..databases.synth import generate
    from ..errors import MeauError

    plant = parse_aus_option(plant, "--plant")
    if out.exists() and any(out.iterdir()):
        raise MeauError(f"{out}: folder is not empty; choose a new one")
    try:
        sheet = generate(out, subjects=subjects, samples=samples, intensity=intensity, seed=seed, n_jobs=n_jobs,
                         progress=True, plant=plant)
    except ValueError as error:
        raise MeauError(str(error)) from None
    click.echo(f"wrote {samples} samples of {subjects} subjects to {out} (sheet {sheet.name})")
