"""``meau synth``: write the synthetic CASME II-layout database."""

from pathlib import Path

import click

from .options import DatabaseChoice, default_database, n_jobs_option, preset_option


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--subjects", default=26, show_default=True, type=click.IntRange(1))
@click.option("--samples", default=255, show_default=True, type=click.IntRange(1))
@click.option("--like", type=DatabaseChoice("synth"), default=default_database, show_default=True,
              help="Write the database in this database's sheet format and folder layout, with its quirks.")
@preset_option("classic: still faces, --intensity px of AU motion (meau 0.2's database, byte for byte); subtle: "
               "1-2 px at 128x128 per clip, head drift, blinks, more noise, stronger JPEG (see the options below).")
@click.option("--intensity", default=None,
              help="Apex displacement in pixels at 170x140: classic A (default 1, as subtle as a real micro-expression; "
                   "4+ is easy, and meau demo uses 8 so that every method separates from the constant in minutes); "
                   "subtle LO,HI drawn per clip (default 1.4,2.7, about 1-2 px at 128x128).")
@click.option("--variation", type=click.FloatRange(0, 90),
              help="subtle: each AU's motion direction turned by up to this many degrees per clip [30].")
@click.option("--drift", type=click.FloatRange(0), help="subtle: largest rigid head drift across a clip, px at 128x128 [2].")
@click.option("--blink-rate", type=click.FloatRange(0, 1), help="subtle: share of clips with a blink (not a label) [0.3].")
@click.option("--noise", type=click.FloatRange(0), help="subtle: sensor noise sigma, grey levels [2].")
@click.option("--jpeg-quality", type=click.IntRange(1, 100), help="subtle: JPEG quality of the frames [75].")
@click.option("--distractors", "distractor_rate", type=click.FloatRange(0, 1),
              help="subtle: share of clips where an uncoded facial region moves too (never a label) [0.5].")
@click.option("--seed", default=0, show_default=True, type=int)
@n_jobs_option(1, "Threads writing subjects.")
@click.option("--plant", metavar="AUS",
              help="Plant these AUs (e.g. 4,9,17), each in half of the clips independently (a clip left without "
                   "any gets another AU), instead of CASME II-like combinations: targets for class activation maps.")
def synth(out, subjects, samples, like, preset, intensity, variation, drift, blink_rate, noise, jpeg_quality,
          distractor_rate, seed, n_jobs, plant):
    """Write a synthetic database (CASME II's layout and sheet, or --like another's) to OUT.

    \b
    Example:
      meau synth synthdb --intensity 4 && meau baseline constant synthdb -o runs/constant
    """
    from ..databases import parse_aus_option
    from ..databases.synth import generate
    from ..errors import MeauError

    plant = parse_aus_option(plant, "--plant")
    intensity, nuisance = synth_settings(preset, intensity, variation=variation, drift=drift, blink_rate=blink_rate, noise=noise,
                                         jpeg_quality=jpeg_quality, distractor_rate=distractor_rate)
    if out.exists() and any(out.iterdir()):
        raise MeauError(f"{out}: folder is not empty; choose a new one")
    try:
        sheet = generate(out, subjects=subjects, samples=samples, intensity=intensity, seed=seed, n_jobs=n_jobs,
                         progress=True, plant=plant, nuisance=nuisance, like=like)
    except ValueError as error:
        raise MeauError(str(error)) from None
    click.echo(f"wrote {samples} samples of {subjects} subjects to {out} (sheet {sheet.name}; "
               f"meau … {out} --database {like})")


def synth_settings(preset: str, intensity, **nuisances):
    """(classic intensity, Nuisance or None) from the preset and the options that override it."""
    import dataclasses

    from ..databases.synth import PRESETS
    from ..errors import MeauError

    given = {name: value for name, value in nuisances.items() if value is not None}
    try:
        values = [float(v) for v in str(intensity).split(",")] if intensity is not None else None
    except ValueError:
        raise MeauError(f"--intensity {intensity}: give a number, or LO,HI with --preset subtle") from None
    if values is not None and (any(v < 0 for v in values) or len(values) > 2 or len(values) == 2 and values[0] > values[1]):
        raise MeauError(f"--intensity {intensity}: give a number >= 0, or LO,HI with 0 <= LO <= HI")
    if preset == "classic":
        if given:
            raise MeauError(f"--{next(iter(given)).replace('_', '-')} is a setting of --preset subtle")
        if values is not None and len(values) != 1:
            raise MeauError(f"--intensity {intensity}: --preset classic takes one displacement")
        return (values[0] if values else 1.0), None
    nuisance = dataclasses.replace(PRESETS[preset], **given)
    if values is not None:
        nuisance = dataclasses.replace(nuisance, intensity_range=(values[0], values[-1]))
    return 0.0, nuisance
