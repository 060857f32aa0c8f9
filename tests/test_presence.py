"""Where the face is in your own recordings: the face detector decides, at known frames of generated videos whose
face appears late, leaves for a cartoon, is covered by a hand, or is never there."""

from __future__ import annotations

import numpy as np
import pytest

from .faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix

pytest.importorskip("dlib")


def _frames(plan: str, shape=(120, 160)):
    """One frame per letter: F the face, C a cartoon (no face), H the face under a hand, E an empty chair."""
    head = astronaut_head()
    background = cluttered_background(shape, seed=3)
    cartoon = cluttered_background(shape, seed=9)
    matrix = paste_matrix(0.0, 0.5, (shape[1] / 2, shape[0] / 2), head.shape)  # a face of about 60 px
    face = paste(background, head, matrix)
    covered = face.copy()
    covered[25:100, 45:120] = (205, 170, 150)  # a hand over the face
    chair = background.copy()
    rng = np.random.default_rng(0)  # sensor noise: no two frames alike, as in a camera's
    return [np.clip({"F": face, "C": cartoon, "H": covered, "E": chair}[letter] + rng.normal(0, 2, face.shape), 0,
                    255).astype(np.uint8) for letter in plan]


def _video(path, plan: str, fps: int = 25):
    """A lossless video of :func:`_frames` at ``fps``."""
    import cv2

    frames = _frames(plan)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (frames[0].shape[1], frames[0].shape[0]))
    for frame in frames:
        writer.write(frame[..., ::-1])
    writer.release()
    return path


@pytest.mark.parametrize("plan,missing", [
    ("F" * 73 + "C" * 96, [(73, 168)]),  # the face leaves for a cartoon: the reported case, not inverted
    ("E" * 96 + "F" * 40, [(0, 95)]),  # the face arrives late
    ("F" * 30 + "H" * 25 + "F" * 30, [(30, 54)]),  # a hand covers it
])
def test_presence_comes_from_the_detector(plan, missing):
    from meau.presence import detect_presence

    presence = detect_presence(_frames(plan), 25.0)
    assert presence.stretches() == missing
    assert presence.searched < len(plan)  # five frames a second and the edges, not every frame


def test_a_missed_detection_between_two_faces_is_filled_in_but_a_cover_is_not():
    from meau.presence import detect_presence

    frames = _frames("F" * 40)
    seen = {"calls": 0}
    from meau.faces import detect_faces

    def detect(frame):  # the detector misses frames 10-14 (a small face found in some frames only)
        index = next(i for i, f in enumerate(frames) if f is frame)
        seen["calls"] += 1
        if 10 <= index <= 14:
            return None
        found = detect_faces(frame)
        return found[0][0] if found else None

    presence = detect_presence(frames, 25.0, detect=detect)
    assert presence.present.all() and seen["calls"] < 40
    covered = _frames("F" * 10 + "H" * 5 + "F" * 10)
    assert detect_presence(covered, 25.0).stretches() == [(10, 14)]


def test_a_recording_without_a_face_is_searched_in_every_frame_before_it_is_called_faceless():
    from meau.presence import detect_presence

    presence = detect_presence(_frames("C" * 30), 25.0)
    assert not presence.present.any() and presence.searched == 30


def test_the_first_face_search_finds_a_face_seen_between_its_coarse_steps(monkeypatch):
    """The detector finds the face in frame 3 only (a small face that flickers): the coarse search (frames 0, 5, 10,
    15, 19) misses it, the search of every other frame does not; a long faceless recording is not searched in
    every frame."""
    import meau.faces
    from meau.crop import EXHAUSTIVE_STEPS, first_face

    searched = []

    def detect_faces(frame):
        searched.append(frame)
        return [((0, 0, 1, 1), 1.0)] if frame == 3 else []

    monkeypatch.setattr(meau.faces, "detect_faces", detect_faces)
    monkeypatch.setattr(meau.faces, "find_face", lambda frame: "face" if frame == 3 else None)
    assert first_face(list(range(20)), 5) == (3, "face")
    searched.clear()
    assert first_face(list(range(EXHAUSTIVE_STEPS * 5 + 1)), 5) == (None, None)
    assert len(searched) == EXHAUSTIVE_STEPS + 1  # the coarse search only
