"""Descriptor registry: built-ins register in code, third parties through the ``meau.descriptors``
entry-point group (``name = package.module:function``), loaded lazily on first lookup.

A descriptor is ``f(clip, **params) -> 1-D float32 array`` for a grey uint8/float clip (T, H, W).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

from ..plugins import Registry

ENTRY_POINT_GROUP = "meau.descriptors"


@dataclass(frozen=True)
class DescriptorSpec:
    name: str
    function: Callable
    label: str  # the name in tables: "LBP-TOP"
    defaults: dict = field(default_factory=dict)

    def __call__(self, clip, **params):
        return self.function(clip, **{**self.defaults, **params})


_REGISTRY = Registry("descriptor", ENTRY_POINT_GROUP,
                     wrap=lambda name, function: DescriptorSpec(name, function, getattr(function, "label", name), {}))


def register_descriptor(name: str, *, label: str | None = None, **defaults):
    """Decorator adding a descriptor under ``name``; a name can be registered only once."""

    def decorate(function):
        _REGISTRY.register(name, DescriptorSpec(name, function, label or name, defaults))
        return function

    return decorate


def descriptor_names() -> list[str]:
    return _REGISTRY.names()


def get_descriptor(name: str) -> DescriptorSpec:
    return _REGISTRY.get(name)


def create_descriptor(name: str, **params) -> Callable:
    """``create_descriptor("lbptop", radii=(1, 1, 1))(clip)`` -> feature vector."""
    spec = get_descriptor(name)
    return functools.partial(spec, **params)
