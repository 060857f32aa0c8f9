"""Frames -> clips: loading, grey conversion, resizing, the Temporal Interpolation Model, caching.

Shapes: a grey clip is ``(T, H, W)``, a colour clip ``(T, H, W, 3)`` in RGB order.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .errors import ClipError, FrameError

LUMA_601 = np.array([0.299, 0.587, 0.114])


JPEG_SUFFIXES = (".jpg", ".jpeg")


def frame_header(path) -> tuple[tuple[int, int] | None, str | None]:
    """``((height, width) or None, problem or None)`` of an image file, from its first and last bytes.

    Cheap (no decoding): finds what would otherwise be decoded silently into a half-grey frame or
    fail late: a missing, unreadable or empty file, a JPEG without its end-of-image marker
    (truncated: libjpeg's "Premature end of JPEG file"), a PNG without its IEND chunk. JPEG and PNG
    sizes come from their headers; other formats give ``None`` as the size.
    """
    path = Path(path)
    try:
        head, tail, size = _file_ends(path, 65536, 64)
    except FileNotFoundError:
        return None, "missing"
    except OSError as error:
        return None, f"unreadable ({error.strerror or error})"
    return _header_problem(head, tail, size, path.suffix)


def _file_ends(path, head: int, tail: int) -> tuple[bytes, bytes, int]:
    """(the first ``head`` bytes, the last ``tail`` bytes, the size) of a file, reading nothing else."""
    with open(path, "rb") as handle:
        first = handle.read(head)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - tail))
        return first, handle.read(), size


def _header_problem(head: bytes, tail: bytes, size: int, suffix: str) -> tuple[tuple[int, int] | None, str | None]:
    """:func:`frame_header` on bytes already read: the first (up to 64 KiB) and the last 64 of ``size``."""
    if size == 0:
        return None, "empty file (0 bytes)"
    if head[:2] == b"\xff\xd8":
        if not tail.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
            return None, "truncated JPEG (no end-of-image marker)"
        return _jpeg_size(head), None
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        if b"IEND" not in tail:
            return None, "truncated PNG (no IEND chunk)"
        return (int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")), None
    if suffix.lower() in JPEG_SUFFIXES:
        return None, "not a JPEG (no start-of-image marker)"
    return None, None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """(height, width) from the first start-of-frame segment, or None if it lies beyond ``head``."""
    i = 2
    while i + 9 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(head[i + 5 : i + 7], "big"), int.from_bytes(head[i + 7 : i + 9], "big")
        i += 2 + int.from_bytes(head[i + 2 : i + 4], "big")
    return None


def check_frames(paths) -> str | None:
    """The first problem of a clip's frame files (``'FILE: reason'``), or None: see :func:`frame_header`.

    A frame whose size differs from the clip's most common size is a problem too.
    """
    from collections import Counter

    sizes = []
    for path in paths:
        shape, problem = frame_header(path)
        if problem:
            return f"{path}: {problem}"
        sizes.append(shape)
    known = Counter(size for size in sizes if size is not None)
    if len(known) > 1:
        common = known.most_common(1)[0][0]
        odd, size = next((path, size) for path, size in zip(paths, sizes) if size is not None and size != common)
        return f"{odd}: frame size {size[0]} x {size[1]} differs from the clip's {common[0]} x {common[1]}"
    return None


def read_image(path, *, color: bool = False) -> np.ndarray:
    """One image file as uint8 (grey with ITU-R 601 luma, or RGB); a FrameError names what is wrong."""
    import cv2

    path = Path(path)
    try:
        data = path.read_bytes()  # read once: checked, then decoded from memory
    except FileNotFoundError:
        raise FrameError(f"{path}: missing") from None
    except OSError as error:
        raise FrameError(f"{path}: unreadable ({error.strerror or error})") from None
    _, problem = _header_problem(data[:65536], data[-64:], len(data), path.suffix)
    if problem:
        raise FrameError(f"{path}: {problem}")
    flags = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE  # OpenCV's grey is the 601 luma
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if image is None:
        raise FrameError(f"{path}: unreadable (corrupt or not an image)")
    return image[..., ::-1] if color else image


def read_frames(paths, *, color: bool = False) -> np.ndarray:
    """Read image files into a uint8 clip (grey with ITU-R 601 luma, or RGB).

    Raises
    ------
    FrameError
        A file is missing, empty, truncated, corrupt or not an image, or frames differ in size; the
        message names the file.
    """
    frames = []
    for path in paths:
        image = read_image(path, color=color)
        if frames and image.shape != frames[0].shape:
            raise FrameError(f"{path}: frame size {image.shape[:2]} differs from the clip's {frames[0].shape[:2]}")
        frames.append(image)
    if not frames:
        raise FrameError("no frames to read")
    return np.ascontiguousarray(np.stack(frames))


def to_grey(clip: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an RGB clip ``(..., 3)``, as float32."""
    return (np.asarray(clip, np.float32) @ LUMA_601.astype(np.float32)).astype(np.float32)


def resize_clip(clip: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize every frame to ``size = (height, width)`` (area averaging when shrinking)."""
    import cv2

    height, width = size
    if clip.shape[1:3] == (height, width):
        return clip
    shrinking = clip.shape[1] > height or clip.shape[2] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.stack([cv2.resize(frame, (width, height), interpolation=interpolation) for frame in clip])


def resize_short_side(clip: np.ndarray, short: int) -> np.ndarray:
    height, width = clip.shape[1:3]
    scale = short / min(height, width)
    return resize_clip(clip, (int(round(height * scale)), int(round(width * scale))))


def drop_duplicate_frames(clip: np.ndarray) -> np.ndarray:
    """Remove frames identical to the previous kept frame."""
    keep = [0] + [t for t in range(1, len(clip)) if not np.array_equal(clip[t], clip[t - 1])]
    return clip[keep]


def tim(clip: np.ndarray, n_out: int, *, duplicates: str = "error", dtype=None) -> np.ndarray:
    """Temporal Interpolation Model (Zhou, Zhao & Pietikäinen 2011; Pfister et al. 2011).

    Frames are the columns of X (m x n); X - mean = U S V^T (economy SVD, n - 1 components kept),
    Q = S V^T; the path-graph Laplacian's eigenvectors y_k(t) = sin(pi k t / n + pi (n - k) / (2n))
    define W = (Q Q^T)^-1 Q Y and the curve F(s)_k = sin(pi k s + pi (n - k) / (2n)); output j at
    pos = j / (n_out - 1) is x(s) = U (W^T \\ (F(s) * m)) + mean with s = pos (1 - 1/n) + 1/n.
    The first and last input frames are reproduced, and ``n_out == n`` returns the clip.

    Parameters
    ----------
    clip : array (T, H, W) or (T, H, W, C)
        Colour channels are interpolated jointly (one model for the stacked channels).
    n_out : int
    duplicates : {'error', 'drop'}
        Linearly dependent frames make the model undefined: raise a ClipError, or drop frames equal
        to their predecessor first.
    dtype : numpy dtype, optional
        ``np.uint8`` rounds then clips to [0, 255]; default float64.

    References
    ----------
    Z. Zhou, G. Zhao, M. Pietikäinen, "Towards a practical lipreading system", CVPR 2011.
    """
    clip = np.asarray(clip)
    if n_out < 1:
        raise ClipError(f"TIM: n_out must be >= 1, not {n_out}")
    if duplicates not in ("error", "drop"):
        raise ValueError(f"duplicates must be 'error' or 'drop', not {duplicates!r}")
    if duplicates == "drop":
        clip = drop_duplicate_frames(clip)
    n = len(clip)
    if n < 2:
        raise ClipError(f"TIM needs at least 2 distinct frames, got {n}")
    frame_shape = clip.shape[1:]
    X = clip.reshape(n, -1).astype(np.float64).T  # m x n
    mean = X.mean(axis=1, keepdims=True)
    U, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    if S[n - 2] <= 1e-9 * max(S[0], 1e-300):
        raise ClipError("TIM: frames are linearly dependent (duplicate frames?); the model is undefined "
                        "(drop duplicates first, e.g. duplicates='drop')")
    U = U[:, : n - 1]
    Q = S[: n - 1, None] * Vt[: n - 1]  # (n-1) x n
    k = np.arange(1, n)
    t = np.arange(1, n + 1)
    phase = np.pi * (n - k) / (2 * n)
    Y = np.sin(np.pi * np.outer(t, k) / n + phase)  # n x (n-1)
    W = np.linalg.solve(Q @ Q.T, Q @ Y)  # (n-1) x (n-1)
    m = (Q[:, 0] @ W) / np.sin(np.pi * k / n + phase)
    positions = np.linspace(0.0, 1.0, n_out) if n_out > 1 else np.zeros(1)
    s = positions * (1 - 1 / n) + 1 / n
    F = np.sin(np.pi * np.outer(s, k) + phase) * m  # n_out x (n-1)
    Z = np.linalg.solve(W.T, F.T)  # (n-1) x n_out
    out = (U @ Z + mean).T.reshape((n_out,) + frame_shape)
    if dtype is not None and np.dtype(dtype) == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(dtype) if dtype is not None else out


def uniform_indices(length: int, count: int) -> np.ndarray:
    """``round(linspace(0, length - 1, count))``: the deep pipeline's temporal sampling."""
    return np.rint(np.linspace(0, length - 1, count)).astype(int)


def frames_digest(paths) -> str:
    """SHA-256 over the frame files' bytes, in order: the content part of every cache key."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def frames_fingerprint(paths) -> str:
    """SHA-256 over every frame file's name, size and first and last 4 KiB: the content part of the
    cache key of a long recording, whose thousands of frames would take minutes to hash whole."""
    digest = hashlib.sha256()
    for path in paths:
        head, tail, size = _file_ends(path, 4096, 4096)
        digest.update(Path(path).name.encode() + size.to_bytes(8, "little") + head + tail)
    return digest.hexdigest()


def content_key(paths, parameters: dict, *, digest: str | None = None) -> str:
    """A cache key from the frame files' bytes (or their precomputed ``digest``) and the parameters."""
    key = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode())
    key.update(bytes.fromhex(digest or frames_digest(paths)))
    return key.hexdigest()[:32]


def preprocess(clip: np.ndarray, *, size=(128, 128), tim_frames: int | None = 10, duplicates: str = "drop",
               short_side: int | None = None, name: str = "clip", magnify: dict | None = None) -> np.ndarray:
    """A uint8 clip -> resized (to ``size`` or to a short side), magnified (``magnify``: the settings
    of :class:`meau.magnify.Magnification`, None for none) and interpolated to ``tim_frames`` (TIM)."""
    if short_side:
        clip = resize_short_side(clip, short_side)
    elif size:
        clip = resize_clip(clip, tuple(size))
    if magnify:
        from .magnify import magnify_clip

        clip = magnify_clip(clip, magnify)
    if tim_frames:
        try:
            clip = tim(clip, tim_frames, duplicates=duplicates, dtype=np.uint8)
        except ClipError as error:
            raise ClipError(f"{name}: {error}") from None
    return clip


def load_clip(paths, *, color: bool = False, size=(128, 128), tim_frames: int | None = 10,
              duplicates: str = "drop", short_side: int | None = None, magnify: dict | None = None) -> np.ndarray:
    """Frame files -> a uint8 clip: read, then :func:`preprocess`."""
    clip = read_frames(paths, color=color)
    return preprocess(clip, size=size, tim_frames=tim_frames, duplicates=duplicates, short_side=short_side,
                      name=str(Path(paths[0]).parent), magnify=magnify)


FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
DEFAULT_FPS = 30.0  # the frame rate assumed for a folder of frames, which does not say its own


def input_rate(path, fps: float | None, *, force: bool = False) -> tuple[float, str]:
    """(frame rate, where it comes from) of a video or frame folder, as ``predict`` and ``spot --run`` take it: a
    video's own rate (an ``fps`` that differs from it is a FrameError unless ``force``), ``fps`` for a frame
    folder, else :data:`DEFAULT_FPS`, said (``assumed: …``)."""
    from .errors import FrameError

    own = frame_rate(path) if Path(path).is_file() else None
    if own and fps and abs(fps - own) > 1e-6 and not force:
        raise FrameError(f"{path}: the video says {own:g} fps and --fps says {fps:g}: give --force-fps to use "
                         f"{fps:g}, or drop --fps")
    if fps:
        return float(fps), "--fps"
    if own:
        return float(own), "the video's"
    return DEFAULT_FPS, "assumed: a frame folder does not say its rate, give --fps"


def frame_rate(item) -> float | None:
    """A video's frame rate from its container (None for a frame folder or an unknown rate)."""
    import cv2

    if Path(item).is_dir():
        return None
    capture = cv2.VideoCapture(str(item))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    return float(fps) if fps and np.isfinite(fps) and fps > 0 else None



def folder_frames(folder) -> list[tuple[int, Path]]:
    """(number, path) of a folder's frame images, sorted by the last number in their names."""
    import re

    numbered = []
    for entry in Path(folder).iterdir():
        if entry.suffix.lower() in FRAME_SUFFIXES and entry.is_file():
            numbers = re.findall(r"\d+", entry.stem)
            numbered.append((int(numbers[-1]) if numbers else -1, entry.name, entry))
    if not numbered:
        raise FrameError(f"{folder}: no frame images in the folder")
    return [(number, entry) for number, _, entry in sorted(numbered)]


def frames_of_input(path, onset: int | None = None, offset: int | None = None, *, color: bool = True) -> np.ndarray:
    """A folder of frame images (sorted by the last number in their names) or a video file -> uint8 clip.

    ``onset``/``offset`` select frames by the number in the file names (folders) or by 0-based index
    (videos), inclusive.
    """
    import cv2

    path = Path(path)
    if path.is_dir():
        selected = [entry for number, entry in folder_frames(path)
                    if (onset is None or number >= onset) and (offset is None or number <= offset)]
        if not selected:
            raise FrameError(f"{path}: no frame numbered {onset}..{offset}")
        return read_frames(selected, color=color)
    if not path.exists():
        raise FrameError(f"{path}: no such file or folder")
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if (onset is None or index >= onset) and (offset is None or index <= offset):
                frames.append(frame[..., ::-1] if color else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
            index += 1
    finally:
        capture.release()
    if not frames:
        raise FrameError(f"{path}: unreadable video (or no frame in {onset}..{offset})")
    return np.ascontiguousarray(np.stack(frames))


class ClipCache:
    """Preprocessed clips as ``.npy`` files keyed by frame content and parameters."""

    def __init__(self, folder):
        self.folder = Path(folder) if folder else None

    def load(self, paths, *, digest: str | None = None, **parameters) -> np.ndarray:
        """The preprocessed clip; ``digest`` (from :func:`frames_digest`) spares hashing the frames again."""
        if self.folder is None:
            return load_clip(paths, **parameters)
        key = content_key(paths, {"clip": parameters, "v": 1}, digest=digest)
        path = self.folder / "clips" / f"{key}.npy"
        if path.exists():
            try:
                return np.load(path)
            except (ValueError, OSError):
                pass  # a damaged cache file is rebuilt
        clip = load_clip(paths, **parameters)
        from .outputs import atomic_path

        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, clip)
        return clip
