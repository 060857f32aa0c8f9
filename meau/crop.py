"""``meau crop``: raw recordings -> aligned face clips, offline (see :mod:`meau.faces`).

A database root goes in and a new root comes out in the database's *cropped* layout with a copy of
the sheet, so every meau command takes it as it takes a distributed cropped database. Only frames
onset..offset of each sample are written. Frame folders and videos go in and one folder of aligned
frames per input comes out.

One transform per output folder: the face is found on a reference frame (a sample's onset frame;
for a folder several samples share, the earliest sample's onset; for a video or frame folder the
first frame with a face), and every frame of the folder is warped with that transform. A folder is
written atomically (a hidden temporary folder renamed into place) with a small record beside it
under ``OUT/.meau-crop/``, so ``--resume`` skips finished folders and never finds a half-written one.

Written beside the frames: ``crop.csv`` (one row per sample or input), ``landmarks.csv`` (the 68
points of the reference frame in source and output pixels, one row per point), ``validation.csv``
(samples skipped and why), and with ``--stabilize ecc`` ``motion.csv`` (the per-frame motion removed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from .errors import FrameError, MeauError

if TYPE_CHECKING:
    from .outputs import OutputFolder

RECORDS = ".meau-crop"  # one record per finished clip folder (what --resume reads)
CROP_COLUMNS = ["sample", "status", "reference_frame", "frames", "left_eye_x", "left_eye_y", "right_eye_x",
                "right_eye_y", "scale", "angle_deg", "tx", "ty", "box_left", "box_top", "box_right", "box_bottom",
                "score", "faces", "folder"]
MIN_SIZE, MAX_SIZE = 32, 2048


@dataclass(frozen=True)
class CropSettings:
    """Output size (square, pixels), stabilisation (``none`` or ``ecc``) and JPEG quality."""

    size: int = 160
    stabilize: str = "none"
    quality: int = 95

    def check(self) -> "CropSettings":
        from .errors import SettingError

        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise SettingError("crop.size", self.size, f"the aligned face is {MIN_SIZE} to {MAX_SIZE} pixels square "
                               "(databases crop to about 170)")
        if self.stabilize not in ("none", "ecc"):
            raise SettingError("crop.stabilize", self.stabilize, "choose none or ecc")
        if not 1 <= self.quality <= 100:
            raise SettingError("crop.quality", self.quality, "JPEG quality is between 1 and 100")
        return self


def read_any(path) -> np.ndarray:
    """One frame as stored: grey stays grey (H x W), colour is RGB (H x W x 3)."""
    from .video import read_image

    image = read_image(path, color=True)
    if image.ndim == 3 and _is_grey(image):
        return np.ascontiguousarray(image[..., 0])
    return image


def _is_grey(image: np.ndarray) -> bool:
    sample = image[::7, ::7]
    return bool(np.array_equal(sample[..., 0], sample[..., 1]) and np.array_equal(sample[..., 1], sample[..., 2]))


def _write_image(path: Path, frame: np.ndarray, quality: int) -> None:
    import cv2

    image = frame if frame.ndim == 2 else frame[..., ::-1]
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(path), image, params):
        raise OSError(f"{path}: cannot write the frame")


def find_reference(frames, order) -> tuple[int | None, object]:
    """(index, Face) of the first frame of ``order`` (indices into ``frames``) with a face."""
    from .faces import find_face

    for index in order:
        face = find_face(frames[index])
        if face is not None:
            return index, face
    return None, None


EXHAUSTIVE_STEPS = 40


def first_face(frames, step: int) -> tuple[int | None, object]:
    """(index, Face) of the first frame with a face, searched coarse to fine: every ``step``-th frame
    (and the last), then, once one holds a face, the frames since the last faceless one, in order. When
    no searched frame holds a face, every other frame is searched, in order, before the recording is
    called faceless, in a recording of up to ``EXHAUSTIVE_STEPS`` steps (10 s at a quarter second a step): a
    small face that the detector finds only in some frames is not missed.

    A recording that starts on an empty chair costs one search per ``step`` frames instead of one per
    frame until the face is found; a recording without any face costs one search per frame. Frames are
    searched a few at a time on every core (:func:`meau.faces.detect_each`), in order.
    """
    samples = list(range(0, len(frames), max(int(step), 1)))
    if samples and samples[-1] != len(frames) - 1:
        samples.append(len(frames) - 1)
    found = _first_detected(frames, samples)
    if found is not None:
        position = samples.index(found)
        earlier = _first_detected(frames, range(samples[position - 1] + 1 if position else 0, found))
        return _with_face(frames, found if earlier is None else earlier)
    searched = set(samples)
    if len(frames) <= EXHAUSTIVE_STEPS * max(int(step), 1):
        found = _first_detected(frames, [index for index in range(len(frames)) if index not in searched])
        if found is not None:
            return _with_face(frames, found)
    return None, None


def _first_detected(frames, indices) -> int | None:
    """The first of ``indices`` whose frame holds a face, searched in chunks of a few frames per core."""
    import os

    from .faces import detect_each

    indices = list(indices)
    chunk = 2 * (os.cpu_count() or 1)
    for start in range(0, len(indices), chunk):
        part = indices[start:start + chunk]
        for index, found in zip(part, detect_each(frames, part)):
            if found:
                return index
    return None


def _with_face(frames, index: int) -> tuple[int | None, object]:
    """(index, its Face with landmarks), or (None, None) should the detector not find it again."""
    from .faces import find_face

    face = find_face(frames[index])
    return (index, face) if face is not None else (None, None)


def known_face(points) -> "object":
    """A Face from known 68 points (a landmarks file) instead of the detector: box = their bounds."""
    from .faces import Face

    points = np.asarray(points, dtype=np.float64)
    box = tuple(int(v) for v in (np.floor(points[:, 0].min()), np.floor(points[:, 1].min()),
                                 np.ceil(points[:, 0].max()), np.ceil(points[:, 1].max())))
    return Face(box, float("nan"), 1, points)


def align(frames, order, settings: CropSettings, points=None, step: int | None = None):
    """Align one clip: (aligned frames, record, motions) or (None, record, None) without a face.

    ``frames``: the clip's frames (source pixels), ``order``: the frame indices to try as reference
    (with known ``points``, the landmarks of the first of them: no detection); with ``step``, the
    first frame with a face is searched coarse to fine (:func:`first_face`) instead.
    """
    from .faces import similarity_to_geometry, stabilizing_matrices, warp_clip

    if points is not None:
        reference, face = order[0], known_face(points)
    elif step is not None:
        reference, face = first_face(frames, step)
    else:
        reference, face = find_reference(frames, order)
    if face is None:
        return None, {"status": "no-face", "faces": 0}, None
    similarity = similarity_to_geometry(face.points, settings.size)
    stabilizers = motions = None
    if settings.stabilize == "ecc":
        stabilizers, motions = stabilizing_matrices(frames, reference, face.box)
    aligned = warp_clip(frames, similarity, settings.size, stabilizers)
    right, left = face.eyes
    record = {"status": "ok", "reference_index": reference, "left_eye_x": right[0], "left_eye_y": right[1],
              "right_eye_x": left[0], "right_eye_y": left[1], "scale": similarity.scale,
              "angle_deg": similarity.angle_deg, "tx": similarity.tx, "ty": similarity.ty,
              "box_left": face.box[0], "box_top": face.box[1], "box_right": face.box[2], "box_bottom": face.box[3],
              "score": face.score, "faces": face.faces,
              "points_source": face.points.tolist(), "points": similarity.apply(face.points).tolist()}
    return aligned, record, motions


def _reference_order(count: int, onset_index: int, apex_index: int | None) -> list[int]:
    """The onset first, then the next frames up to the apex, then the rest of the clip."""
    apex_index = onset_index if apex_index is None else max(apex_index, onset_index)
    first = list(range(onset_index, min(apex_index, count - 1) + 1))
    return first + [i for i in range(count) if i not in set(first)]


def _missing(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _unit_id(relative: str) -> str:
    return hashlib.sha256(relative.encode()).hexdigest()[:20]


def crop_folder(out) -> "OutputFolder":
    """The guard of a crop's output folder (:mod:`meau.outputs`); crops of meau < 0.4 left only their records."""
    from .outputs import OutputFolder

    return OutputFolder(out, "crop", legacy=lambda folder: (Path(folder) / RECORDS).is_dir())


