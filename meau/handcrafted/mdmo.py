"""MDMO: main directional mean optical flow over 36 landmark regions (Liu, Zhang, Yan, Wang, Zhao,
Fu; IEEE TAC 2016), the landmark method of MEB's benchmark.

For each frame i = 2..n, the dense flow from frame 1 to frame i (Farneback, as MEB). Per region
(:data:`meau.faces.MDMO_REGIONS`, from the 68 points of the first frame), the flow vectors' angles
are binned into 8 directions centred on 0, π/4, …, 7π/4; the fullest bin is the main direction,
and the region's vector for frame i is the mean magnitude and mean angle of the vectors in that
bin. The clip's feature averages the per-frame vectors in Cartesian form over the frames (equal
weights, as the paper; MEB weights frame i by Σθ/Σρ, which looks like a slip for Σρ), turns them
back to polar, and divides ρ by its maximum over the 36 regions: 72 values, 36 ρ then 36 θ.

Angle convention: θ is measured counter-clockwise from the image's +x axis with y pointing *up*
(θ = atan2(−v, u), in [0, 2π)), so a region moving up has θ = π/2 although image rows grow
downwards.

Head motion (``head_motion='affine'``, the paper's option): before the regions are read, each flow
field loses the affine motion fitted (least squares) to its vectors at the stable points of the
face (the jaw's points 0-5 and 11-16 and the nose tip 30, as the paper's contour points), so a
head that drifts does not become every region's main direction.
"""

from __future__ import annotations

import numpy as np

from ..errors import ClipError

DIRECTIONS = 8
STABLE_POINTS = (0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16, 30)


