"""Backbone registry: a dict, a decorator refusing duplicates, and the ``meau.models`` entry-point group.

A registered builder takes keyword options (``widen_factor``, ``shortcut``, ``stem`` for the
built-ins) and returns a module mapping N x 3 x T x H x W to a feature map N x c x t x h x w, with
``out_channels`` and ``output_shape((T, H, W))``.
"""

from __future__ import annotations

from typing import Callable

ENTRY_POINT_GROUP = "meau.models"
_MODELS: dict[str, Callable] = {}
_ENTRY_POINTS_LOADED = False


def register_model(name: str):
    def decorate(builder):
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered")
        _MODELS[name] = builder
        return builder

    return decorate


def _load_entry_points():
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _MODELS:
            try:
                _MODELS[entry.name] = entry.load()
            except Exception as error:  # a broken plug-in must not break meau
                import warnings

                warnings.warn(f"model plug-in {entry.name!r} failed to load: {error}", RuntimeWarning)


def model_names() -> list[str]:
    _load_entry_points()
    return sorted(_MODELS)


def get_model(name: str) -> Callable:
    _load_entry_points()
    if name not in _MODELS:
        raise ValueError(f"unknown backbone {name!r}; available: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]
