"""HOG3D: histograms of 3-D gradient orientations on the icosahedron (Kläser, Marszałek, Schmid 2008)."""

from __future__ import annotations

import numpy as np

from .blocks import block_edges, check_clip

GOLDEN = (1 + 5**0.5) / 2
# The icosahedron's 10 face axes in (dx, dy, dt) order, each of length sqrt(3).
ICOSAHEDRON_AXES = np.array([
    (1, 1, 1), (1, -1, 1), (-1, 1, 1), (-1, -1, 1),
    (0, 1 / GOLDEN, GOLDEN), (0, -1 / GOLDEN, GOLDEN),
    (1 / GOLDEN, GOLDEN, 0), (1 / GOLDEN, -GOLDEN, 0),
    (GOLDEN, 0, 1 / GOLDEN), (-GOLDEN, 0, 1 / GOLDEN),
], dtype=np.float64)
THRESHOLD = 1.29099


def integral_video(component: np.ndarray) -> np.ndarray:
    """Zero-padded cumulative sums over (t, y, x): box sums from 8 corners."""
    out = np.zeros(tuple(n + 1 for n in component.shape))
    out[1:, 1:, 1:] = component.cumsum(0).cumsum(1).cumsum(2)
    return out


def _box_sums(integral, t_edges, y_edges, x_edges):
    """Sums over every box [t0, t1) x [y0, y1) x [x0, x1) given per-axis edge pairs (broadcast)."""
    t0, t1 = t_edges
    y0, y1 = y_edges
    x0, x1 = x_edges
    return (integral[t1, y1, x1] - integral[t0, y1, x1] - integral[t1, y0, x1] - integral[t1, y1, x0]
            + integral[t0, y0, x1] + integral[t0, y1, x0] + integral[t1, y0, x0] - integral[t0, y0, x0])


def quantise(mean_gradients: np.ndarray, full_orientation: bool = True) -> np.ndarray:
    """Icosahedron histogram of mean gradients ``(..., 3)`` -> ``(..., 20)`` (or 10 with half orientation).

    q = P g; tau = 1.29099 |g|; bin i gets q_i - tau where q_i > tau and, with full orientation,
    bin i + 10 gets -q_i - tau where q_i < -tau (half orientation folds it into bin i). Each
    histogram is rescaled so that its L1 norm equals |g|.
    """
    q = mean_gradients @ ICOSAHEDRON_AXES.T
    norm = np.linalg.norm(mean_gradients, axis=-1, keepdims=True)
    tau = THRESHOLD * norm
    positive = np.maximum(q - tau, 0)
    negative = np.maximum(-q - tau, 0)
    histogram = np.concatenate([positive, negative], axis=-1) if full_orientation else positive + negative
    total = histogram.sum(axis=-1, keepdims=True)
    return np.divide(histogram * norm, total, out=np.zeros_like(histogram), where=total > 0)


def hog3d(clip, grid=(5, 5), sub_blocks: int = 3, full_orientation: bool = True, epsilon: float | None = None) -> np.ndarray:
    """HOG3D with one cell per block spanning the clip in time.

    Gradients dx, dy with the kernel [-1, 1] and dt = V[t + 1] - V[t], on the common region
    (T - 1, H - 1, W - 1); integral videos give the mean gradient of each of the S x S x S
    sub-blocks of a cell (block edges round(linspace(0, N, k + 1)), the last one clipped to the
    gradient's extent; sub-block edges round(linspace(start, stop, S + 1))). Each sub-block's
    icosahedron histogram (see :func:`quantise`) is summed over the cell, then L2-normalised:
    h / sqrt(|h|^2 + eps^2), eps = 0.02 S^3.

    Parameters
    ----------
    clip : array (T, H, W)
    grid : (rows, cols)
    sub_blocks : int
        S, the sub-blocks per axis of a cell.
    full_orientation : bool
        20 bins (default) or 10 bins with opposite directions folded together.
    epsilon : float, optional
        Normalisation constant (default 0.02 S^3).

    Returns
    -------
    features : float32 array (rows * cols * 20,) — 500 values for 5 x 5 blocks.

    References
    ----------
    A. Kläser, M. Marszałek, C. Schmid, "A spatio-temporal descriptor based on 3D-gradients", BMVC 2008.
    """
    volume = check_clip(clip, (1, 1, 1), grid=grid)
    if volume.shape[0] < sub_blocks + 1:
        from ..errors import ClipError

        raise ClipError(f"clip: {volume.shape[0]} frames is too short for {sub_blocks} temporal sub-blocks")
    base = volume[:-1, :-1, :-1]
    gradients = (volume[:-1, :-1, 1:] - base, volume[:-1, 1:, :-1] - base, volume[1:, :-1, :-1] - base)
    integrals = [integral_video(component) for component in gradients]
    n_t, n_y, n_x = base.shape
    rows, cols = grid
    y_blocks = np.minimum(block_edges(n_y + 1, rows), n_y)
    x_blocks = np.minimum(block_edges(n_x + 1, cols), n_x)
    # sub-block edges: (blocks, S + 1) per spatial axis, (S + 1,) in time
    y_sub = np.stack([np.round(np.linspace(a, b, sub_blocks + 1)).astype(int) for a, b in zip(y_blocks[:-1], y_blocks[1:])])
    x_sub = np.stack([np.round(np.linspace(a, b, sub_blocks + 1)).astype(int) for a, b in zip(x_blocks[:-1], x_blocks[1:])])
    t_sub = np.round(np.linspace(0, n_t, sub_blocks + 1)).astype(int)
    # broadcast to (rows, cols, S_t, S_y, S_x)
    t0 = t_sub[:-1].reshape(1, 1, -1, 1, 1); t1 = t_sub[1:].reshape(1, 1, -1, 1, 1)
    y0 = y_sub[:, :-1].reshape(rows, 1, 1, -1, 1); y1 = y_sub[:, 1:].reshape(rows, 1, 1, -1, 1)
    x0 = x_sub[:, :-1].reshape(1, cols, 1, 1, -1); x1 = x_sub[:, 1:].reshape(1, cols, 1, 1, -1)
    voxels = (t1 - t0) * (y1 - y0) * (x1 - x0)
    sums = np.stack([_box_sums(integral, (t0, t1), (y0, y1), (x0, x1)) for integral in integrals], axis=-1)
    means = np.divide(sums, voxels[..., None], out=np.zeros_like(sums), where=voxels[..., None] > 0)
    histograms = quantise(means, full_orientation)  # (rows, cols, S, S, S, bins)
    cells = histograms.reshape(rows, cols, -1, histograms.shape[-1]).sum(axis=2)
    epsilon = 0.02 * sub_blocks**3 if epsilon is None else epsilon
    cells = cells / np.sqrt((cells**2).sum(axis=-1, keepdims=True) + epsilon**2)
    return cells.astype(np.float32).ravel()
