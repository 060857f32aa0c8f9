"""``meau demo``: the synthetic database end to end, in minutes on a laptop."""

from pathlib import Path

import click

from .options import n_jobs_option


@click.command()
@click.option("--cache", type=click.Path(path_type=Path), help="Where the synthetic database is kept (built once).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("meau-demo"), show_default=True,
              help="Folder of the demo's run folders.")
@click.option("--intensity", default=8.0, show_default=True, type=click.FloatRange(0),
              help="Apex displacement of the synthetic AUs in pixels (1 = micro-expression, hard).")
@click.option("--subjects", default=26, show_default=True, type=click.IntRange(4))
@click.option("--samples", default=255, show_default=True, type=click.IntRange(4))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--methods", default=None, help="Comma-separated subset of the demo's methods.")
@n_jobs_option(-1, "Parallel workers (-1: all cores).")
def demo(cache, out, intensity, subjects, samples, seed, methods, n_jobs):
    """Build the synthetic database (once), run every method, print the results table."""
    from ..demo import run_demo

    run_demo(out=out, cache=cache, intensity=intensity, subjects=subjects, samples=samples, seed=seed,
             methods=methods.split(",") if methods else None, n_jobs=n_jobs, echo=click.echo)
