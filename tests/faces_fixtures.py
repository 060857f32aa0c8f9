"""Raw clips built from a real face photograph (scikit-image's astronaut): known pose, drift, clutter."""

from __future__ import annotations

import numpy as np

FACE_BOX = (40, 130, 240, 330)  # top, left, bottom, right of the head in skimage.data.astronaut()


def astronaut_head() -> np.ndarray:
    from skimage import data

    top, left, bottom, right = FACE_BOX
    return np.ascontiguousarray(data.astronaut()[top:bottom, left:right])


def paste_matrix(angle_deg: float, scale: float, centre_xy, head_shape) -> np.ndarray:
    """2 x 3 matrix (head pixels -> frame pixels): rotate by angle (counter-clockwise on screen), scale,
    and put the head's centre at ``centre_xy``."""
    height, width = head_shape[:2]
    theta = np.deg2rad(angle_deg)
    rotation = scale * np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    translation = np.asarray(centre_xy, dtype=float) - rotation @ centre
    return np.hstack([rotation, translation[:, None]])


def cluttered_background(shape, seed: int) -> np.ndarray:
    """Rectangles and blurred noise: edges everywhere, no face."""
    import cv2

    rng = np.random.default_rng(seed)
    height, width = shape
    frame = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3)).astype(np.uint8), (0, 0), 3)
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(10, 120)), int(rng.integers(10, 120))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, -1 if rng.random() < 0.5 else 3)
    return frame


def paste(background: np.ndarray, head: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    import cv2

    height, width = background.shape[:2]
    warped = cv2.warpAffine(head, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.full(head.shape[:2], 255, np.uint8), matrix, (width, height), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    return np.clip(np.rint(warped * alpha + background * (1 - alpha)), 0, 255).astype(np.uint8)


def head_eyes() -> tuple[np.ndarray, np.ndarray]:
    """The eye centres of the head image (dlib's points on the unmodified photograph)."""
    from meau.faces import find_face

    return find_face(astronaut_head()).eyes


def apply(matrix: np.ndarray, point) -> np.ndarray:
    return matrix[:, :2] @ np.asarray(point, dtype=float) + matrix[:, 2]
