"""Imports of the numerical stack, kept out of the CLI modules' import time."""

from ..handcrafted.pipeline import HandcraftedMethod  # noqa: F401
