"""Exceptions that mean "the user's input is wrong", as opposed to a bug in meau.

The command line prints a :class:`MeauError` as one line and exits with code 1;
anything else is a bug and keeps its traceback.
"""


def shorten(text, limit: int = 60) -> str:
    """``repr`` of a cell's text, cut to ``limit`` characters with an ellipsis: messages stay one readable line."""
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class MeauError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class SettingError(MeauError, ValueError):
    """A setting that cannot be used. The library names the setting (``alpha``, ``root``); the command
    line names its option instead (``--magnify``, ``DATA_ROOT``): see ``meau.cli.FLAGS``. ``reason``
    may name other settings as ``{name}``, rendered the same way."""

    def __init__(self, setting: str, value, reason: str, where: str | None = None):
        self.setting, self.value, self.reason, self.where = setting, value, reason, where
        super().__init__(self.render())

    def render(self, names: dict | None = None) -> str:
        names = names or {}

        class Named(dict):
            def __missing__(self, key):
                return names.get(key, key)

        location = f"{self.where}: " if self.where else ""
        name = names.get(self.setting, self.setting)
        # a flag is named alone (``--eaf: …``, not ``--eaf True: …``)
        subject = "" if self.value is None else f"{name}: " if self.value is True else f"{name} {self.value}: "
        return location + subject + self.reason.format_map(Named())


class AUParseError(MeauError, ValueError):
    """An AU cell that cannot be read. The message names the text (and the sheet row, if known)."""

    def __init__(self, text, reason, where=None):
        self.text = text
        self.reason = reason
        self.where = where
        location = f"{where}: " if where else ""
        super().__init__(f"{location}cannot parse AU cell {shorten(text)}: {reason}")


class SheetError(MeauError):
    """A coding sheet that cannot be read (missing column, unreadable file, bad cell)."""


class FrameError(MeauError):
    """A missing or unreadable frame folder or image."""


class PathError(FrameError):
    """A path built from data (a sheet cell, a label, a pattern) that would leave its folder."""


class ClipError(MeauError, ValueError):
    """A clip that a descriptor or model cannot take (too short, wrong shape, NaNs)."""


class RunError(MeauError):
    """A run folder that cannot be written, resumed or reported."""
