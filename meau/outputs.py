"""Where meau may write, and what it may delete: one guard for every command's output.

The rules (a lab's only copy of its recordings often sits next to meau's output):

- Every path meau writes is resolved (symbolic links followed) and must lie inside the resolved
  output folder it was given; a link inside the output that points elsewhere is refused.
- meau deletes or replaces only inside a folder that carries its marker (``.meau``, a small JSON
  file written with the folder's first file), so ``--overwrite`` and ``--resume`` never touch a
  folder meau did not write.
- Inputs and outputs never overlap: an output inside an input, an input inside an output, or the
  same folder for both is refused before anything is read or written.
- Names built from data (sheet cells, datasets labels, input file names) are one path component:
  no separator, not ``.`` or ``..``, nothing that could climb out of the folder they name a part of.
  Patterns are relative and never climb either. This holds when reading frames too.

Every file meau writes appears only complete: :func:`atomic_path` writes a temporary file in the same
folder and renames it into place. Everything here raises :class:`meau.errors.MeauError` with one
line naming the path or option.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .errors import MeauError

MARKER = ".meau"
MARKER_FORMAT = "meau-output"
_UNSAFE = re.compile(r"[/\\\x00]")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path, data) -> None:
    write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def cached_array(path, compute):
    """The ``.npy`` array at ``path`` where a readable one is there, else ``compute()`` saved there
    atomically (read without pickle; a damaged file is rebuilt). ``path=None``: no cache."""
    import numpy as np

    if path is not None and Path(path).exists():
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError):
            pass
    array = compute()
    if path is not None:
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, array)
    return array


def write_csv(path, frame) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)


def _json_default(value):
    import numpy as np

    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def resolved(path) -> Path:
    """``path`` made absolute with every symbolic link followed (the path need not exist)."""
    return Path(os.path.abspath(Path(path).expanduser())).resolve(strict=False)


def is_inside(path, root, *, or_equal: bool = True) -> bool:
    """Whether resolved ``path`` lies inside resolved ``root`` (or is it, with ``or_equal``)."""
    path, root = resolved(path), resolved(root)
    if path == root:
        return or_equal
    return root in path.parents


def check_separate(output, inputs, *, option: str = "-o") -> None:
    """Refuse an output that is an input, lies inside one, or holds one (resolved, links followed)."""
    out = resolved(output)
    for item in inputs:
        if item is None:
            continue
        source = resolved(item)
        if out == source:
            raise MeauError(f"{option} {output} is the input {item}: write the output to a folder of its own")
        if source in out.parents:
            raise MeauError(f"{option} {output} lies inside the input {item}: write the output outside it")
        if out in source.parents:
            raise MeauError(f"the input {item} lies inside {option} {output}: write the output to a folder "
                            "that holds no input")


def safe_name(text, what: str) -> str:
    """``text`` as one file or folder name: refused when empty, ``.``/``..``, or holding a separator."""
    name = str(text)
    if not name.strip() or name in (".", "..") or _UNSAFE.search(name):
        raise MeauError(f"{what} {name!r} cannot be a file or folder name (no '/', '\\', '.' or '..')")
    return name


def folder_name(text) -> str:
    """A readable, portable folder name for a label: letters, digits, ``-``, ``_``, ``.``, ``^``, ``()``;
    anything else (spaces included) becomes ``_`` (``CASME II`` -> ``CASME_II``)."""
    name = re.sub(r"[^0-9A-Za-z_.^()\-]+", "_", str(text)).strip("._") or "database"
    return name


def safe_relative(text, what: str) -> PurePosixPath:
    """A relative path that stays below its base: not absolute, no ``..``, no backslash or drive."""
    value = str(text)
    path = PurePosixPath(value)
    if path.is_absolute() or "\\" in value or "\x00" in value or re.match(r"^[A-Za-z]:", value) \
            or ".." in path.parts or value.startswith("~"):
        raise MeauError(f"{what} {value!r} must be a relative path that stays below its folder (no leading '/', "
                        "'~' or drive, no '..')")
    return path


def read_marker(folder) -> dict | None:
    """The marker of a folder meau wrote, or None."""
    path = Path(folder) / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("format") == MARKER_FORMAT else None


class OutputFolder:
    """An output folder of one kind (``run``, ``crop``, ``spot`` …) and the guard on what goes into it.

    ``legacy(folder) -> bool`` recognises what older meau versions left in such a folder instead of
    the marker (a run's ``config.json`` naming a meau version, a crop's ``.meau-crop`` records): such a
    folder counts as meau's.
    """

    def __init__(self, path, kind: str, *, legacy=None):
        self.path = Path(path)
        self.kind = kind
        self.legacy = legacy

    @property
    def root(self) -> Path:
        return resolved(self.path)

    def exists(self) -> bool:
        return self.path.is_dir() and any(self.path.iterdir())

    def marker(self) -> dict | None:
        return read_marker(self.path)

    def is_meau(self) -> bool:
        if self.marker() is not None:
            return True
        return self.legacy is not None and bool(self.legacy(self.path))

    def check_claim(self, *, resume: bool, overwrite: bool, settings: dict | None = None,
                    what: str = "folder") -> str:
        """What opening the folder will do, checked before anything is written: ``'new'``,
        ``'resume'`` or ``'overwrite'``. Refuses a non-empty folder without ``resume``/``overwrite``,
        a folder meau did not write with either, and a resume whose ``settings`` differ."""
        if self.path.exists() and not self.path.is_dir():
            raise MeauError(f"{self.path}: exists and is not a folder")
        if self.path.is_symlink():
            raise MeauError(f"{self.path}: is a symbolic link; give the folder it points to")
        if not self.exists():
            return "new"
        if not (resume or overwrite):
            raise MeauError(f"{self.path}: {what} is not empty; use --resume to continue it or --overwrite to replace it")
        if not self.is_meau():
            flag = "--resume" if resume else "--overwrite"
            raise MeauError(f"{self.path}: not written by meau (no {MARKER} marker); {flag} only continues or "
                            "replaces meau's own output, choose a new folder")
        marker = self.marker() or {}
        if marker.get("kind") not in (None, self.kind):
            raise MeauError(f"{self.path}: holds a meau {marker.get('kind')} output, not a {self.kind}")
        if resume and settings is not None:
            before = marker.get("settings")
            if before is None:
                raise MeauError(f"{self.path}: written by an older meau without its settings; --overwrite replaces "
                                "it, or choose a new folder")
            changed = [key for key in sorted(set(before) | set(settings)) if before.get(key) != settings.get(key)]
            if changed:
                key = changed[0]
                raise MeauError(f"{self.path}: --resume with other settings ({key}: {before.get(key)!r} before, "
                                f"{settings.get(key)!r} now); use the same settings, or --overwrite")
        return "resume" if resume else "overwrite"

    def mark(self, settings: dict | None = None) -> None:
        """Create the folder (if needed) with its marker; the settings are what ``--resume`` must match."""
        from ._version import __version__

        self.path.mkdir(parents=True, exist_ok=True)
        marker = self.marker()
        if marker is not None and (settings is None or marker.get("settings") == settings):
            return
        write_json(self.path / MARKER, {"format": MARKER_FORMAT, "kind": self.kind, "meau_version": __version__,
                                        "settings": settings})

    def file(self, *parts) -> Path:
        """The path of ``parts`` below the folder, refused if it resolves outside it (``..``, a link)."""
        path = self.path.joinpath(*[str(part) for part in parts])
        if not is_inside(path, self.root, or_equal=False):
            raise MeauError(f"{path}: lies outside the output folder {self.path}; refused")
        return path

    def remove(self, path) -> None:
        """Delete ``path`` (a file or a folder) below a folder meau wrote; anything else is refused."""
        path = Path(path)
        if not path.exists() and not path.is_symlink():
            return
        if not self.is_meau():
            raise MeauError(f"{self.path}: not written by meau (no {MARKER} marker); nothing deleted")
        if path.is_symlink():
            raise MeauError(f"{path}: a symbolic link inside the output; meau deletes only what it wrote")
        self.file(os.path.relpath(path, self.path))  # inside, after resolving
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()

    def clear(self) -> None:
        """Empty a folder meau wrote (for ``--overwrite``): every entry, then the marker is written anew."""
        if not self.is_meau():
            raise MeauError(f"{self.path}: not written by meau (no {MARKER} marker); nothing deleted")
        for entry in list(self.path.iterdir()):
            if entry.is_symlink():
                entry.unlink()  # the link itself, never what it points to
            elif entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def discard_if_empty(self, ignore=()) -> None:
        """Remove the folder when it holds nothing but its marker and the empty folders ``ignore``
        names (a command that failed before it wrote anything): the next command is not blocked."""
        if not self.path.is_dir() or self.marker() is None:
            return
        entries = list(self.path.iterdir())
        if any(entry.name != MARKER and not (entry.name in ignore and entry.is_dir() and not any(entry.iterdir()))
               for entry in entries):
            return
        for entry in entries:
            entry.rmdir() if entry.is_dir() else entry.unlink()
        try:
            self.path.rmdir()
        except OSError:
            pass
