"""Descriptor registry: built-ins register in code, third parties through the ``meau.descriptors``
entry-point group (``name = package.module:function``), loaded lazily on first lookup.

A descriptor is ``f(clip, **params) -> 1-D float32 array`` for a grey uint8/float clip (T, H, W).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

ENTRY_POINT_GROUP = "meau.descriptors"


@dataclass(frozen=True)
class DescriptorSpec:
    name: str
    function: Callable
    label: str  # the name in tables: "LBP-TOP"
    defaults: dict = field(default_factory=dict)

    def __call__(self, clip, **params):
        return self.function(clip, **{**self.defaults, **params})


_REGISTRY: dict[str, DescriptorSpec] = {}
_ENTRY_POINTS_LOADED = False


def register_descriptor(name: str, *, label: str | None = None, **defaults):
    """Decorator adding a descriptor under ``name``; a name can be registered only once."""

    def decorate(function):
        if name in _REGISTRY:
            raise ValueError(f"descriptor {name!r} is already registered")
        _REGISTRY[name] = DescriptorSpec(name, function, label or name, defaults)
        return function

    return decorate


def _load_entry_points():
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _REGISTRY:
            continue  # built-ins win; a plug-in cannot shadow them
        try:
            function = entry.load()
        except Exception as error:  # a broken plug-in must not break meau
            import warnings

            warnings.warn(f"descriptor plug-in {entry.name!r} ({entry.value}) failed to load: {error}", RuntimeWarning)
            continue
        _REGISTRY[entry.name] = DescriptorSpec(entry.name, function, getattr(function, "label", entry.name), {})


def descriptor_names() -> list[str]:
    _load_entry_points()
    return sorted(_REGISTRY)


def get_descriptor(name: str) -> DescriptorSpec:
    _load_entry_points()
    if name not in _REGISTRY:
        raise ValueError(f"unknown descriptor {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_descriptor(name: str, **params) -> Callable:
    """``create_descriptor("lbptop", radii=(1, 1, 1))(clip)`` -> feature vector."""
    spec = get_descriptor(name)
    return functools.partial(spec, **params)
