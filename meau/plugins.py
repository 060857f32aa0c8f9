"""Named plug-in registries: built-ins register in code, third parties through an entry-point group.

Entry points are read on the first lookup, never at import time; a plug-in cannot shadow a
built-in, and one that fails to load gives a warning instead of breaking meau.
"""

from __future__ import annotations

import warnings
from typing import Callable


class Registry:
    def __init__(self, kind: str, group: str, wrap: Callable = lambda name, obj: obj):
        self.kind = kind  # "descriptor", "backbone": for messages
        self.group = group
        self.wrap = wrap  # turns a loaded entry point into a registry item
        self._items: dict = {}
        self._loaded = False

    def register(self, name: str, item) -> None:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item

    def _load_entry_points(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from importlib.metadata import entry_points

        for entry in entry_points(group=self.group):
            if entry.name in self._items:
                continue
            try:
                self._items[entry.name] = self.wrap(entry.name, entry.load())
            except Exception as error:  # a broken plug-in must not break meau
                warnings.warn(f"{self.kind} plug-in {entry.name!r} ({entry.value}) failed to load: {error}",
                              RuntimeWarning, stacklevel=2)

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def get(self, name: str):
        self._load_entry_points()
        if name not in self._items:
            raise ValueError(f"unknown {self.kind} {name!r}; available: {', '.join(sorted(self._items))}")
        return self._items[name]

    def fresh(self) -> "Registry":
        """A copy with the same built-ins whose entry points will be read again (for tests)."""
        copy = Registry(self.kind, self.group, self.wrap)
        copy._items = dict(self._items)
        return copy
