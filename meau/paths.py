"""Where meau keeps what it can rebuild: the cache of synthetic databases, clips, features and flows."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$MEAU_CACHE``, else ``$XDG_CACHE_HOME/meau``, else ``~/.cache/meau``."""
    if os.environ.get("MEAU_CACHE"):
        return Path(os.environ["MEAU_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meau"