def remove_head_motion(flow: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``flow`` (H x W x 2) minus the affine motion fitted to it at the stable landmark points."""
    height, width = flow.shape[:2]
    stable = np.asarray(points, dtype=np.float64)[list(STABLE_POINTS)]
    xs = np.clip(np.rint(stable[:, 0]).astype(int), 0, width - 1)
    ys = np.clip(np.rint(stable[:, 1]).astype(int), 0, height - 1)
    design = np.column_stack([xs, ys, np.ones(len(xs))])
    # the median vector of a 7 x 7 window at each point: one pixel's flow is noisy on a face's edge
    motion = np.array([np.median(flow[max(y - 3, 0):y + 4, max(x - 3, 0):x + 4].reshape(-1, 2), axis=0)
                       for x, y in zip(xs, ys)], dtype=np.float64)
    coefficients, *_ = np.linalg.lstsq(design, motion, rcond=None)  # 3 x 2: (u, v) = [x, y, 1] @ C
    grid_y, grid_x = np.mgrid[0:height, 0:width]
    fitted = np.stack([grid_x, grid_y, np.ones_like(grid_x)], axis=-1) @ coefficients
    return (flow - fitted).astype(np.float32)


def region_motion(u: np.ndarray, v: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(36 x 2) main-direction (ρ̄, θ̄) per region of one flow field (u, v: H x W, image pixels)."""
    rho = np.hypot(u, v)
    theta = np.mod(np.arctan2(-v, u), 2 * np.pi)
    bins = np.mod(np.floor((theta + np.pi / DIRECTIONS) / (2 * np.pi / DIRECTIONS)), DIRECTIONS).astype(np.int64)
    result = np.zeros((len(masks), 2))
    flat_bins, flat_rho, flat_theta = bins.ravel(), rho.ravel(), theta.ravel()
    for index, mask in enumerate(masks.reshape(len(masks), -1)):
        if not mask.any():
            continue
        region_bins = flat_bins[mask]
        main = int(np.argmax(np.bincount(region_bins, minlength=DIRECTIONS)))
        chosen = region_bins == main
        angles = flat_theta[mask][chosen]
        if main == 0:  # the bin around 0 wraps: average angles in (-π/8, π/8]
            angles = np.where(angles > np.pi, angles - 2 * np.pi, angles)
        result[index] = flat_rho[mask][chosen].mean(), np.mod(angles.mean(), 2 * np.pi)
    return result


def mdmo(clip: np.ndarray, points: np.ndarray, *, method: str = "farneback", head_motion: str = "none") -> np.ndarray:
    """The 72-value MDMO feature of a grey clip.

    Parameters
    ----------
    clip : uint8 array (T, H, W)
        The aligned face clip, T >= 2.
    points : array (68, 2)
        The 68 landmarks of the first frame, in the clip's pixels (x, y).
    head_motion : {'none', 'affine'}
        Remove the affine motion of the stable points from every flow field first (see the module).

    Returns
    -------
    float32 array (72,): ρ of the 36 regions (max 1), then θ in radians (see the module).
    """
    from ..faces import region_masks
    from ..flow import optical_flow

    clip = np.asarray(clip)
    if clip.ndim != 3 or len(clip) < 2:
        raise ClipError(f"MDMO needs a grey clip of at least 2 frames, got shape {clip.shape}")
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ClipError(f"MDMO needs the 68 landmarks (68 x 2), got {points.shape}")
    if head_motion not in ("none", "affine"):
        raise ClipError(f"head_motion must be 'none' or 'affine', not {head_motion!r}")
    masks = region_masks(points, clip.shape[1:])
    first = np.ascontiguousarray(clip[0], dtype=np.uint8)
    cartesian = np.zeros((len(masks), 2))
    for frame in clip[1:]:
        flow = optical_flow(first, np.ascontiguousarray(frame, dtype=np.uint8), method)
        if head_motion == "affine":
            flow = remove_head_motion(flow, points)
        rho_theta = region_motion(flow[..., 0], flow[..., 1], masks)
        cartesian += np.stack([rho_theta[:, 0] * np.cos(rho_theta[:, 1]), rho_theta[:, 0] * np.sin(rho_theta[:, 1])], 1)
    cartesian /= len(clip) - 1
    rho = np.hypot(cartesian[:, 0], cartesian[:, 1])
    theta = np.mod(np.arctan2(cartesian[:, 1], cartesian[:, 0]), 2 * np.pi)
    peak = rho.max()
    if peak > 0:
        rho = rho / peak
    return np.concatenate([rho, theta]).astype(np.float32)


# --- landmarks of a dataset's samples ------------------------------------------------------------

def _landmark_tables(first_frames) -> dict:
    """For each sample's first frame, the nearest ``landmarks.csv`` above it (as meau crop and meau
    synth write them) read as {(subject, clip, onset): (68 x 2 points, output frame size or None)}."""
    from ..faces import read_landmarks

    found: dict = {}
    tables: dict = {}
    for path in first_frames:
        folder = path.parent
        for parent in [folder, *folder.parents][:6]:
            candidate = parent / "landmarks.csv"
            if candidate in tables or candidate.is_file():
                if candidate not in tables:
                    tables[candidate] = {_sample_tail(sample): points
                                         for sample, points in read_landmarks(candidate, points="output").items()}
                found[path] = tables[candidate]
                break
    return found


def _sample_tail(sample: str) -> tuple:
    """(subject, clip, onset) of a sample key ``database/subject/clip/onset``: the file may name the
    database by another label than the run's."""
    parts = str(sample).split("/")
    return tuple(parts[-3:]) if len(parts) >= 3 else (str(sample),)


def dataset_landmarks(table, *, cache=None) -> list[np.ndarray]:
    """The 68 points of every sample's first frame (in that frame's pixels): from the nearest
    ``landmarks.csv`` written by ``meau crop`` or ``meau synth``, else detected (dlib) and cached."""
    from pathlib import Path

    firsts = [Path(frames[0]) for frames in table["frames"]]
    tables = _landmark_tables(firsts)
    result = []
    for row, first in zip(table.itertuples(index=False), firsts):
        key = (str(row.subject), str(row.clip), str(int(row.onset)))
        points = tables.get(first, {}).get(key)
        if points is None:
            points = _detected_landmarks(first, cache)
        result.append(points)
    return result


def _detected_landmarks(path, cache) -> np.ndarray:
    from pathlib import Path

    from ..errors import MeauError
    from ..faces import find_face
    from ..outputs import cached_array
    from ..video import content_key, read_image

    cached = None
    if cache is not None:
        cached = Path(cache) / "landmarks" / f"{content_key([path], {'landmarks': 'dlib68', 'v': 1})}.npy"

    def detect():
        face = find_face(read_image(path, color=True))
        if face is None:
            raise MeauError(f"{path}: no landmarks.csv above it and no face found for MDMO (run meau crop first)")
        return face.points

    return cached_array(cached, detect)