def _publish(out: Path, folder: str, named_frames, quality: int, result: dict) -> None:
    """Write a clip's frames to a hidden temporary folder, rename it into place, then its record:
    a folder is never seen half-written, and a record means its folder is complete. Every path is
    checked to lie inside ``out``; a failure (disk full …) removes the temporary folder."""
    from .outputs import atomic_path

    output = crop_folder(out)
    if named_frames is not None:
        final = output.file(folder)
        temporary = output.file(str(PurePosixPath(folder).parent), f".{final.name}.partial")
        output.remove(temporary)
        temporary.mkdir(parents=True)
        try:
            for name, frame in named_frames:
                _write_image(output.file(str(PurePosixPath(folder).parent), temporary.name, name), frame, quality)
        except BaseException:
            output.remove(temporary)
            raise
        output.remove(final)
        os.replace(temporary, final)
    with atomic_path(output.file(RECORDS, f"{_unit_id(folder)}.json")) as path:
        path.write_text(json.dumps(result, default=float))


def _crop_unit(unit: dict, settings_dict: dict, out: str) -> dict:
    """Crop one output folder (one clip folder, possibly several samples); returns its record."""
    import cv2

    settings = CropSettings(**settings_dict)
    try:
        frames = [read_any(path) for path in unit["sources"]]
        if any(frame.shape != frames[0].shape for frame in frames):
            odd = next(path for path, frame in zip(unit["sources"], frames) if frame.shape != frames[0].shape)
            raise FrameError(f"{odd}: frame size differs from the clip's first frame")
    except FrameError as error:
        return {"folder": unit["folder"], "samples": unit["samples"], "status": "bad-frame", "message": str(error)}
    try:
        aligned, record, motions = align(frames, unit["order"], settings, unit.get("points"))
    except (MemoryError, cv2.error) as error:  # an allocation OpenCV cannot make: listed, the others go on
        return {"folder": unit["folder"], "samples": unit["samples"], "status": "crop-failed",
                "message": f"{unit['sources'][0]}: {type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}"}
    result = {"folder": unit["folder"], "samples": unit["samples"], **record,
              "reference_frame": unit["numbers"][record["reference_index"]] if aligned is not None else None,
              "numbers": unit["numbers"]}
    if motions is not None:
        result["motions"] = motions
    if aligned is None:
        result["message"] = f"no face found in any of the {len(frames)} frames"
    _publish(Path(out), unit["folder"], None if aligned is None else zip(unit["names"], aligned), settings.quality,
             result)
    return result


