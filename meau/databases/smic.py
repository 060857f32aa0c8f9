"""SMIC (Li et al., FG 2013): spontaneous micro-expressions labelled negative / positive / surprise, no sheet.

The cropped release is laid out ``HS/s1/micro/negative/s1_ne_01/image<n>.bmp`` (and ``VIS/``, ``NIR/``),
``positive`` and ``surprise`` beside ``negative``; the ``non_micro`` folders beside ``micro`` hold no samples.
Labels come from the folders: the emotion is the class folder, the subject ``s1`` is named ``s01`` (as the
published lists write it); a clip's first frame is its onset and its last its offset, and it has no apex
(estimated where a method needs one, as for sheets without an apex column). SMIC codes no AUs: it serves
emotion recognition only (``--target emotion``). Subsets: ``--subset hs`` (SMIC-HS, 100 fps, 164 clips of 16
subjects, the default), ``vis`` and ``nir`` (25 fps, 71 clips of 8 subjects each; at 25 fps, which the reader
does not apply: meau keeps HS's rate for every subset). Inferred without a copy: the frame file names (any
name ending in the frame number) and the letter case of the folders (matched case-insensitively).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import MeauError
from .database import Database, TemplateNote
from .layouts import named_layout
from .likes import SynthWriter

NAME = "smic"
SUBSETS = {"hs": "HS", "vis": "VIS", "nir": "NIR"}
CLASSES = ("negative", "positive", "surprise")
_SUBJECT = re.compile(r"^s(\d+)$", re.IGNORECASE)
_FRAME = re.compile(r"^(?P<stem>.*?)(?P<n>\d+)\.(?:bmp|jpe?g|png)$", re.IGNORECASE)


def subset_folder(root, subset: str | None) -> Path:
    """The folder of a SMIC subset under the database root (HS, VIS or NIR)."""
    subset = (subset or "hs").lower()
    if subset not in SUBSETS:
        raise MeauError(f"--subset {subset}: SMIC's subsets are {', '.join(SUBSETS)}")
    root = Path(root)
    for candidate in root.iterdir() if root.is_dir() else ():
        if candidate.is_dir() and candidate.name.upper() == SUBSETS[subset]:
            return candidate
    raise MeauError(f"{root}: no {SUBSETS[subset]} folder (SMIC's subsets sit in HS/, VIS/ and NIR/ under its root)")


class SmicDatabase(Database):
    """SMIC's 'sheet' is its folder tree: :meth:`read_sheet` lists the clip folders of one subset."""

    def folder_sheet(self, root, subset=None):
        return subset_folder(root, subset)

    def read_sheet(self, path, *, sheet=None, columns=None, extra_fields=(), expressions="micro"):
        from .sheets import SheetRows

        path = Path(path)
        if not path.is_dir():
            raise MeauError(f"{path}: SMIC has no coding sheet; give its root (the folder holding HS/, VIS/, NIR/)")
        rows, listing = [], hashlib.sha256()
        subjects = sorted((folder for folder in path.iterdir() if folder.is_dir() and _SUBJECT.match(folder.name)),
                          key=lambda folder: int(_SUBJECT.match(folder.name).group(1)))
        for subject in subjects:
            micro = next((f for f in subject.iterdir() if f.is_dir() and f.name.lower() == "micro"), None)
            if micro is None:
                continue
            for emotion in sorted(f for f in micro.iterdir() if f.is_dir()):
                for clip in sorted(f for f in emotion.iterdir() if f.is_dir()):
                    frames = [m for m in (_FRAME.match(f.name) for f in clip.iterdir() if f.is_file()) if m]
                    listing.update(f"{subject.name}/{emotion.name}/{clip.name}:{len(frames)}\n".encode())
                    if not frames:
                        continue
                    numbers = sorted(int(m.group("n")) for m in frames)
                    rows.append({"database": NAME, "subject": f"s{int(_SUBJECT.match(subject.name).group(1)):02d}",
                                 "clip": clip.name, "onset": numbers[0], "apex": None, "offset": numbers[-1],
                                 "emotion": emotion.name.lower(), "au_raw": "", "row": len(rows) + 1,
                                 "subset": path.name, "folder": subject.name, "micro": micro.name,
                                 "class_folder": emotion.name, "stem": frames[0].group("stem")})
        if not rows:
            raise MeauError(f"{path}: no SMIC clip found (expected s<N>/micro/<negative|positive|surprise>/<clip>/"
                            "<frames>)")
        return SheetRows(rows, path, listing.hexdigest(), sheet_name=None)


class Writer(SynthWriter):
    """SMIC-HS's folders: classes from the MEGC mapping of the planted emotion; a sample of no SMIC class
    ('others') goes to ``non_micro``, which holds no samples; no sheet."""

    sheet_name = ""
    layout = "HS/s<N>/micro/<class>/s<N>_<ne|po|sur>_<k>/image<n>.jpg; others in non_micro (no samples)"

    def name_row(self, row, index, k, rng):
        from ..databases.classes import MEGC

        row["sheet_subject"] = row["folder_subject"] = f"s{index + 1}"
        row["subject"] = f"s{index + 1:02d}"
        row["smic_class"] = MEGC.get(row["emotion"])
        abbreviation = {"negative": "ne", "positive": "po", "surprise": "sur"}.get(row["smic_class"], "nm")
        row["clip"] = f"s{index + 1}_{abbreviation}_{k + 1:02d}"

    def frame_path(self, row, number):
        where = f"micro/{row['smic_class']}" if row["smic_class"] else "non_micro"
        return f"HS/{row['folder_subject']}/{where}/{row['clip']}/image{number:06d}.jpg"

    def write_rows(self, workbook, sheet, plan, slash_apex_row):
        raise NotImplementedError("SMIC has no sheet")


DATABASE = SmicDatabase(
    name=NAME,
    title="SMIC",
    frame_rate=100,
    sheet_globs=(),
    layouts=(named_layout(NAME, "cropped", (".",), "{subset}/{folder}/{micro}/{class_folder}/{clip}/{stem}{frame}.jpg"),),
    template=TemplateNote("SMIC-HS", "/path/to/SMIC", "(none: labels from the folders)",
                          "HS/s<N>/micro/<negative|positive|surprise>/<clip>/"),
    synth=Writer(),
    inferred="the frame file names (any name ending in the frame number)",
    codes_aus=False,
    suites=("megc2019",),
    suite_order=1,
)
