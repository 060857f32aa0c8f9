"""The synthetic database: procedural faces with planted AU motion, in the CASME II layout.

It exists so that demos, tests and benchmarks exercise the real readers with known answers:
``meau synth OUT`` writes ``OUT/Cropped/subXX/<Filename>/reg_img{N}.jpg`` and
``OUT/CASME2-coding-synth.xlsx`` in the CASME II sheet format (text subjects, mixed-type AU cells,
a ``?`` cell, side prefixes, intensity suffixes, one ``/`` apex).

Each AU displaces its facial region along a smooth onset -> apex -> offset profile (sin^2 rise,
cos^2 fall). ``intensity`` is the apex displacement in pixels at the 170 x 140 face size: 1 is a
micro-expression (hard), 4 and more is easy for every method.

Two presets (:data:`PRESETS`). ``classic`` (the default, byte-identical to meau 0.2's database): the
AU motion is ``intensity``, small frame-to-frame jitter, sensor noise σ = 1 grey level, JPEG
quality 85. ``subtle``, as real micro-expressions look: a per-clip apex displacement drawn in
``intensity_range`` (1.4–2.7 px at 170 x 140, about 1–2 px once resized to 128 x 128), a smooth
rigid head drift to a random point up to ``drift`` px away (2 px at 128 x 128) across the stored
frames, blinks (the lids close and open over ``blink_frames`` frames in a share ``blink_rate`` of
the clips; AU45-like, never a label), sensor noise σ = ``noise`` and JPEG quality ``jpeg_quality``.
The nuisances of ``subtle`` draw from their own random stream, so they never change the AUs, the
sheet or the faces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .likes import name_rows, reader_key, write_sheet

HEIGHT, WIDTH = 170, 140
# Marginal probabilities close to CASME II (AU2 is drawn from AU1 to correlate them).
AU_PROBABILITY = {4: 0.5, 1: 0.16, 7: 0.16, 9: 0.09, 12: 0.13, 14: 0.11, 15: 0.09, 17: 0.13}
FRAMES_AROUND = 2  # frames stored before the onset and after the offset, as in the real database
GENERATOR_VERSION = 3  # 2: landmarks.csv beside the sheet (frames and sheet unchanged); 3: emotions for recognition (only the emotion column changed)
RESIZED = 128  # the pipelines' frame size: drift and subtle displacements are stated at 128 x 128


@dataclass(frozen=True)
class Nuisance:
    """What makes a synthetic clip look like a real recording (the ``subtle`` preset's defaults).

    ``intensity_range``: per-clip apex displacement, px at 170 x 140; ``variation``: each AU's
    motion direction turned by up to this many degrees and its region scaled by 0.75-1.3, per clip
    (people and occurrences differ); ``drift``: the largest rigid
    head displacement across a clip, px at 128 x 128; ``blink_rate``: share of clips with a blink;
    ``blink_frames``: its duration; ``noise``: sensor noise σ (grey levels); ``jpeg_quality``;
    ``distractor_rate``: share of clips where one facial region that is *not* coded also moves (at
    half to all of the clip's displacement, at its own time), as real clips hold movements the coders
    did not label; it never changes labels.
    """

    intensity_range: tuple = (1.4, 2.7)
    variation: float = 30.0
    drift: float = 2.0
    blink_rate: float = 0.3
    blink_frames: int = 6
    noise: float = 2.0
    jpeg_quality: int = 75
    distractor_rate: float = 0.5

    def as_dict(self) -> dict:
        return {"intensity_range": list(self.intensity_range), "variation": self.variation, "drift": self.drift,
                "blink_rate": self.blink_rate,
                "blink_frames": self.blink_frames, "noise": self.noise, "jpeg_quality": self.jpeg_quality,
                "distractor_rate": self.distractor_rate}


PRESETS = {"classic": None, "subtle": Nuisance()}


@dataclass(frozen=True)
class Face:
    """Landmarks (x, y in pixels) and appearance of one subject's face."""

    image: np.ndarray  # float32 (H, W, 3), RGB in [0, 255]
    points: dict  # name -> (x, y)
    scale: float
    landmarks: np.ndarray | None = None  # 68 x 2, dlib's numbering, where the face was drawn


def _draw_face(rng: np.random.Generator) -> Face:
    import cv2

    scale = rng.uniform(0.9, 1.08)
    cx = WIDTH / 2 + rng.uniform(-3, 3)
    cy = HEIGHT / 2 + rng.uniform(-2, 4)
    skin = np.array([rng.uniform(150, 235), rng.uniform(110, 185), rng.uniform(85, 160)], np.float32)
    background = rng.uniform(20, 90, size=3).astype(np.float32)
    image = np.empty((HEIGHT, WIDTH, 3), np.float32)
    image[:] = background
    axes = (int(56 * scale * rng.uniform(0.92, 1.05)), int(78 * scale * rng.uniform(0.95, 1.05)))
    cv2.ellipse(image, (int(cx), int(cy + 4)), axes, 0, 0, 360, skin.tolist(), -1, cv2.LINE_AA)
    # skin texture: smoothed noise, constant within a subject
    texture = cv2.GaussianBlur(rng.normal(0, 1, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), rng.uniform(1.0, 2.0))
    image += (rng.uniform(6, 14) * texture)[..., None]
    eye_dx = 20 * scale * rng.uniform(0.9, 1.1)
    eye_y = cy - 14 * scale + rng.uniform(-2, 2)
    brow_y = eye_y - 13 * scale * rng.uniform(0.85, 1.15)
    brow_half = 12 * scale * rng.uniform(0.85, 1.15)
    nose_y = cy + 20 * scale
    mouth_y = cy + 42 * scale + rng.uniform(-2, 2)
    mouth_half = 15 * scale * rng.uniform(0.85, 1.15)
    chin_y = mouth_y + 22 * scale
    dark = skin * rng.uniform(0.25, 0.45)
    brow_thickness = int(rng.integers(3, 6))
    points = {}
    for side, sign in (("R", -1), ("L", 1)):  # subject's right is on the image's left
        ex = cx + sign * eye_dx
        inner, outer = ex - sign * brow_half, ex + sign * brow_half
        cv2.line(image, (int(inner), int(brow_y + 1)), (int(outer), int(brow_y - 1)), dark.tolist(), brow_thickness, cv2.LINE_AA)
        cv2.ellipse(image, (int(ex), int(eye_y)), (int(9 * scale), int(4 * scale)), 0, 0, 360, (235, 235, 235), -1, cv2.LINE_AA)
        cv2.circle(image, (int(ex), int(eye_y)), int(3 * scale), (dark * 0.6).tolist(), -1, cv2.LINE_AA)
        cv2.ellipse(image, (int(ex), int(eye_y)), (int(9 * scale), int(4 * scale)), 0, 0, 360, dark.tolist(), 1, cv2.LINE_AA)
        points[f"brow_inner_{side}"] = (inner, brow_y)
        points[f"brow_outer_{side}"] = (outer, brow_y)
        points[f"brow_{side}"] = (ex, brow_y)
        points[f"lower_lid_{side}"] = (ex, eye_y + 5 * scale)
        points[f"nose_side_{side}"] = (cx + sign * 7 * scale, nose_y - 6 * scale)
        points[f"mouth_corner_{side}"] = (cx + sign * mouth_half, mouth_y)
        points[f"cheek_{side}"] = (cx + sign * (mouth_half + 6 * scale), mouth_y)
        cv2.circle(image, (int(cx + sign * 5 * scale), int(nose_y + 3)), int(2 * scale) + 1, (dark * 0.8).tolist(), -1, cv2.LINE_AA)
    cv2.line(image, (int(cx), int(eye_y + 4)), (int(cx - 2), int(nose_y)), (skin * 0.8).tolist(), 2, cv2.LINE_AA)
    lips = np.array([rng.uniform(120, 190), rng.uniform(50, 95), rng.uniform(55, 100)], np.float32)
    cv2.ellipse(image, (int(cx), int(mouth_y)), (int(mouth_half), int(5 * scale)), 0, 0, 360, lips.tolist(), -1, cv2.LINE_AA)
    cv2.line(image, (int(cx - mouth_half), int(mouth_y)), (int(cx + mouth_half), int(mouth_y)), (lips * 0.5).tolist(), 1, cv2.LINE_AA)
    points["upper_lip"] = (cx, mouth_y - 5 * scale)
    points["lower_lip"] = (cx, mouth_y + 5 * scale)
    points["chin"] = (cx, chin_y)
    image = cv2.GaussianBlur(image, (0, 0), 0.7)
    landmarks = _landmarks68(cx, cy, axes, eye_dx, eye_y, brow_y, brow_half, nose_y, mouth_y, mouth_half, scale)
    return Face(np.clip(image, 0, 255), points, scale, landmarks)


def _landmarks68(cx, cy, axes, eye_dx, eye_y, brow_y, brow_half, nose_y, mouth_y, mouth_half, scale) -> np.ndarray:
    """The 68 points (dlib's numbering) of a drawn face, from the geometry it was drawn with: what
    ``meau crop`` would write for it, without a detector (dlib does not see cartoon faces)."""
    def arc(centre, half_axes, start, stop, count):
        angles = np.linspace(start, stop, count)
        return np.stack([centre[0] + half_axes[0] * np.cos(angles), centre[1] + half_axes[1] * np.sin(angles)], 1)

    jaw = arc((cx, cy + 4), axes, np.pi + 0.3, -0.3, 17)  # ear to ear through the chin (point 8)
    brows, eyes = [], []
    for sign in (-1, 1):  # the image's left first (the subject's right)
        ex = cx + sign * eye_dx
        ends = [(ex - brow_half, brow_y - 1), (ex + brow_half, brow_y + 1)] if sign < 0 else \
            [(ex - brow_half, brow_y + 1), (ex + brow_half, brow_y - 1)]
        brows.append(np.linspace(ends[0], ends[1], 5))
        w, h = 9 * scale, 4 * scale
        eyes.append(np.array([(ex - w, eye_y), (ex - w / 3, eye_y - h), (ex + w / 3, eye_y - h), (ex + w, eye_y),
                              (ex + w / 3, eye_y + h), (ex - w / 3, eye_y + h)]))
    bridge = np.linspace((cx, eye_y), (cx - 1, nose_y), 4)
    nostrils = np.array([(cx + dx * scale, nose_y + 3 + (2 - abs(dx) / 3.5)) for dx in (-7, -3.5, 0, 3.5, 7)])
    outer = np.vstack([arc((cx, mouth_y), (mouth_half, 5 * scale), np.pi, 2 * np.pi, 7),  # 48-54: over the top
                       arc((cx, mouth_y), (mouth_half, 5 * scale), np.pi / 6, 5 * np.pi / 6, 5)])  # 55-59 below
    inner = np.vstack([arc((cx, mouth_y), (0.8 * mouth_half, 1.5 * scale), np.pi, 2 * np.pi, 5),
                       arc((cx, mouth_y), (0.8 * mouth_half, 1.5 * scale), np.pi / 4, 3 * np.pi / 4, 3)])
    return np.vstack([jaw, brows[0], brows[1], bridge, nostrils, eyes[0], eyes[1], outer, inner]).astype(np.float64)


# AU -> list of (landmark, side-specific?, direction (dx, dy) with dx for the subject's left side, sigma x, sigma y)
# Image y grows downwards, so "up" is dy < 0; dx is mirrored for the subject's right side.
AU_MOTION = {
    1: [("brow_inner", True, (0.0, -1.0), 6, 4)],
    2: [("brow_outer", True, (0.0, -1.0), 6, 4)],
    4: [("brow", True, (-0.6, 0.8), 9, 5)],
    7: [("lower_lid", True, (0.0, -1.0), 7, 3)],
    9: [("nose_side", True, (0.0, -1.0), 4, 5), ("upper_lip", False, (0.0, -0.7), 10, 4)],
    12: [("mouth_corner", True, (0.7, -0.7), 5, 5)],
    14: [("mouth_corner", True, (-0.9, 0.0), 4, 4)],
    15: [("mouth_corner", True, (0.0, 1.0), 5, 5)],
    17: [("chin", False, (0.0, -1.0), 12, 6), ("lower_lip", False, (0.0, -0.7), 10, 4)],
}
DIMPLE_AU = 14


def displacement_fields(face: Face, aus_sides: dict[int, str | None], variation=None) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) at apex for unit intensity, and the shading field (AU14's dimple).

    ``variation`` (AU -> (angle in radians, extent factor)) turns each AU's motion direction and
    scales its region for one clip: the same AU differs a little between people and occurrences.
    """
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    field = np.zeros((2, HEIGHT, WIDTH), np.float32)
    shade = np.zeros((HEIGHT, WIDTH), np.float32)
    for au, side in aus_sides.items():
        angle, extent = (variation or {}).get(au, (0.0, 1.0))
        for landmark, per_side, (dx, dy), sx, sy in AU_MOTION.get(au, []):
            if angle:
                dx, dy = dx * np.cos(angle) - dy * np.sin(angle), dx * np.sin(angle) + dy * np.cos(angle)
            sx, sy = sx * extent, sy * extent
            sides = ("L", "R") if per_side else (None,)
            for this in sides:
                if side is not None and this is not None and this != side:
                    continue
                x0, y0 = face.points[f"{landmark}_{this}" if this else landmark]
                mirror = -1.0 if this == "R" else 1.0
                weight = np.exp(-((xs - x0) ** 2) / (2 * (sx * face.scale) ** 2) - ((ys - y0) ** 2) / (2 * (sy * face.scale) ** 2))
                field[0] += mirror * dx * weight
                field[1] += dy * weight
        if au == DIMPLE_AU:
            for this in ("L", "R"):
                if side is not None and this != side:
                    continue
                x0, y0 = face.points[f"cheek_{this}"]
                shade += np.exp(-((xs - x0) ** 2 + (ys - y0) ** 2) / (2 * (3 * face.scale) ** 2))
    return field, shade


def profile(frame_numbers: np.ndarray, onset: int, apex: int, offset: int) -> np.ndarray:
    """Motion amplitude in [0, 1]: sin^2 rise from onset to apex, cos^2 fall to the offset, 0 outside."""
    n = frame_numbers.astype(np.float64)
    rise = np.sin(0.5 * np.pi * np.clip((n - onset) / max(apex - onset, 1), 0, 1)) ** 2
    fall = np.cos(0.5 * np.pi * np.clip((n - apex) / max(offset - apex, 1), 0, 1)) ** 2
    return np.where(n <= apex, rise, fall) * ((n >= onset) & (n <= offset))


def render_clip(face: Face, aus_sides, intensity, onset, apex, offset, rng, frames_around=FRAMES_AROUND,
                nuisance: Nuisance | None = None, nuisance_rng: np.random.Generator | None = None):
    """Frames ``onset - frames_around .. offset + frames_around`` as uint8 RGB arrays (N, H, W, 3).

    With ``nuisance`` (drawn from ``nuisance_rng``): head drift, a blink, and its sensor noise;
    ``intensity`` is then the clip's own apex displacement (drawn by the caller).
    """
    import cv2

    numbers = np.arange(onset - frames_around, offset + frames_around + 1)
    amplitude = profile(numbers, onset, apex, offset)
    field, shade = displacement_fields(face, aus_sides)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    jitter = np.cumsum(rng.normal(0, 0.08, size=(len(numbers), 2)), axis=0).astype(np.float32)
    gain = (1 + np.cumsum(rng.normal(0, 0.003, size=len(numbers)))).astype(np.float32)
    noise = 1.0
    blink = np.zeros(len(numbers))
    extra = None
    if nuisance is not None:
        jitter = jitter + _drift_path(len(numbers), nuisance.drift, nuisance_rng)
        blink = _blink_profile(len(numbers), nuisance, nuisance_rng)
        noise = nuisance.noise
        extra = _distractor(face, aus_sides, numbers, intensity, nuisance, nuisance_rng)
    if nuisance is not None and nuisance.variation:
        variation = {au: (np.deg2rad(nuisance_rng.uniform(-nuisance.variation, nuisance.variation)),
                          nuisance_rng.uniform(0.75, 1.3)) for au in aus_sides}
        field, shade = displacement_fields(face, aus_sides, variation)
    frames = np.empty((len(numbers), HEIGHT, WIDTH, 3), np.uint8)
    for index, level in enumerate(amplitude):
        motion = np.float32(level * intensity)
        map_x = xs - motion * field[0] + jitter[index, 0]
        map_y = ys - motion * field[1] + jitter[index, 1]
        if extra is not None:
            map_x -= extra[1][index] * extra[0][0]
            map_y -= extra[1][index] * extra[0][1]
        image = face.image if blink[index] == 0 else _closed_eyes(face, blink[index])
        warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        warped = warped * (1 - 0.05 * motion * shade)[..., None] * gain[index]
        warped += (rng if nuisance is None else nuisance_rng).normal(0, noise, size=warped.shape).astype(np.float32)
        frames[index] = np.clip(warped + 0.5, 0, 255).astype(np.uint8)
    return numbers, frames


def _distractor(face: Face, aus_sides, numbers, intensity: float, nuisance: Nuisance, rng: np.random.Generator):
    """(displacement field, amplitude per frame) of an uncoded movement, or None (no distractor this clip)."""
    if rng.random() >= nuisance.distractor_rate:
        return None
    others = [au for au in AU_MOTION if au not in aus_sides]
    if not others:
        return None
    field, _ = displacement_fields(face, {int(rng.choice(others)): None})
    length = len(numbers)
    start = int(rng.integers(0, max(length - 6, 1)))
    peak = start + int(rng.integers(2, 5))
    end = min(peak + int(rng.integers(2, 6)), length - 1)
    amplitude = profile(np.arange(length), start, peak, end) * intensity * rng.uniform(0.5, 1.0)
    return field, amplitude.astype(np.float32)


def _drift_path(count: int, drift: float, rng: np.random.Generator) -> np.ndarray:
    """(count x 2) rigid head displacement in 170 x 140 pixels: smoothly from 0 to a random point at
    most ``drift`` px away at 128 x 128 (a random direction, a random share of the largest drift)."""
    angle = rng.uniform(0, 2 * np.pi)
    reach = drift * np.sqrt(rng.uniform(0, 1))
    end = np.array([reach * np.cos(angle) * WIDTH / RESIZED, reach * np.sin(angle) * HEIGHT / RESIZED])
    steps = np.linspace(0, 1, count)
    ease = steps * steps * (3 - 2 * steps)
    return (ease[:, None] * end).astype(np.float32)


def _blink_profile(count: int, nuisance: Nuisance, rng: np.random.Generator) -> np.ndarray:
    """Lid closure per frame in [0, 1]: zero, or a sin^2 bump of ``blink_frames`` frames somewhere in the clip."""
    closure = np.zeros(count)
    if rng.random() >= nuisance.blink_rate:
        return closure
    length = min(nuisance.blink_frames, count)
    start = int(rng.integers(0, count - length + 1))
    closure[start:start + length] = np.sin(np.pi * (np.arange(length) + 0.5) / length) ** 2
    return closure


def _closed_eyes(face: Face, closure: float) -> np.ndarray:
    """The face with both eyes covered by the lids by ``closure`` (0 open, 1 shut)."""
    import cv2

    mask = np.zeros((HEIGHT, WIDTH), np.float32)
    for eye in (slice(36, 42), slice(42, 48)):
        points = face.landmarks[eye]
        centre = points.mean(axis=0)
        half = (points[:, 0].max() - points[:, 0].min()) / 2 + 1, (points[:, 1].max() - points[:, 1].min()) / 2 + 1.5
        cv2.ellipse(mask, (int(round(centre[0])), int(round(centre[1]))), (int(round(half[0])), int(round(half[1]))),
                    0, 0, 360, 1.0, -1, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.8) * closure
    lid = np.median(face.image[int(face.landmarks[29, 1]), int(face.landmarks[31, 0]):int(face.landmarks[35, 0])], axis=0)
    return face.image * (1 - mask[..., None]) + lid * mask[..., None]


def writer_of(like: str | None = None):
    """The synth writer of a registered database (``None``: the default database's)."""
    from .database import default_name, get, with_synth

    like = like or default_name()
    try:
        writer = get(like).synth
    except ValueError:
        writer = None
    if writer is None:
        raise ValueError(f"synth --like: unknown database {like!r}; choose from {', '.join(with_synth())}")
    return like, writer


def __getattr__(name):
    if name == "SHEET_NAME":  # the default database's synthetic sheet (read when asked: the registry loads this module)
        return writer_of()[1].sheet_name
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _subject_seed(seed: int, subject_index: int) -> np.random.SeedSequence:
    """The seed of one subject's face and frames: SeedSequence children from 2 on (0 plans the sheet, 1 is unused)."""
    return np.random.SeedSequence(seed, spawn_key=(subject_index + 2,))


def subject_face(seed: int, subject: str | int) -> Face:
    """The face that :func:`generate` drew for ``subject`` ('01', 1 …) with this seed."""
    return _draw_face(np.random.default_rng(_subject_seed(seed, int(subject) - 1)))


def au_region(face: Face, au: int, threshold: float = 0.1) -> np.ndarray:
    """Boolean H x W mask where AU ``au`` moves the face by at least ``threshold`` of its largest motion."""
    field, shade = displacement_fields(face, {au: None})
    strength = np.hypot(field[0], field[1]) + shade
    if strength.max() <= 0:
        raise ValueError(f"AU{au} is not planted by the synthetic database")
    return strength >= threshold * strength.max()


def _draw_aus(rng: np.random.Generator) -> dict[int, str | None]:
    present = {au for au, p in AU_PROBABILITY.items() if rng.random() < p}
    if (1 in present and rng.random() < 0.7) or (1 not in present and rng.random() < 0.03):
        present.add(2)
    if not present:
        present.add(int(rng.choice([7, 9, 12, 14, 15, 17])))
    return {au: (str(rng.choice(["L", "R"])) if rng.random() < 0.12 else None) for au in sorted(present)}


def _draw_planted(rng: np.random.Generator, aus) -> dict[int, None]:
    """Each of ``aus`` with probability 1/2, independently; a clip left empty gets one other AU (a
    distractor: every coded sample has an AU, yet no planted AU is implied by the others' absence)."""
    present = [au for au in aus if rng.random() < 0.5]
    others = [au for au in AU_MOTION if au not in aus]
    if not present:
        present = [int(rng.choice(others if others else aus))]
    return {au: None for au in present}


def _au_cell(aus_sides, rng):
    tokens = []
    for au, side in aus_sides.items():
        token = f"{side or ''}{au}"
        if rng.random() < 0.15:
            token += str(rng.choice(list("ABCDE")))
        tokens.append(token)
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0])  # stored as an Excel number, as in the real sheet
    return "+".join(tokens)


def _emotion(aus) -> str:
    """The emotion a sample's AUs show (a known answer for recognition): AU12 happiness; AU1 + AU2 surprise;
    AU9, or AU4 with AU7, disgust; AU14, AU15 or AU17 repression; anything else (AU4 or AU7 alone …) others:
    CASME II's five classes, each learnable from the planted motion, others the largest as in CASME II."""
    if 12 in aus:
        return "happiness"
    if 1 in aus and 2 in aus:
        return "surprise"
    if 9 in aus or (4 in aus and 7 in aus):
        return "disgust"
    if 14 in aus or 15 in aus or 17 in aus:
        return "repression"
    return "others"


def generate(out, *, subjects: int = 26, samples: int = 255, intensity: float = 1.0, seed: int = 0,
             n_jobs: int = 1, progress: bool = False, plant=None, nuisance: Nuisance | None = None,
             like: str | None = None) -> Path:
    """Write a synthetic database to ``out`` (CASME II's layout and sheet, or ``like``'s); return the sheet's path.

    ``like`` (a database with a synth writer, default the default database) writes the same samples
    in that database's sheet format and folder layout, with its quirks (:mod:`meau.databases.likes`).

    By default each clip holds a CASME II-like combination of AUs. ``plant`` (AU numbers) plants
    each of these independently with probability 1/2, on both sides (a clip left without any gets
    one other AU): targets for checking where a model looks (class activation maps).
    ``nuisance`` (the ``subtle`` preset's :class:`Nuisance`, or your own) replaces ``intensity`` by
    a per-clip displacement and adds drift, blinks, its noise and JPEG quality; None is ``classic``.
    Deterministic for a seed (the same bytes for the same parameters and library versions).
    """
    from joblib import Parallel, delayed

    if subjects < 1 or samples < subjects:
        raise ValueError(f"need at least one sample per subject (subjects={subjects}, samples={samples})")
    if intensity < 0:
        raise ValueError(f"intensity must be >= 0, not {intensity}")
    like, writer = writer_of(like)
    if plant is not None:
        plant = sorted({int(au) for au in plant})
        unknown = [au for au in plant if au not in AU_MOTION]
        if unknown or not plant:
            raise ValueError(f"the synthetic database plants AUs {', '.join(map(str, AU_MOTION))}; "
                             f"cannot plant {', '.join(map(str, unknown)) or 'an empty list'}")
    out = Path(out)
    plan, slash_apex_row = _plan(seed, subjects, samples, plant)
    name_rows(writer, plan, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,))))

    def write_subject(subject_index):
        _write_subject(out, writer, plan, subject_index, seed, intensity, nuisance)

    indices = range(subjects)
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc="synth subjects", unit="subject")
    Parallel(n_jobs=n_jobs, backend="threading")(delayed(write_subject)(i) for i in indices)
    sheet = out / writer.sheet_name
    if writer.sheet_name:  # (SMIC has none: its folders are its labels)
        write_sheet(writer, sheet, plan, slash_apex_row)
    _write_landmarks(out / "landmarks.csv", plan, seed, [reader_key(like, row) for row in plan])
    (out / "synth.json").write_text(json.dumps(
        {"generator": GENERATOR_VERSION, "subjects": subjects, "samples": samples, "intensity": intensity,
         "preset": "classic" if nuisance is None else "subtle" if nuisance == PRESETS["subtle"] else "custom",
         "nuisance": None if nuisance is None else nuisance.as_dict(),
         "seed": seed, "plant": plant, "sheet": writer.sheet_name or None, "like": like,
         "layout": writer.layout or f"{like} (as distributed)"}, indent=2))
    return sheet