def _run_units(worker, units, settings: CropSettings, out: Path, n_jobs: int, resume: bool, progress, what: str,
               *, keep_failed: bool = True):
    """``worker(unit, settings, out)`` for every unit (a dict with its output ``folder``) in parallel;
    with ``resume``, units whose record says they are done are kept (failed ones too with ``keep_failed``)."""
    from joblib import Parallel, delayed

    done, todo = [], []
    for unit in units:
        record_path = out / RECORDS / f"{_unit_id(unit['folder'])}.json"
        if resume and record_path.exists():
            try:
                record = json.loads(record_path.read_text())
                if (record.get("status") != "ok" and keep_failed) or (out / unit["folder"]).is_dir():
                    done.append(record)
                    continue
            except (json.JSONDecodeError, OSError):
                pass
        todo.append(unit)
    from .parallel import in_callers_folder

    jobs = (delayed(in_callers_folder)(os.getcwd(), worker, unit, vars(settings), str(out)) for unit in todo)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    from .parallel import progress_bar

    results = progress_bar(results, total=len(todo), what=what, progress=progress)
    return done + list(results), len(done)


def _open_output(out: Path, resume: bool, overwrite: bool, settings: dict, inputs) -> "OutputFolder":
    """Check then claim the crop's output folder: separate from every input, meau's own for --resume
    or --overwrite, the same settings for --resume. Called once every input has been checked, so a
    refused command leaves nothing behind."""
    from .outputs import check_separate

    check_separate(out, inputs)
    output = crop_folder(out)
    mode = output.check_claim(resume=resume, overwrite=overwrite, settings=settings, what="output folder")
    if mode == "overwrite":
        output.clear()
    output.mark(settings)
    (out / RECORDS).mkdir(exist_ok=True)
    return output


