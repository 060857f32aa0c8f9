"""The ``meau`` command line.

Subcommands are imported only when invoked, so ``meau --help`` never imports torch or the
numerical stack. Every user error (:class:`meau.errors.MeauError`) is one line on stderr with exit
code 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import logging

import click

from .._version import __version__

# name -> "module:attribute" (relative to meau.cli)
SUBCOMMANDS = {
    "annotate": "annotate:annotate",
    "synth": "synth:synth",
    "crop": "crop:crop",
    "baseline": "baseline:baseline",
    "train": "train:train",
    "report": "report:report",
    "predict": "predict:predict",
    "explain": "explain:explain",
    "demo": "demo:demo",
    "template": "template:template",
    "spot": "spot:spot",
    "emotions": "emotions:emotions",
}


# the library's setting names -> the options that set them (a SettingError is shown with the option)
FLAGS = {
    "magnification.alpha": "--magnify",
    "magnification.r1": "--magnify-band",
    "magnification.r2": "--magnify-band",
    "magnification.band": "--magnify-band",
    "magnification.levels": "--magnify-levels",
    "magnification.cutoff": "--magnify-cutoff",
    "root": "DATA_ROOT",
    "datasets": "--datasets",
    "sheet": "--sheet",
    "database": "--database",
    "layout": "--layout",
    "frames": "--frames",
    "columns": "--column",
    "expressions": "--expressions",
    "aus": "--aus",
    "min_count": "--min-count",
    "crop.size": "--size",
    "crop.stabilize": "--stabilize",
    "backend": "--backend",
    "scheduler": "--scheduler",
    "aus_from": "--aus-from",
    "run": "--run",
    "eaf": "--eaf",
    "target": "--target",
    "subset": "--subset",
}


class UserError(click.ClickException):
    exit_code = 1

    def format_message(self) -> str:
        return self.message


def handle_errors(invoke):
    """Turn a MeauError raised below a click command into one line and exit code 1."""

    def wrapper(self, ctx):
        from ..errors import MeauError, SettingError

        try:
            return invoke(self, ctx)
        except MeauError as error:
            if (ctx.find_root().obj or {}).get("debug"):
                raise
            if isinstance(error, SettingError):
                raise UserError(error.render(FLAGS)) from None
            raise UserError(str(error)) from None
        except OSError as error:  # disk full, read-only or unwritable folder, quota ...: the system's, not a bug
            if (ctx.find_root().obj or {}).get("debug"):
                raise
            where = f"{error.filename}: " if getattr(error, "filename", None) else ""
            raise UserError(f"{where}{error.strerror or error} (nothing half-written was kept)") from None
        except KeyboardInterrupt:
            if (ctx.find_root().obj or {}).get("debug"):
                raise
            raise UserError("interrupted; finished folds are kept, --resume continues") from None

    return wrapper


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use."""

    def __init__(self, *args, lazy_subcommands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx, name):
        if name in self.lazy_subcommands:
            module_name, attribute = self.lazy_subcommands[name].split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            return getattr(module, attribute)
        return super().get_command(ctx, name)

    invoke = handle_errors(click.Group.invoke)


@click.group(cls=LazyGroup, lazy_subcommands=SUBCOMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="meau")
@click.option("-v", "--verbose", count=True, help="More output (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and results.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx, verbose, quiet, debug):
    """meau: Action Unit detection in micro-expression videos.

    \b
    Start with `meau demo`: it builds a synthetic database and runs the experiment end to end.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(debug=debug, verbose=verbose, quiet=quiet)
    level = logging.WARNING if quiet else (logging.INFO if verbose == 1 else logging.DEBUG if verbose > 1 else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from ..parallel import show_progress

    show_progress(True if verbose else False if quiet else None)


def main():
    cli(obj={})
