"""Backbone registry: a dict, a decorator refusing duplicates, and the ``meau.models`` entry-point group.

A registered builder takes keyword options (``widen_factor``, ``shortcut``, ``stem`` for the
built-ins) and returns a module mapping N x 3 x T x H x W to a feature map N x c x t x h x w, with
``out_channels`` and ``output_shape((T, H, W))``.
"""

from __future__ import annotations

from typing import Callable

from ..plugins import Registry

ENTRY_POINT_GROUP = "meau.models"
_MODELS = Registry("backbone", ENTRY_POINT_GROUP)


def register_model(name: str):
    def decorate(builder):
        _MODELS.register(name, builder)
        return builder

    return decorate


def model_names() -> list[str]:
    return _MODELS.names()


def get_model(name: str) -> Callable:
    return _MODELS.get(name)