def _tables(records):
    """crop.csv, landmarks.csv and motion.csv rows from the units' records."""
    crop_rows, landmark_rows, motion_rows = [], [], []
    for record in records:
        for sample in record["samples"]:
            row = {"sample": sample["key"], "status": record["status"],
                   "reference_frame": record.get("reference_frame"), "frames": sample["frames"]}
            for column in CROP_COLUMNS[4:]:
                row[column] = record.get(column)
            row["folder"] = record["folder"]
            if record["status"] != "ok":
                row["faces"] = record.get("faces", 0)
            crop_rows.append(row)
            if record["status"] == "ok":
                for point, (source, output) in enumerate(zip(record["points_source"], record["points"])):
                    landmark_rows.append({"sample": sample["key"], "point": point, "x_source": source[0],
                                          "y_source": source[1], "x": round(output[0], 3), "y": round(output[1], 3)})
        for number, motion in zip(record.get("numbers", []), record.get("motions") or []):
            motion_rows.append({"folder": record["folder"], "frame": number, "dx": motion[0], "dy": motion[1],
                                "angle_deg": motion[2]})
    return crop_rows, landmark_rows, motion_rows


def _write_tables(out: Path, records, extra_problems=()):
    import pandas as pd

    from .databases.sheets import problems_frame
    from .faces import LANDMARK_COLUMNS
    from .outputs import write_csv

    output = crop_folder(out)
    crop_rows, landmark_rows, motion_rows = _tables(records)
    write_csv(output.file("crop.csv"), pd.DataFrame(crop_rows, columns=CROP_COLUMNS))
    write_csv(output.file("landmarks.csv"), pd.DataFrame(landmark_rows, columns=LANDMARK_COLUMNS))
    if motion_rows:
        write_csv(output.file("motion.csv"), pd.DataFrame(motion_rows))
    problems = list(extra_problems)
    for record in records:
        if record["status"] != "ok":
            for sample in record["samples"]:
                problems.append({"kind": record["status"], "message": record.get("message", ""), "row": sample.get("row"),
                                 "key": sample["key"], "path": record["folder"]})
    write_csv(output.file("validation.csv"), problems_frame(problems))
    return crop_rows


def cropped_layout(database: str, frames: str | None = None):
    """(base folder, FramePattern) of the layout ``meau crop`` writes for a database."""
    from .databases import get
    from .databases.layouts import FramePattern, is_pattern

    if is_pattern(frames):
        return ".", FramePattern(frames)
    layout = get(frames or database).cropped_layout()
    if layout is None:
        raise MeauError(f"no cropped layout known for {database}")
    return layout.folders[0], layout.pattern


