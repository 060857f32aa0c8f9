"""``meau baseline``: the constant baseline and the handcrafted descriptors + linear SVMs."""

import click

from . import LazyGroup
from .options import dataset_options, dataset_selection, load_selection, open_run, passthrough, protocol_options, \
    run_method, run_options


# The handcrafted descriptors register here; the constant baseline is defined below.
HANDCRAFTED = {name: f"handcrafted:{name}" for name in ("lbptop", "lpqtop", "lbpsip", "hog3d", "flow", "mdmo")}


@click.group(cls=LazyGroup, lazy_subcommands=HANDCRAFTED)
def baseline():
    """Run a baseline method through the protocol into a run folder."""


@baseline.command()
@dataset_options
@protocol_options
@run_options
@passthrough
def constant(options):
    """Predict every AU present: the floor every method must beat.

    \b
    Example:
      meau baseline constant DATA_ROOT --database NAME -o runs/constant
    """
    from ..experiment import ConstantBaseline

    selection = dataset_selection(options)
    run = open_run(options, selection)
    dataset = load_selection(selection)
    run_method(lambda seed: ConstantBaseline(), dataset, run, options, selection)