def _plan(seed: int, subjects: int, samples: int, plant) -> tuple[list[dict], int]:
    """The samples of every subject (AUs, onset/apex/offset, the sheet's cell and emotion), one ``?``
    cell, and the row whose apex the sheet leaves unknown; drawn from the seed's first stream."""
    plan_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    weights = plan_rng.gamma(2.0, 1.0, size=subjects)
    counts = 1 + plan_rng.multinomial(samples - subjects, weights / weights.sum())
    plan = []
    for subject_index, count in enumerate(counts):
        used_frames = 10
        for k in range(count):
            aus_sides = _draw_aus(plan_rng) if plant is None else _draw_planted(plan_rng, plant)
            length = int(plan_rng.integers(9, 19))
            onset = used_frames + int(plan_rng.integers(5, 60))
            apex = onset + int(round(length * plan_rng.uniform(0.3, 0.6)))
            offset = onset + length - 1
            used_frames = offset + FRAMES_AROUND + 1
            clip = f"EP{subject_index + 1:02d}_{k + 1:02d}" + ("f" if plan_rng.random() < 0.2 else "")
            plan.append(dict(index=subject_index, subject=f"{subject_index + 1:02d}", clip=clip, onset=onset, apex=apex,
                             offset=offset,
                             aus=aus_sides, cell=_au_cell(aus_sides, plan_rng), emotion=_emotion(aus_sides)))
    unknown_row = int(plan_rng.integers(len(plan)))
    plan[unknown_row]["cell"], plan[unknown_row]["aus"], plan[unknown_row]["emotion"] = "?", {}, "others"
    return plan, (unknown_row + len(plan) // 2) % len(plan)


def _write_subject(out: Path, writer, plan, subject_index: int, seed: int, intensity: float, nuisance) -> None:
    """Every clip of one subject: its face, each sample's frames, the writer's file names."""
    import cv2

    rng = np.random.default_rng(_subject_seed(seed, subject_index))
    face = _draw_face(rng)
    for row in (row for row in plan if row["index"] == subject_index):
        if nuisance is None:
            numbers, frames = render_clip(face, row["aus"], intensity, row["onset"], row["apex"], row["offset"], rng)
            quality = 85
        else:  # the nuisances' own stream: the AUs, faces and classic frames never depend on it
            nuisance_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(subject_index + 2, 1,
                                                                                         row["onset"])))
            clip_intensity = nuisance_rng.uniform(*nuisance.intensity_range)
            numbers, frames = render_clip(face, row["aus"], clip_intensity, row["onset"], row["apex"], row["offset"],
                                          rng, nuisance=nuisance, nuisance_rng=nuisance_rng)
            quality = nuisance.jpeg_quality
        quirks = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(subject_index + 2, 2, row["onset"])))
        for number, frame in zip(numbers, frames):
            if writer.dropped(row, number, quirks):
                continue
            path = out / writer.frame_path(row, number)
            path.parent.mkdir(parents=True, exist_ok=True)
            image = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if writer.grey else frame[..., ::-1]
            cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, quality])


