"""``meau demo``: the synthetic database end to end, in minutes on a laptop."""

from pathlib import Path

import click

from .options import magnify_options, n_jobs_option, preset_option


@click.command()
@click.option("--cache", type=click.Path(path_type=Path), help="Where the synthetic database is kept (built once).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("meau-demo"), show_default=True,
              help="Folder of the demo's run folders.")
@preset_option("The synthetic database: classic (still faces, --intensity px of motion) or subtle (1-2 px at "
               "128x128, head drift, blinks, noise, JPEG; see meau synth --help).")
@click.option("--intensity", default=None,
              help="Apex displacement of the synthetic AUs in pixels at 170x140: classic A (default 8, so that every "
                   "method separates from the constant in minutes; meau synth's default 1 is as subtle as a real "
                   "micro-expression); subtle LO,HI per clip (default 1.4,2.7).")
@magnify_options
@click.option("--subjects", default=26, show_default=True, type=click.IntRange(4), help="Subjects of the synthetic database.")
@click.option("--samples", default=255, show_default=True, type=click.IntRange(4), help="Clips of the synthetic database.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the database, the folds and the networks.")
@click.option("--methods", default=None, help="Comma-separated subset of the demo's methods.")
@n_jobs_option(-1, "Parallel workers (-1: all cores).")
def demo(cache, out, preset, intensity, magnify, magnify_band, magnify_levels, magnify_cutoff, subjects, samples, seed,
         methods, n_jobs):
    """Build the synthetic database (once), run every method, print the results table."""
    from ..demo import run_demo
    from .options import magnification
    from .synth import synth_settings

    if preset == "classic" and intensity is None:
        intensity = "8"
    intensity, nuisance = synth_settings(preset, intensity)
    settings = magnification({"magnify": magnify, "magnify_band": magnify_band, "magnify_levels": magnify_levels,
                              "magnify_cutoff": magnify_cutoff})
    run_demo(out=out, cache=cache, intensity=intensity, subjects=subjects, samples=samples, seed=seed,
             methods=methods.split(",") if methods else None, n_jobs=n_jobs, echo=click.echo, nuisance=nuisance,
             magnify=settings)
