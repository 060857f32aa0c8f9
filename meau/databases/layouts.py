"""Where each database keeps its frames, and how a sheet row finds its frame files.

Frames are sorted by the number in their name, never as text (``img100`` comes after ``img46``);
files that do not match the frame pattern (a stray ``Desktop - Shortcut.lnk``) are ignored.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrameError


@dataclass(frozen=True)
class Layout:
    """One variant of a database's folder tree.

    ``folders`` are the candidate sub-paths of the database root holding the subject folders;
    ``subject_dir`` and ``frame_pattern`` are formatted with the row's fields.
    """

    database: str
    name: str
    folders: tuple[str, ...]
    subject_dir: str
    frame_pattern: str  # regex with a group 'n', formatted with {clip} / {subject} (escaped)
    whole_clip: bool = True  # the folder holds frames outside onset..offset too

    def frame_regex(self, subject: str, clip: str) -> re.Pattern:
        return re.compile(
            self.frame_pattern.format(clip=re.escape(clip), subject=re.escape(subject)) + r"$",
            re.IGNORECASE,
        )


LAYOUTS = {
    "casme2": [
        Layout("casme2", "cropped", ("Cropped", "CASME2_Cropped", "Cropped/Cropped"), "sub{subject}/{clip}",
               r"reg_img(?P<n>\d+)\.(?:jpe?g|png|bmp)"),
        Layout("casme2", "raw", ("CASME2-RAW", "CASME2_RAW"), "sub{subject}/{clip}", r"img(?P<n>\d+)\.(?:jpe?g|png|bmp)"),
        Layout("casme2", "selected", ("CASME2_RAW_selected",), "sub{subject}/{clip}",
               r"img(?P<n>\d+)\.(?:jpe?g|png|bmp)", whole_clip=False),
    ],
    "casme": [
        Layout("casme", "cropped", ("Cropped",), "sub{subject}/{clip}", r"reg_{clip}-(?P<n>\d+)\.(?:jpe?g|png|bmp)"),
        Layout("casme", "raw", ("CASME_A/Section A", "CASME_B/Section B", "Section A", "Section B"),
               "sub{subject}/{clip}", r"{clip}-(?P<n>\d+)\.(?:jpe?g|png|bmp)"),
    ],
    "samm": [
        Layout("samm", "raw", ("SAMM", "."), "{subject}/{clip}", r"{subject}_(?P<n>\d+)\.(?:jpe?g|png|bmp)"),
    ],
}


def layout_names(database: str) -> list[str]:
    return [layout.name for layout in LAYOUTS.get(database, [])]


def detect_layout(root, database: str, name: str | None = None) -> tuple[Layout, list[Path]]:
    """Choose the layout variant under ``root`` and the existing base folders for it.

    ``root`` may be the database root or one of the variant folders itself. With ``name`` the
    variant is chosen by the user; otherwise the first variant found wins (cropped before raw).
    """
    root = Path(root)
    if not root.is_dir():
        raise FrameError(f"{root}: database root is not a folder")
    if database not in LAYOUTS:
        raise FrameError(f"no folder layout known for database {database!r}")
    candidates = [layout for layout in LAYOUTS[database] if name in (None, "auto", layout.name)]
    if not candidates:
        raise FrameError(f"unknown layout {name!r} for {database}; choose from {', '.join(layout_names(database))}")
    for layout in candidates:
        bases = [root / folder for folder in layout.folders if (root / folder).is_dir()]
        bases = [base for base in dict.fromkeys(base.resolve() for base in bases)]
        if bases and any(_has_subjects(base, layout) for base in bases):
            return layout, bases
    # The root may itself be the variant folder (e.g. the user points at .../Cropped).
    if _has_subjects(root, candidates[0]):
        return candidates[0], [root]
    tried = ", ".join(f"{layout.name} ({'|'.join(layout.folders)})" for layout in candidates)
    raise FrameError(f"{root}: no {database} frame folders found; looked for {tried}")


def _has_subjects(base: Path, layout: Layout) -> bool:
    prefix = layout.subject_dir.split("{subject}")[0]
    try:
        return any(entry.is_dir() and entry.name.startswith(prefix) for entry in os.scandir(base))
    except OSError:
        return False


def list_frames(folder: Path, regex: re.Pattern) -> dict[int, Path]:
    """Frame number -> path for the files of ``folder`` that match ``regex`` (others are ignored)."""
    frames = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            match = regex.match(entry.name)
            if match and entry.is_file():
                frames[int(match["n"])] = Path(entry.path)
    return dict(sorted(frames.items()))


def clip_folder(layout: Layout, bases: list[Path], subject: str, clip: str) -> Path | None:
    relative = layout.subject_dir.format(subject=subject, clip=clip)
    for base in bases:
        folder = base / relative
        if folder.is_dir():
            return folder
    return None


def resolve_frames(layout: Layout, bases: list[Path], subject: str, clip: str, onset: int, offset: int) -> list[Path]:
    """The frame files ``onset..offset`` (inclusive) of one sample, in frame order.

    Raises
    ------
    FrameError
        The folder is missing, or a frame of the range is missing; the message names the path.
    """
    folder = clip_folder(layout, bases, subject, clip)
    if folder is None:
        expected = bases[0] / layout.subject_dir.format(subject=subject, clip=clip)
        raise FrameError(f"{expected}: frame folder missing")
    frames = list_frames(folder, layout.frame_regex(subject, clip))
    if not frames:
        raise FrameError(f"{folder}: no frame files matching {layout.frame_pattern!r}")
    wanted = range(onset, offset + 1)
    missing = [number for number in wanted if number not in frames]
    if missing:
        shown = ", ".join(str(number) for number in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise FrameError(f"{folder}: frame(s) {shown} of {onset}..{offset} missing")
    return [frames[number] for number in wanted]