def crop_dataset(dataset, out, *, database: str, frames: str | None = None, sheet=None,
                 settings: CropSettings = CropSettings(), n_jobs: int = 1, resume: bool = False,
                 overwrite: bool = False, strict: bool = False, progress: bool = False, landmarks=None) -> dict:
    """Crop every sample of a loaded :class:`~meau.databases.Dataset` into ``out`` (see the module).

    ``landmarks``: a ``landmarks.csv`` (``sample, point, x_source, y_source``, as meau crop and meau
    synth write it) whose points replace detection on each sample's onset frame.

    Everything is checked before ``out`` is created: the settings, the landmarks of every sample,
    the output names built from the sheet's cells, and that ``out`` overlaps no input (the roots,
    the sheet, the landmarks file). ``--resume`` and ``--overwrite`` act only on a folder meau crop
    wrote, and ``--resume`` only with the same settings.
    """
    from .databases import sample_keys
    from .faces import check_face_support, read_landmarks
    from .outputs import safe_name

    settings.check()
    known = read_landmarks(landmarks) if landmarks is not None else None
    if known is None:
        check_face_support()
    out = Path(out)
    base, pattern = cropped_layout(database, frames)
    table = dataset.table
    keys = sample_keys(table)
    folders: dict[str, dict] = {}
    problems = [vars(problem) for problem in dataset.problems]
    for key, row in zip(keys, table.to_dict("records")):
        try:
            folder = str(PurePosixPath(base) / pattern.folder(row))
            name = pattern.path(row, int(row["onset"])).rpartition("/")[2]
            safe_name(name, "frame file name")
        except (FrameError, MeauError) as error:  # a cell that cannot name a folder: listed, never followed
            problems.append({"kind": "unsafe-name", "message": str(error), "row": row["row"], "key": key, "path": ""})
            continue
        unit = folders.setdefault(folder, {"folder": folder, "frames": {}, "samples": [], "row": row})
        for number, path in zip(row["frame_numbers"], row["frames"]):
            unit["frames"][number] = str(path)
        unit["samples"].append({"key": key, "row": row["row"], "onset": int(row["onset"]),
                                "apex": None if _missing(row["apex"]) else int(row["apex"]),
                                "frames": len(row["frames"])})
    units = []
    for unit in folders.values():
        numbers = sorted(unit["frames"])
        first = min(unit["samples"], key=lambda sample: sample["onset"])
        onset_index = numbers.index(first["onset"])
        apex_index = None
        if first["apex"] is not None:
            apex_index = max(i for i, n in enumerate(numbers) if n <= first["apex"])
        points = None
        if known is not None:
            points = known.get(first["key"])
            if points is None:
                raise MeauError(f"{landmarks}: no landmarks for sample {first['key']}")
        units.append({"folder": unit["folder"], "samples": unit["samples"], "numbers": numbers, "points": points,
                      "sources": [unit["frames"][n] for n in numbers],
                      "names": [pattern.path(unit["row"], n).rpartition("/")[2] for n in numbers],
                      "order": _reference_order(len(numbers), onset_index, apex_index)})
    roots = [source.get("root") for source in dataset.sources]
    identity = {**vars(settings), "database": database, "frames": frames}
    output = _open_output(out, resume, overwrite, identity, [*roots, sheet, landmarks])
    with _discard_on_failure(output):
        records, skipped = _run_units(_crop_unit, units, settings, out, n_jobs, resume, progress, "crop")
        failed = [record for record in records if record["status"] != "ok"]
        crop_rows = _write_tables(out, records, problems)
        if sheet is not None:
            shutil.copy2(sheet, output.file(Path(sheet).name))
    if strict and failed:
        raise MeauError(f"{failed[0]['folder']}: {failed[0]['status']} ({failed[0].get('message', '')}); "
                        "without --strict the sample is listed and the others cropped")
    return {"samples": len(crop_rows), "ok": sum(row["status"] == "ok" for row in crop_rows),
            "failed": len(failed), "resumed": skipped, "frames": sum(len(unit["numbers"]) for unit in units)}


@contextlib.contextmanager
def _discard_on_failure(output):
    """A crop that fails before it published anything leaves no folder behind to block the next command."""
    try:
        yield
    except BaseException:
        output.discard_if_empty(ignore=(RECORDS,))
        raise


# --- videos and frame folders -------------------------------------------------------------------

def input_frames(path) -> tuple[list[int], list]:
    """(frame numbers, frames) of a video (0-based indices) or a folder of frames (numbers in names);
    a FrameError when the folder's frames differ in size (as a database clip's would be refused)."""
    from .video import check_frames, frames_of_input

    path = Path(path)
    if path.is_dir():
        from .video import folder_frames

        entries = folder_frames(path)
        problem = check_frames([entry for _, entry in entries])
        if problem:
            raise FrameError(problem)
        frames = [read_any(entry) for _, entry in entries]
        odd = next((entry for (_, entry), frame in zip(entries, frames) if frame.shape != frames[0].shape), None)
        if odd is not None:
            raise FrameError(f"{odd}: frame size differs from the folder's first frame")
        return [number for number, _ in entries], frames
    if path.is_file() and path.stat().st_size == 0:
        raise FrameError(f"{path}: empty file (zero-length video)")
    clip = frames_of_input(path, color=True)
    frames = [np.ascontiguousarray(frame[..., 0]) if _is_grey(frame) else frame for frame in clip]
    return list(range(len(frames))), frames


def search_step(path, seconds: float = 0.25) -> int:
    """Frames between two searched for the first face: a quarter second at the video's frame rate
    (a frame folder: :data:`meau.video.DEFAULT_FPS`)."""
    from .video import DEFAULT_FPS, frame_rate

    return max(1, int(round((frame_rate(path) or DEFAULT_FPS) * seconds)))


