"""Faces in raw recordings: detection, 68 landmarks, one similarity transform per clip, MDMO regions.

Detection is dlib's HOG frontal face detector (upsampling once when nothing is found at the
original scale), landmarks dlib's 68-point shape predictor, whose model file ships inside the
``face-recognition-models`` package (never downloaded; the model was trained on iBUG 300-W and is
for research use). Both come with ``pip install 'meau[face]'``. Points are 0-based as in dlib:
0–16 jaw (8 the chin), 17–21 and 22–26 the brows, 27–35 the nose, 36–41 the eye on the image's
left (the subject's right eye), 42–47 the other eye, 48–67 the mouth.

Alignment (:func:`similarity_to_geometry`): a rotation, uniform scale and translation that map the
two eye centres (means of points 36–41 and 42–47) to fixed positions of a square output of ``size``
pixels: level, ``EYE_DISTANCE * size`` apart, centred horizontally, at height ``EYE_HEIGHT * size``.
With the defaults (0.34, 0.32) the brows lie about 0.20 size from the top (forehead margin above
them) and the chin (point 8) about 0.9 size, on dlib's mean face, so the AU1/2 and AU17 regions are
inside. Every frame of a clip is warped with the transform of its reference frame.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MeauError

INSTALL = "pip install 'meau[face]'"
LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"
EYE_DISTANCE = 0.34  # inter-ocular distance / output size
EYE_HEIGHT = 0.32  # eye line / output size
RIGHT_EYE = slice(36, 42)  # the subject's right eye: the eye on the image's left
LEFT_EYE = slice(42, 48)


def landmark_model_path() -> Path:
    """The 68-point model file inside the installed ``face-recognition-models`` package.

    The package is located, never imported: its ``__init__`` needs ``pkg_resources``, which current
    setuptools no longer ships.
    """
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / "models" / LANDMARK_MODEL
        if path.is_file():
            return path
    raise MeauError(f"the 68-point landmark model is not installed (face-recognition-models); install the face extra: {INSTALL}")


def _dlib():
    try:
        import dlib
    except ImportError:
        raise MeauError(f"face detection needs dlib, which is not installed; install the face extra: {INSTALL}") from None
    return dlib


_PER_THREAD = threading.local()


def _models():
    """(detector, shape predictor) of this thread: each thread loads its own, once (dlib's models must not be
    shared by threads at once: ``--backend threading`` crashed the process now and then when they were), the
    shape predictor (0.4 s) only when it first needs it."""
    return _detector(), _predictor()


def _detector():
    if not hasattr(_PER_THREAD, "detector"):
        _PER_THREAD.detector = _dlib().get_frontal_face_detector()
    return _PER_THREAD.detector


def _predictor():
    if not hasattr(_PER_THREAD, "predictor"):
        _PER_THREAD.predictor = _dlib().shape_predictor(str(landmark_model_path()))
    return _PER_THREAD.predictor


_POOL: dict = {}  # process id -> its search threads, started once: each keeps its models (loading them costs time);
# a forked child starts its own (the parent's threads do not exist there)


def on_every_core(function, items) -> list:
    """``function(item)`` for each of ``items``, in order, on the process's face-search threads, one per core
    (dlib runs outside Python's lock; each thread keeps its own models); one after the other where there is a
    single core or item, or when called from one of those threads (it would wait on itself)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    inside = threading.current_thread().name.startswith("meau-faces")
    if len(items) < 2 or (os.cpu_count() or 1) < 2 or inside:
        return [function(item) for item in items]
    pool = _POOL.get(os.getpid())
    if pool is None:
        _POOL.clear()
        pool = _POOL[os.getpid()] = ThreadPoolExecutor(max_workers=os.cpu_count(), thread_name_prefix="meau-faces")
    return list(pool.map(function, items))


def detect_each(frames, indices) -> list:
    """:func:`detect_faces` of ``frames[i]`` for each of ``indices``, in order, on every core at once."""
    return on_every_core(lambda index: detect_faces(frames[index]), indices)


def check_face_support() -> None:
    """A one-line error now, rather than in every worker, when the face extra is missing."""
    _dlib()
    landmark_model_path()


@dataclass
class Face:
    """The face found in one frame: box (left, top, right, bottom), detector score, how many faces
    the frame held, and the 68 points (68 x 2 float, x then y, in the frame's pixels)."""

    box: tuple[int, int, int, int]
    score: float
    faces: int
    points: np.ndarray

    @property
    def eyes(self) -> tuple[np.ndarray, np.ndarray]:
        """(centre of the eye on the image's left, centre of the other eye)."""
        return eye_centres(self.points)


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(points, dtype=np.float64)
    return points[RIGHT_EYE].mean(axis=0), points[LEFT_EYE].mean(axis=0)


def _as_uint8_image(frame: np.ndarray) -> np.ndarray:
    frame = np.ascontiguousarray(frame)
    if frame.dtype != np.uint8:
        frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = np.ascontiguousarray(frame[..., 0])
    return frame


DETECTION_LINES = 480  # frames with more lines are searched on a copy downscaled to this many lines
SMALL_FRAME_UPSCALE = 1.5  # frames of up to DETECTION_LINES lines are searched again enlarged by this


def detection_scales(shape) -> tuple[float, ...]:
    """The scales a frame of ``shape`` is searched at, in order, until a face is found.

    dlib's HOG detector finds faces whose box is at least 80 pixels wide at the scale it runs at.
    A frame of more than :data:`DETECTION_LINES` lines is searched once, on a copy downscaled to that
    many lines: a face must be at least a sixth of the frame's short side (120 px at 720 lines, 181
    at 1088), the sizes meau keeps, and a frame costs a sixth to a twelfth of a full-size search. A
    smaller frame is searched at its size (faces from 80 px), then enlarged 1.5 times (from 53 px).
    """
    lines = min(shape[:2])
    if lines > DETECTION_LINES:
        return (DETECTION_LINES / lines,)
    return (1.0, SMALL_FRAME_UPSCALE)


def detect_faces(frame: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
    """Faces in one frame (grey H x W or RGB H x W x 3 uint8): [(box, score)], largest first; boxes in
    the frame's pixels, whatever scale found them (:func:`detection_scales`)."""
    import cv2

    detector = _detector()
    image = _as_uint8_image(frame)
    for scale in detection_scales(image.shape):
        copy = image if scale == 1 else cv2.resize(image, None, fx=scale, fy=scale,
                                                   interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        boxes, scores, _ = detector.run(copy, 0, 0.0)
        if len(boxes):
            found = [(tuple(int(round(value / scale)) for value in (b.left(), b.top(), b.right(), b.bottom())),
                      float(s)) for b, s in zip(boxes, scores)]
            return sorted(found, key=lambda item: -(item[0][2] - item[0][0]) * (item[0][3] - item[0][1]))
    return []


def landmarks(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The 68 points (68 x 2 float) of the face in ``box``."""
    dlib = _dlib()
    predictor = _predictor()
    shape = predictor(_as_uint8_image(frame), dlib.rectangle(*[int(v) for v in box]))
    return np.array([(part.x, part.y) for part in shape.parts()], dtype=np.float64)


def find_face(frame: np.ndarray) -> Face | None:
    """The largest face of a frame with its 68 points, or None."""
    found = detect_faces(frame)
    if not found:
        return None
    box, score = found[0]
    return Face(box, score, len(found), landmarks(frame, box))


@dataclass(frozen=True)
class Similarity:
    """``output = scale * R(-angle) @ source + (tx, ty)``: the clip's one transform."""

    scale: float
    angle_deg: float
    tx: float
    ty: float

    @property
    def matrix(self) -> np.ndarray:
        """2 x 3 float64, source -> output (OpenCV's warpAffine convention)."""
        theta = np.deg2rad(self.angle_deg)
        cos, sin = self.scale * np.cos(theta), self.scale * np.sin(theta)
        return np.array([[cos, sin, self.tx], [-sin, cos, self.ty]])

    def apply(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        return points @ self.matrix[:, :2].T + self.matrix[:, 2]


def eye_targets(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the two eye centres land in a ``size`` x ``size`` output (pixel coordinates)."""
    half = EYE_DISTANCE * size / 2
    centre = (size - 1) / 2
    y = EYE_HEIGHT * size
    return np.array([centre - half, y]), np.array([centre + half, y])


def similarity_to_geometry(points: np.ndarray, size: int) -> Similarity:
    """The transform that puts the eye centres of ``points`` at :func:`eye_targets` (level)."""
    right, left = eye_centres(points)
    vector = left - right
    distance = float(np.hypot(*vector))
    if distance < 1e-6:
        raise MeauError("the two eye centres coincide: no alignment possible")
    scale = EYE_DISTANCE * size / distance
    angle = float(np.degrees(np.arctan2(vector[1], vector[0])))
    target, _ = eye_targets(size)
    rotation = Similarity(scale, angle, 0.0, 0.0).matrix[:, :2]
    tx, ty = target - rotation @ right
    return Similarity(scale, angle, float(tx), float(ty))


def warp_frame(frame: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """One frame through a 2 x 3 source -> output matrix (bilinear, borders replicated)."""
    import cv2

    return cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _to3(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def stabilizing_matrices(frames, reference: int, box, *, iterations: int = 100, epsilon: float = 1e-6):
    """Per frame, the Euclidean motion (2 x 3, reference -> frame coordinates) that registers it to the
    reference frame by OpenCV's ECC over the face box (enlarged by a quarter), and its (dx, dy, angle).

    ``frames``: grey or RGB frames of one clip (source pixels).
    """
    import cv2

    grey = [frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames]
    height, width = grey[0].shape
    left, top, right, bottom = box
    margin_x, margin_y = (right - left) // 4, (bottom - top) // 4
    x0, y0 = max(left - margin_x, 0), max(top - margin_y, 0)
    x1, y1 = min(right + margin_x, width), min(bottom + margin_y, height)
    template = grey[reference][y0:y1, x0:x1].astype(np.float32)
    origin = np.array([x0, y0], dtype=np.float64)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, epsilon)
    matrices, motions = [], []
    for index, frame in enumerate(grey):
        warp = np.eye(2, 3, dtype=np.float32)
        if index != reference:
            try:
                _, warp = cv2.findTransformECC(template, frame[y0:y1, x0:x1].astype(np.float32), warp,
                                               cv2.MOTION_EUCLIDEAN, criteria, None, 5)
            except cv2.error:
                warp = np.eye(2, 3, dtype=np.float32)  # no convergence: leave the frame as it is
        rotation, translation = warp[:, :2].astype(np.float64), warp[:, 2].astype(np.float64)
        # ECC ran on the box: move its translation back to whole-frame coordinates
        translation = translation + origin - rotation @ origin
        matrices.append(np.hstack([rotation, translation[:, None]]))
        motions.append((float(translation[0]), float(translation[1]),
                        float(np.degrees(np.arctan2(rotation[1, 0], rotation[0, 0])))))
    return matrices, motions


def warp_clip(frames, similarity: Similarity, size: int, stabilizers=None) -> list[np.ndarray]:
    """Every frame through the clip's one transform; with ``stabilizers`` (per-frame motions from
    :func:`stabilizing_matrices`) each frame is first registered to the reference frame."""
    import cv2

    output_to_source = np.linalg.inv(_to3(similarity.matrix))
    warped = []
    for index, frame in enumerate(frames):
        if stabilizers is None:
            warped.append(warp_frame(frame, similarity.matrix, size))
            continue
        inverse_map = (_to3(stabilizers[index]) @ output_to_source)[:2]  # output -> reference -> this frame
        warped.append(cv2.warpAffine(frame, inverse_map, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_REPLICATE))
    return warped


# --- the 36 regions of interest of MDMO (Liu et al., IEEE TAC 2016) ------------------------------

BROW_MARGIN = 0.4  # how far the forehead helpers sit above the brow points, in inter-ocular distances

# The 22 helper points, numbered 68..89 after the landmarks: ('up', p) is landmark p raised by the
# brow margin (y clamped at 0); ('mid', a, b) the midpoint of two points (helpers included).
HELPERS = (
    ("up", 17), ("up", 19), ("up", 21), ("mid", 68 + 2, 68 + 4), ("up", 22), ("up", 24), ("up", 26),
    ("mid", 3, 29), ("mid", 13, 29), ("mid", 4, 33), ("mid", 12, 33), ("mid", 4, 33), ("mid", 12, 33),
    ("mid", 5, 59), ("mid", 11, 55), ("mid", 2, 41), ("mid", 14, 46), ("mid", 5, 59), ("mid", 6, 58),
    ("mid", 8, 57), ("mid", 10, 56), ("mid", 11, 55),
)


def _h(k: int) -> int:
    return 68 + k


# The 36 regions (MDMO's numbering, 1-based in the paper), each a quadrilateral of four point numbers.
MDMO_REGIONS = (
    # 1-6: forehead above the brows
    (17, _h(0), _h(1), 19), (19, _h(1), _h(2), 21), (21, _h(2), _h(3), 27),
    (27, _h(3), _h(4), 22), (22, _h(4), _h(5), 24), (24, _h(5), _h(6), 26),
    # 7-14: temples, brows to eyes, between the brows
    (1, 0, 17, 36), (36, 17, 19, 38), (38, 19, 21, 39), (39, 21, 27, 28),
    (28, 27, 22, 42), (42, 22, 24, 43), (43, 24, 26, 45), (45, 26, 16, 15),
    # 15-20: below the eyes and the nose bridge
    (3, 2, _h(15), _h(7)), (_h(7), _h(15), 41, 39), (_h(7), 39, 28, 29),
    (29, 28, 42, _h(8)), (_h(8), 42, 46, _h(16)), (_h(8), _h(16), 14, 13),
    # 21-24: beside the nose, upper lip
    (_h(11), _h(7), 29, 33), (33, 29, _h(8), _h(12)), (_h(13), _h(9), 33, 59), (55, 33, _h(10), _h(14)),
    # 25-28: below the lower lip
    (_h(18), _h(17), 59, 58), (_h(19), _h(18), 58, 57), (_h(20), _h(19), 57, 56), (_h(21), _h(20), 56, 55),
    # 29-32: cheeks
    (4, 3, _h(7), _h(11)), (_h(12), _h(8), 13, 12), (5, 4, _h(9), _h(13)), (_h(14), _h(10), 12, 11),
    # 33-36: chin
    (6, 5, _h(17), _h(18)), (8, 6, _h(18), _h(19)), (10, 8, _h(19), _h(20)), (11, 10, _h(20), _h(21)),
)
FOREHEAD_REGIONS = tuple(range(6))  # 0-based indices of the regions above the brows (AU1/AU2)


def helper_points(points: np.ndarray) -> np.ndarray:
    """The 22 helper points (22 x 2) the regions use, numbered 68..89 after the 68 landmarks."""
    points = np.asarray(points, dtype=np.float64)
    right, left = eye_centres(points)
    margin = BROW_MARGIN * float(np.hypot(*(left - right)))
    every = np.vstack([points, np.zeros((len(HELPERS), 2))])
    for kind in ("up", "mid"):  # raised points first: a midpoint may join two of them
        for index, helper in enumerate(HELPERS, start=68):
            if helper[0] == kind == "up":
                every[index] = (every[helper[1], 0], max(every[helper[1], 1] - margin, 0.0))
            elif helper[0] == kind == "mid":
                every[index] = (every[helper[1]] + every[helper[2]]) / 2
    return every[68:]


def mdmo_regions(points: np.ndarray) -> np.ndarray:
    """The 36 MDMO regions of a face as quadrilaterals: 36 x 4 x 2 float (x, y corners)."""
    every = np.vstack([np.asarray(points, dtype=np.float64), helper_points(points)])
    return every[np.array(MDMO_REGIONS)]


def region_masks(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """36 boolean masks (36 x H x W) of the regions over a frame of ``shape``."""
    import cv2

    masks = np.zeros((len(MDMO_REGIONS), *shape), dtype=np.uint8)
    for index, quad in enumerate(mdmo_regions(points)):
        cv2.fillConvexPoly(masks[index], np.rint(quad).astype(np.int32), 1)
    return masks.astype(bool)


LANDMARK_COLUMNS = ["sample", "point", "x_source", "y_source", "x", "y"]


def read_landmarks(path, *, points: str = "source") -> dict:
    """A ``landmarks.csv`` (as ``meau crop`` and ``meau synth`` write it: ``sample, point, x_source,
    y_source, x, y``) -> {sample key: 68 x 2 points}, in the source frames' pixels (``points='source'``)
    or the aligned output's (``'output'``); a file that is not one is a one-line error naming it."""
    import pandas as pd

    columns = {"source": ["x_source", "y_source"], "output": ["x", "y"]}[points]
    try:
        table = pd.read_csv(path, dtype={"sample": str})
        return {sample: group.sort_values("point")[columns].to_numpy(dtype=np.float64)
                for sample, group in table.groupby("sample", sort=False)}
    except (OSError, KeyError, ValueError) as error:
        raise MeauError(f"{path}: not a landmarks.csv ({', '.join(LANDMARK_COLUMNS)}): {error}") from None


def regions_figure(frame: np.ndarray, points: np.ndarray, path, *, title: str | None = None) -> Path:
    """Draw the 68 points and the 36 numbered regions over a frame (PNG or PDF): an alignment check."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    from .outputs import atomic_path

    path = Path(path)
    figure, axis = plt.subplots(figsize=(5, 5 * frame.shape[0] / frame.shape[1]))
    axis.imshow(frame, cmap="gray" if frame.ndim == 2 else None)
    for number, quad in enumerate(mdmo_regions(points), start=1):
        axis.add_patch(Polygon(quad, closed=True, fill=False, edgecolor="tab:orange", linewidth=0.8))
        centre = quad.mean(axis=0)
        axis.text(centre[0], centre[1], str(number), fontsize=5, ha="center", va="center", color="white")
    axis.scatter(points[:, 0], points[:, 1], s=3, c="tab:cyan")
    axis.set_axis_off()
    if title:
        axis.set_title(title, fontsize=8)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".") or "png", dpi=150)
    plt.close(figure)
    return path
