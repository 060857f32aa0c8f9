"""``meau synth``: write the synthetic CASME II-layout database."""

from pathlib import Path

import click

from .options import DatabaseChoice, default_database, n_jobs_option, preset_option


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--subjects", type=click.IntRange(1), help="Subjects [default: 26; 6 for long recordings].")
@click.option("--samples", type=click.IntRange(1), help="Samples (clips) [default: 255].")
@click.option("--videos", type=click.IntRange(1),
              help="Long-video databases (--like sammlv, casmesq): recordings per subject [default: 2].")
@click.option("--seconds", type=click.FloatRange(2),
              help="Long-video databases: seconds per recording, at the database's frame rate [default: 60].")
@click.option("--like", type=DatabaseChoice("synth"), default=default_database, show_default="casme2",
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
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of everything drawn: the same seed, the "
              "same database, byte for byte.")
@n_jobs_option(1, "Threads writing subjects.")
@click.option("--plant", metavar="AUS",
              help="Plant these AUs (e.g. 4,9,17), each in half of the clips independently (a clip left without "
                   "any gets another AU), instead of CASME II-like combinations: targets for class activation maps.")
def synth(out, subjects, samples, videos, seconds, like, preset, intensity, variation, drift, blink_rate, noise,
          jpeg_quality, distractor_rate, seed, n_jobs, plant):
    """Write a synthetic database (CASME II's layout and sheet, or --like another's) to OUT.

    With --like sammlv or casmesq: long recordings (--videos per subject, --seconds each) holding
    planted micro-expressions (0.2-0.5 s) and macro-expressions (0.5-2.5 s, twice as wide) with their
    AUs, blinks and head drift, in that database's sheet and layout, for spotting.

    \b
    Examples:
      meau synth synthdb --intensity 4 && meau baseline constant synthdb -o runs/constant
      meau synth longdb --like sammlv --subjects 4 --seconds 30 --intensity 6 && meau spot flow longdb --database sammlv -o runs/spot
    """
    from ..databases import get, parse_aus_option
    from ..databases.likes import LongWriter
    from ..databases.synth import generate, generate_long
    from ..errors import MeauError

    plant = parse_aus_option(plant, "--plant")
    intensity, nuisance = synth_settings(preset, intensity, variation=variation, drift=drift, blink_rate=blink_rate, noise=noise,
                                         jpeg_quality=jpeg_quality, distractor_rate=distractor_rate)
    if out.exists() and any(out.iterdir()):
        raise MeauError(f"{out}: folder is not empty; choose a new one")
    if isinstance(get(like).synth, LongWriter):
        if samples is not None or plant is not None:
            raise MeauError(f"--like {like} writes long recordings: --samples and --plant are for clips (use --videos, "
                            "--seconds)")
        subjects = subjects or 6
        try:
            sheet = generate_long(out, like=like, subjects=subjects, videos=videos or 2, seconds=seconds or 60.0,
                                  intensity=intensity, seed=seed, n_jobs=n_jobs, progress=True, nuisance=nuisance)
        except ValueError as error:
            raise MeauError(str(error)) from None
        click.echo(f"wrote {videos or 2} recording(s) of {seconds or 60:g} s for each of {subjects} subjects to {out} "
                   f"(sheet {sheet.name}; meau spot flow {out} --database {like})")
        return
    if videos is not None or seconds is not None:
        raise MeauError(f"--videos and --seconds are for long-video databases (--like sammlv, casmesq), not {like}")
    subjects, samples = subjects or 26, samples or 255
    try:
        sheet = generate(out, subjects=subjects, samples=samples, intensity=intensity, seed=seed, n_jobs=n_jobs,
                         progress=True, plant=plant, nuisance=nuisance, like=like)
    except ValueError as error:
        raise MeauError(str(error)) from None
    click.echo(f"wrote {samples} samples of {subjects} subjects to {out} ("
               f"{'sheet ' + sheet.name if sheet != out else 'labels in its folders'}; "
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