def aligned_input(path, settings: CropSettings = CropSettings(), read=None):
    """(frame numbers, aligned frames, record) of one video or frame folder (``read``: its
    :func:`input_frames`, when already read); FrameError without a face. The reference is the first frame
    with a face, searched coarse to fine (:func:`first_face`)."""
    numbers, frames = read if read is not None else input_frames(path)
    step = search_step(path)
    aligned, record, motions = align(frames, range(len(frames)), settings, step=step)
    if aligned is None:
        if len(frames) <= EXHAUSTIVE_STEPS * step:
            raise FrameError(f"{path}: no face found in any of its {len(frames)} frames (every frame searched)")
        raise FrameError(f"{path}: no face found in the {-(-len(frames) // step)} of its {len(frames)} frames "
                         f"searched (every {step}th; a recording of up to {EXHAUSTIVE_STEPS} steps is searched in "
                         "every frame)")
    record["reference_frame"] = numbers[record["reference_index"]]
    return numbers, aligned, {**record, "motions": motions}


def _crop_input(unit: dict, settings_dict: dict, out: str) -> dict:
    import cv2

    settings = CropSettings(**settings_dict)
    name = unit["folder"]
    sample = {"key": name, "row": None}
    try:
        numbers, aligned, record = aligned_input(unit["source"], settings)
    except (FrameError, MemoryError, cv2.error) as error:
        status = "no-face" if "no face" in str(error) else "unreadable" if isinstance(error, FrameError) \
            else "crop-failed"
        message = str(error) if isinstance(error, FrameError) else \
            f"{unit['source']}: {type(error).__name__}: {str(error).strip().splitlines()[-1][:200]}"
        return {"folder": name, "samples": [{**sample, "frames": 0}], "status": status, "message": message,
                "faces": 0}
    result = {"folder": name, "samples": [{**sample, "frames": len(numbers)}], **record, "numbers": numbers}
    _publish(Path(out), name, ((f"frame{number:06d}.jpg", frame) for number, frame in zip(numbers, aligned)),
             settings.quality, result)
    return result


def input_names(inputs) -> list[str]:
    """One output folder name per video (its stem) or frame folder (its name, ``.`` resolved), made
    unique (``take_2``); never hidden, never a path."""
    from .outputs import resolved, safe_name

    names, seen = [], {}
    for item in inputs:
        path = resolved(item)
        stem = path.stem if path.is_file() else path.name
        stem = safe_name(stem.lstrip(".") or "input", "input name")
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        names.append(stem if count == 0 else f"{stem}_{count + 1}")
    return names


def crop_inputs(inputs, out, *, settings: CropSettings = CropSettings(), n_jobs: int = 1, resume: bool = False,
                overwrite: bool = False, strict: bool = False, progress: bool = False) -> dict:
    """One folder of aligned frames (``frame000000.jpg`` …) per video or frame folder, named after it."""
    from .faces import check_face_support

    settings.check()
    check_face_support()
    out = Path(out)
    missing = [item for item in inputs if not Path(item).exists()]
    if missing:
        raise MeauError(f"{missing[0]}: no such video or frame folder")
    names = input_names(inputs)
    output = _open_output(out, resume, overwrite, {**vars(settings), "inputs": "videos or frame folders"}, inputs)
    units = [{"folder": name, "source": str(item)} for item, name in zip(inputs, names)]
    # a failed input is tried again on --resume (it may have been fixed); a failed database sample is kept
    with _discard_on_failure(output):
        records, resumed = _run_units(_crop_input, units, settings, out, n_jobs, resume, progress, "crop",
                                      keep_failed=False)
        failed = [record for record in records if record["status"] != "ok"]
        crop_rows = _write_tables(out, records)
    if strict and failed:
        raise MeauError(f"{failed[0]['folder']}: {failed[0].get('message', failed[0]['status'])}")
    return {"samples": len(crop_rows), "ok": len(crop_rows) - len(failed), "failed": len(failed), "resumed": resumed,
            "frames": sum(len(record.get("numbers", [])) for record in records), "messages":
            [f"{record['folder']}: {record.get('message', record['status'])}" for record in failed]}