def _write_landmarks(path: Path, plan, seed: int, keys) -> None:
    """``landmarks.csv`` as ``meau crop`` writes it: the 68 points of every sample's face (drawn, not detected)."""
    import pandas as pd

    from ..outputs import write_csv

    faces = {}
    rows = []
    for row, key in zip(plan, keys):
        face = faces.get(row["index"]) or faces.setdefault(row["index"], subject_face(seed, row["index"] + 1))
        for point, (x, y) in enumerate(face.landmarks):
            rows.append((key, point, round(x, 3), round(y, 3), round(x, 3), round(y, 3)))
    write_csv(path, pd.DataFrame(rows, columns=["sample", "point", "x_source", "y_source", "x", "y"]))


# --- long recordings (spotting) -------------------------------------------------------------------

MICRO_SECONDS, MACRO_SECONDS = (0.2, 0.5), (0.5, 4.0)
LONG_GENERATOR_VERSION = 3  # 2: the head's random walk per time, not per frame (30 fps unchanged); 3: emotions
# consistent with the AUs in the sheets (CAS(ME)^2's class column, SAMM's short sheet beside SAMM-LV; frames unchanged)


def _plan_recording(rng: np.random.Generator, frames: int, fps: float, gap: bool) -> tuple[list[dict], tuple | None]:
    """Planted expressions of one recording (non-overlapping, at least 0.8 s apart, half micro and half
    macro), and a stretch of 1 s without a face (``gap``) in a pause after the first of them."""
    events, t, no_face = [], int(rng.uniform(0.6, 1.2) * fps), None
    while True:
        kind = "micro" if rng.random() < 0.5 else "macro"
        low, high = MICRO_SECONDS if kind == "micro" else MACRO_SECONDS
        length = max(3, int(round(rng.uniform(low, min(high, 2.5 if kind == "macro" else high)) * fps)))
        if t + length + int(0.6 * fps) >= frames:
            break
        apex = t + int(round(length * rng.uniform(0.3, 0.6)))
        aus = _draw_aus(rng)
        events.append({"type": kind, "onset": t, "apex": apex, "offset": t + length - 1, "aus": aus,
                       "emotion": _emotion(aus)})
        t += length + int(rng.uniform(0.8, 2.0) * fps)
        if gap and no_face is None:  # the subject leaves the camera's view for a second
            no_face = (t - int(0.5 * fps), t + int(0.5 * fps) - 1)
            t += int(1.3 * fps)
    return events, no_face


