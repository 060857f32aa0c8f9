"""``meau explain``: class activation maps of deep runs on chosen clips."""

from pathlib import Path

import click

from .options import overwrite_option


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--clips", "keys", multiple=True, required=True,
              help="Clip to explain (repeatable): subject/clip such as 01/EP02_01f, or database/subject/clip/onset.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder for the figures.")
@click.option("--cache", type=click.Path(path_type=Path), help="Clip cache folder (default: $MEAU_CACHE, else ~/.cache/meau).")
@overwrite_option("Replace figures of these clips drawn before.")
def explain(runs, keys, output, cache, overwrite):
    """Per AU, the CAM of each deep RUN over the clip's apex frame: one row per run (the paper's Fig. 6).

    Each clip is explained by the checkpoint of the fold that tested it (the model never trained on it).

    \b
    Example:
      meau explain runs/res3d runs/sca --clips 01/EP02_01f --clips 17/EP15_01 -o figures/cam
    """
    from ..paths import cache_root
    from ..deep.cam import explain as draw

    draw(runs, keys, output, cache=cache or cache_root(), echo=click.echo, overwrite=overwrite)