def raw_layout_first(root, database: str, layout: str | None) -> str | None:
    """The layout to crop from: the user's, else the raw variant where the root has one, else the
    layout detected as the run commands detect it (a database that arrives cropped is cropped again)."""
    from .databases.layouts import detect_layout, is_pattern, layout_names

    if layout not in (None, "auto"):
        return layout
    if is_pattern(database) or "raw" not in layout_names(database):
        return None
    try:
        detect_layout(root, database, "raw")
    except FrameError:
        return None
    return "raw"


def toml_string(value) -> str:
    """A TOML basic string (JSON's escapes are TOML's): labels with quotes or backslashes read back."""
    return json.dumps(str(value), ensure_ascii=False)


def crop_datasets_file(path, out, **options) -> list[tuple[str, dict]]:
    """Crop every ``[[database]]`` entry of a datasets file into ``out/<label>`` (the label made a safe
    folder name) and write ``out/datasets.toml`` naming the cropped roots (so ``--datasets
    out/datasets.toml`` runs on them). ``out`` overlaps no root, sheet or the datasets file, and a
    ``datasets.toml`` already there is replaced only if meau wrote it."""
    from .databases import find_sheet, load_dataset
    from .databases.composite import read_datasets_file
    from .databases.layouts import is_pattern
    from .outputs import OutputFolder, check_separate, folder_name
    from .outputs import write_text

    entries = read_datasets_file(path)
    out = Path(out)
    folders: dict[str, str] = {}
    for entry in entries:
        folder = folder_name(entry["label"])
        if folder in folders:
            raise MeauError(f"{path}: labels {folders[folder]!r} and {entry['label']!r} both become the folder "
                            f"{folder!r}; give distinct labels")
        folders[folder] = entry["label"]
        entry["folder"] = folder
    check_separate(out, [path, *[entry["root"] for entry in entries], *[entry["sheet"] for entry in entries]])
    container = OutputFolder(out, "crop-set")
    if container.exists() and not container.is_meau():
        raise MeauError(f"{out}: not written by meau (no marker); crop --datasets writes OUT/<label> folders and "
                        "OUT/datasets.toml, choose a new folder")
    results, lines = [], []
    for entry in entries:
        sheet = find_sheet(entry["root"], entry["name"], entry["sheet"])
        frames = entry["frames"]
        layout_database = frames if not is_pattern(frames) else entry["name"]
        try:
            dataset = load_dataset(entry["root"], entry["name"], sheet, frames=frames, columns=entry["columns"],
                                   layout=raw_layout_first(entry["root"], layout_database, entry["layout"]),
                                   aus="auto", min_count=1)
            container.mark()
            summary = crop_dataset(dataset, out / entry["folder"], database=layout_database, frames=frames,
                                   sheet=sheet, **options)
        except MeauError as error:
            container.discard_if_empty()
            raise MeauError(f"{entry['label']}: {error}") from None
        results.append((entry["label"], summary))
        lines += ["[[database]]", f"name = {toml_string(entry['name'])}", f"label = {toml_string(entry['label'])}",
                  f"root = {toml_string(entry['folder'])}", f"sheet = {toml_string(Path(sheet).name)}"]
        if is_pattern(frames):
            lines.append(f"frames = {toml_string(frames)}")
        else:
            lines += [f"frames = {toml_string(frames)}", 'layout = "cropped"']
        if entry["columns"]:
            lines.append("columns = { " + ", ".join(f"{json.dumps(k)} = {toml_string(v)}"
                                                    for k, v in entry["columns"].items()) + " }")
        lines.append("")
    write_text(container.file("datasets.toml"), "\n".join(lines))
    return results


def regions_of_first_clip(out, figure) -> Path:
    """Draw the 68 points and the 36 MDMO regions over the first aligned clip of a crop (an alignment check)."""
    import pandas as pd

    from .faces import read_landmarks, regions_figure
    from .video import read_image

    out = Path(out)
    crop_table = pd.read_csv(out / "crop.csv")
    done = crop_table[crop_table["status"] == "ok"]
    if done.empty:
        raise MeauError(f"{out}: no aligned clip to draw")
    sample, folder = done["sample"].iloc[0], done["folder"].iloc[0]
    points = read_landmarks(out / "landmarks.csv", points="output")[str(sample)]
    first = sorted((out / folder).iterdir())[0]
    return regions_figure(read_image(first, color=True), points, figure, title=str(sample))