def _render_recording(out: Path, writer, recording: dict, face: Face, rng: np.random.Generator, intensity,
                      nuisance: Nuisance | None) -> None:
    """Every frame of one recording: the face with its planted expressions (micro at ``intensity``,
    macro twice as wide), blinks and a slow head drift always, the subtle preset's noise and JPEG."""
    import cv2

    fps, count = writer.frame_rate, recording["frames"]
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    numbers = np.arange(count)
    drift = _drift_path(count, nuisance.drift if nuisance else 1.0, rng)
    # and a random walk of 0.05 px per 1/30 s: how far a head wanders is a matter of time, not of the camera's
    # frame rate (generator 1 stepped 0.05 px per frame, 2.6 times further per second at 200 fps than at 30)
    drift += np.cumsum(rng.normal(0, 0.05 * np.sqrt(30 / fps), size=(count, 2)), axis=0).astype(np.float32)
    blink = np.zeros(count)
    for start in np.cumsum(rng.uniform(2.0, 6.0, size=int(count / fps / 2) + 1) * fps).astype(int):
        length = max(3, int(0.15 * fps))
        if start + length < count:
            blink[start:start + length] = np.sin(np.pi * (np.arange(length) + 0.5) / length) ** 2
    motion = []
    for event in recording["events"]:
        scale = (intensity if nuisance is None else rng.uniform(*nuisance.intensity_range)) * \
            (2.0 if event["type"] == "macro" else 1.0)
        field, _ = displacement_fields(face, event["aus"])
        motion.append((field, (scale * profile(numbers, event["onset"], event["apex"], event["offset"])).astype(np.float32)))
    background = face.image.copy()
    background[:] = np.median(face.image.reshape(-1, 3)[:50], axis=0)  # the empty chair: no face at all
    noise, quality = (nuisance.noise, nuisance.jpeg_quality) if nuisance else (1.0, 85)
    gap = recording.get("no_face")
    for index in range(count):
        map_x, map_y = xs + drift[index, 0], ys + drift[index, 1]
        for field, amplitude in motion:
            if amplitude[index]:
                map_x = map_x - amplitude[index] * field[0]
                map_y = map_y - amplitude[index] * field[1]
        if gap and gap[0] <= index <= gap[1]:
            image = background
        else:
            image = face.image if blink[index] == 0 else _closed_eyes(face, blink[index])
        warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        warped += rng.normal(0, noise, size=warped.shape).astype(np.float32)
        frame = np.clip(warped + 0.5, 0, 255).astype(np.uint8)
        path = out / writer.frame_path(recording, index + writer.first_frame)
        path.parent.mkdir(parents=True, exist_ok=True)
        image_out = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if writer.grey else frame[..., ::-1]
        cv2.imwrite(str(path), image_out, [cv2.IMWRITE_JPEG_QUALITY, quality])


