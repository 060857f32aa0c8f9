"""Run folders: one experiment, one folder, every file written atomically.

Layout::

    RUN/config.json       command, parameters, versions, sheet name + SHA-256, samples kept/dropped
    RUN/splits.csv        sample key -> fold
    RUN/validation.csv    every problem met while reading the database
    RUN/folds/fold_0.csv  test predictions of one finished fold (the unit of --resume)
    RUN/folds/fold_0.json per-fold extras (chosen C, best epoch, ...)
    RUN/predictions.csv   all folds' test predictions
    RUN/metrics.json      pooled and per-fold metrics
    RUN/run.log           the log

A file appears only complete: it is written to a temporary file in the same folder, then renamed.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from ._version import __version__
from .errors import RunError


def package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "scikit-learn", "scikit-image", "opencv-contrib-python-headless", "pandas", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _legacy_run(folder) -> bool:
    """A run folder of meau < 0.4 (no marker): its config.json names a meau version."""
    try:
        return "meau_version" in json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError, TypeError):
        return False


class RunDir:
    """A run folder. ``resume=True`` keeps finished folds; otherwise a non-empty folder is refused.

    The folder carries meau's marker (:mod:`meau.outputs`): ``--resume`` and ``--overwrite`` act only
    on a folder meau wrote, and every file written lies inside it.
    """

    def __init__(self, path, *, resume: bool = False, overwrite: bool = False):
        from .outputs import OutputFolder

        self.path = Path(path)
        self.output = OutputFolder(self.path, "run", legacy=_legacy_run)
        mode = self.output.check_claim(resume=resume, overwrite=overwrite, what="run folder")
        if mode == "overwrite" and not resume:
            for name in ("metrics.json", "predictions.csv", "splits.csv", "config.json", "folds", "checkpoints",
                         "intervals.csv", "settings.json", "figures"):
                self.output.remove(self.path / name)
        # the folder itself appears with the first file written: a run that fails before it leaves nothing
        self.resume = resume
        self.main = True  # False on the non-zero ranks of a torchrun job: they compute, rank 0 writes

    def mark(self) -> None:
        """Create the folder with meau's marker (before the first file is written)."""
        if self.main:
            self.output.mark()

    def file(self, name) -> Path:
        return self.output.file(name)

    def fold_file(self, fold: int, suffix: str = "csv") -> Path:
        return self.output.file("folds", f"fold_{fold}.{suffix}")

    def fold_done(self, fold: int) -> bool:
        return self.resume and self.fold_file(fold).exists()

    def log(self, message: str) -> None:
        if not self.main:
            return
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.mark()
        with open(self.file("run.log"), "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")


def base_config(method: str, parameters: dict) -> dict:
    return {
        "method": method,
        "command": " ".join(sys.argv),
        "parameters": parameters,
        "meau_version": __version__,
        "versions": package_versions(),
        "platform": platform.platform(),
        "cpu_capability": cpu_capability(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def cpu_capability() -> str | None:
    """The instruction set torch's CPU kernels use (``AVX2``, ``AVX512`` …; ``ATEN_CPU_CAPABILITY`` chooses
    another): networks trained on two machines differ in their last digits by it, and so do their rows."""
    if "torch" not in sys.modules:  # a run without networks: torch is not imported for it
        return None
    try:
        import torch

        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return None


def synthetic(config: dict) -> bool:
    """Whether a run's database was written by ``meau synth`` (its root holds ``synth.json``)."""
    sources = (config.get("dataset") or {}).get("sources") or []
    roots = [Path(found["root"]) for found in sources if isinstance(found, dict) and found.get("root")]
    return any((root / "synth.json").is_file() for root in roots)


def load_run(path) -> tuple[dict, dict]:
    """``(config, metrics)`` of a finished run folder, or a RunError naming what is missing."""
    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text())
        metrics = json.loads((path / "metrics.json").read_text())
    except FileNotFoundError as error:
        raise RunError(f"{path}: not a finished run folder ({Path(error.filename).name} missing)") from None
    except json.JSONDecodeError as error:
        raise RunError(f"{path}: unreadable run file ({error})") from None
    return config, metrics
