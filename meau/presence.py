"""Where the face is in a recording of your own, from the face detector.

Five frames a second are searched with dlib's detector (the one ``meau crop`` uses); where two searched
frames disagree, the frames between them are bisected with the detector, so each edge of a stretch without
the face is a detected edge. A stretch the detector missed between two frames with a face is filled in only
where it looks like the face next to it (normalised cross-correlation of the face's box >= 0.5: a small face
that the detector finds in some frames only); a covered face, a cut to other pictures or an empty chair stay
missing. The similarity heuristic only fills in between detections, never inverts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SEARCHES_PER_SECOND = 5
EXHAUSTIVE_SECONDS = 10  # a recording this short is searched in every frame before it is called faceless
FILL_THRESHOLD = 0.5


@dataclass
class Presence:
    """Per frame, whether the face is there; ``searched``: how many frames the detector looked at."""

    present: np.ndarray
    searched: int
    boxes: dict = field(default_factory=dict)  # frame index -> the detected face's box

    def faceless_message(self, path) -> str:
        """The one line for a recording in which no searched frame holds a face: which frames were searched."""
        count = len(self.present)
        if self.searched >= count:
            return f"{path}: no face found in any of its {count} frames (every frame searched)"
        return (f"{path}: no face found in the {self.searched} of its {count} frames searched ({SEARCHES_PER_SECOND} a "
                f"second; a recording of up to {EXHAUSTIVE_SECONDS} s is searched in every frame)")

    def stretches(self) -> list[tuple[int, int]]:
        """Runs of frames without the face, as (first, last) frame indices."""
        missing = np.concatenate([[False], ~self.present, [False]])
        edges = np.flatnonzero(np.diff(missing.astype(np.int8)))
        return [(int(start), int(end) - 1) for start, end in zip(edges[::2], edges[1::2])]

    def summary(self, numbers, fps: float) -> dict:
        """What ``recordings.csv`` says: frames without the face, their share, and the stretches in frame
        numbers and seconds from the first frame."""
        stretches = self.stretches()
        missing = int((~self.present).sum())
        frames = "; ".join(f"{numbers[a]}-{numbers[b]}" for a, b in stretches)
        seconds = "; ".join(f"{a / fps:.2f}-{(b + 1) / fps:.2f}" for a, b in stretches)
        return {"frames_without_face": missing, "share_without_face": round(missing / max(len(self.present), 1), 4),
                "stretches_without_face": frames, "stretches_without_face_s": seconds}


def detect_presence(frames, fps: float, *, detect=None) -> Presence:
    """:class:`Presence` of a recording's frames (images as read) at ``fps`` (see the module)."""
    if detect is None:
        from .faces import detect_each

        def search(indices):  # the detector on every core at once
            return [found[0][0] if found else None for found in detect_each(frames, indices)]
    else:
        def search(indices):
            return [detect(frames[index]) for index in indices]

    count = len(frames)
    step = max(1, int(round(fps / SEARCHES_PER_SECOND)))
    boxes: dict = {}

    def search_all(indices):
        indices = [index for index in indices if index not in boxes]
        boxes.update(zip(indices, search(indices)))

    def box_at(index):
        search_all([index])
        return boxes[index]

    samples = sorted(set(range(0, count, step)) | {count - 1}) if count else []
    search_all(samples)
    if not any(box is not None for box in boxes.values()) and count <= EXHAUSTIVE_SECONDS * fps:
        search_all(range(count))  # a short recording is called faceless only once every frame was searched
    for a, b in zip(samples, samples[1:]):  # an edge between two searched frames: bisected with the detector
        low, high = a, b
        while high - low > 1 and (box_at(low) is None) != (box_at(high) is None):
            middle = (low + high) // 2
            if (box_at(middle) is None) == (box_at(low) is None):
                low = middle
            else:
                high = middle
    present = np.zeros(count, bool)
    known = sorted(boxes)
    for a, b in zip(known, known[1:]):  # bisected: two searched frames further apart than one frame agree
        present[a:b] = boxes[a] is not None
    if known:
        present[known[-1]] = boxes[known[-1]] is not None
    _fill_missed(frames, present, boxes)
    return Presence(present, len(boxes), {i: box for i, box in boxes.items() if box is not None})


def face_presence(frames, fps: float, path) -> Presence:
    """:func:`detect_presence` of a recording that must show a face somewhere: a FrameError naming ``path`` and
    the frames searched when the detector finds it in none (``predict`` and ``spot --run`` alike)."""
    from .errors import FrameError

    presence = detect_presence(frames, fps)
    if not presence.present.any():
        raise FrameError(presence.faceless_message(path))
    return presence


def _fill_missed(frames, present: np.ndarray, boxes: dict) -> None:
    """A stretch without a detection between two frames with a face, that looks like the face before it
    (the middle frame's box region against the frame before the stretch), is a face the detector missed."""
    stretches = Presence(present, 0).stretches()
    for first, last in stretches:
        before, after = first - 1, last + 1
        if before < 0 or after >= len(present) or boxes.get(before) is None or boxes.get(after) is None:
            continue
        if _similarity(frames[before], frames[(first + last) // 2], boxes[before]) >= FILL_THRESHOLD:
            present[first:last + 1] = True


def _similarity(reference, frame, box) -> float:
    """Normalised cross-correlation of two frames' grey pixels inside ``box``."""
    from .video import to_grey

    def region(image):
        image = np.asarray(image, dtype=np.float32)
        grey = to_grey(image) if image.ndim == 3 else image
        left, top, right, bottom = (int(v) for v in box)
        height, width = grey.shape[:2]
        crop = grey[max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
        return crop - crop.mean()

    a, b = region(reference), region(frame)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float((a * b).sum() / norm) if a.size and norm > 0 else 0.0
