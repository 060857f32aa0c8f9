"""Exceptions that mean "the user's input is wrong", as opposed to a bug in meau.

The command line prints a :class:`MeauError` as one line and exits with code 1;
anything else is a bug and keeps its traceback.
"""


class MeauError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class AUParseError(MeauError, ValueError):
    """An AU cell that cannot be read. The message names the text (and the sheet row, if known)."""

    def __init__(self, text, reason, where=None):
        self.text = text
        self.reason = reason
        self.where = where
        location = f"{where}: " if where else ""
        super().__init__(f"{location}cannot parse AU cell {text!r}: {reason}")


class SheetError(MeauError):
    """A coding sheet that cannot be read (missing column, unreadable file, bad cell)."""


class FrameError(MeauError):
    """A missing or unreadable frame folder or image."""


class ClipError(MeauError, ValueError):
    """A clip that a descriptor or model cannot take (too short, wrong shape, NaNs)."""


class RunError(MeauError):
    """A run folder that cannot be written, resumed or reported."""
