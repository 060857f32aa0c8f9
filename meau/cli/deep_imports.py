"""Imports of torch and the deep pipeline, kept out of the CLI modules' import time."""

from ..deep.data import ClipSpec  # noqa: F401
from ..deep.train import DeepMethod, TrainConfig, distributed_context  # noqa: F401
from ..deep.cam import explain  # noqa: F401