def generate_long(out, *, like: str, subjects: int = 6, videos: int = 2, seconds: float = 60.0,
                  intensity: float = 8.0, seed: int = 0, n_jobs: int = 1, progress: bool = False,
                  nuisance: Nuisance | None = None) -> Path:
    """Write synthetic long recordings in a long-video database's sheet format and layout; return the sheet.

    Each subject has ``videos`` recordings of ``seconds`` at the database's frame rate holding planted
    micro-expressions (0.2-0.5 s, apex displacement ``intensity`` px at 170 x 140) and macro-expressions
    (0.5-2.5 s, twice as wide), with their AUs, blinks and a slow head drift; the first subject's first
    recording also holds a second without a face. ``nuisance`` (the subtle preset) draws each
    expression's displacement from its range and adds its noise and JPEG quality. ``landmarks.csv``
    holds the drawn faces' 68 points for every interval. Deterministic for a seed.
    """
    from joblib import Parallel, delayed

    from .database import get
    from .likes import LongWriter, reader_key, write_long_sheet

    try:
        writer = get(like).synth
    except ValueError:
        writer = None
    if not isinstance(writer, LongWriter):
        raise ValueError(f"synth --like {like}: not a long-video database")
    if subjects < 1 or videos < 1 or seconds < 2:
        raise ValueError(f"need at least one subject, one video and 2 s (subjects={subjects}, videos={videos}, "
                         f"seconds={seconds})")
    out = Path(out)
    recordings, intervals = [], []
    for subject_index in range(subjects):
        for video_index in range(videos):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(subject_index + 2, 3, video_index)))
            frames = int(round(seconds * writer.frame_rate))
            events, no_face = _plan_recording(rng, frames, writer.frame_rate, subject_index == 0 and video_index == 0)
            recording = {"index": subject_index, "video_index": video_index, "frames": frames, "events": events,
                         "no_face": no_face}
            writer.name_recording(recording, subject_index, video_index)
            for number, event in enumerate(events, start=1):
                intervals.append({**event, "onset": event["onset"] + writer.first_frame,
                                  "apex": event["apex"] + writer.first_frame,
                                  "offset": event["offset"] + writer.first_frame, "number": number,
                                  **{key: recording[key] for key in recording if key not in ("events", "frames")}})
            recordings.append(recording)

    def render(recording):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(recording["index"] + 2, 4,
                                                                            recording["video_index"])))
        face = subject_face(seed, recording["index"] + 1)
        _render_recording(out, writer, recording, face, rng, intensity, nuisance)

    items = recordings
    if progress:
        from tqdm import tqdm

        items = tqdm(recordings, desc="synth recordings", unit="recording")
    Parallel(n_jobs=n_jobs, backend="threading")(delayed(render)(recording) for recording in items)
    sheet = out / writer.sheet_name
    write_long_sheet(writer, sheet, intervals)
    writer.write_emotions(out, intervals)
    _write_landmarks(out / "landmarks.csv", intervals, seed, [reader_key(like, row) for row in intervals])
    (out / "synth.json").write_text(json.dumps(
        {"generator": LONG_GENERATOR_VERSION, "kind": "long recordings", "subjects": subjects, "videos": videos,
         "seconds": seconds, "frame_rate": writer.frame_rate, "intensity": intensity,
         "preset": "classic" if nuisance is None else "subtle" if nuisance == PRESETS["subtle"] else "custom",
         "seed": seed, "sheet": sheet.name, "like": like,
         "intervals": {"micro": sum(i["type"] == "micro" for i in intervals),
                       "macro": sum(i["type"] == "macro" for i in intervals)},
         "no_face": [[r["subject"], r["clip"], r["no_face"][0] + writer.first_frame,
                      r["no_face"][1] + writer.first_frame] for r in recordings if r["no_face"]]}, indent=2))
    return sheet
