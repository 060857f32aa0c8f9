"""What every descriptor shares: input checks, block edges, per-block histograms."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ClipError


def check_clip(clip, radii, *, name: str = "clip", grid=(5, 5)) -> np.ndarray:
    """Validate a grey clip and return it as float64 ``(T, H, W)``.

    ``radii = (r_x, r_y, r_t)`` is the neighbourhood half-size: a clip needs ``2 r + 1`` samples
    along every axis, and every block at least one valid centre.
    """
    array = np.asarray(clip)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ClipError(f"{name}: expected a numeric array, got dtype {array.dtype}")
    if array.ndim != 3:
        raise ClipError(f"{name}: expected a grey clip of shape (T, H, W), got shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ClipError(f"{name}: contains NaN or infinite values")
    r_x, r_y, r_t = radii
    t, h, w = array.shape
    if t < 2 * r_t + 1:
        raise ClipError(f"{name}: {t} frames is too short for temporal radius {r_t} (needs {2 * r_t + 1})")
    rows, cols = grid
    if h < 2 * r_y + rows or w < 2 * r_x + cols:
        raise ClipError(f"{name}: frames of {h} x {w} are too small for radii ({r_x}, {r_y}) and a {rows} x {cols} grid")
    edges_y, edges_x = block_edges(h, rows), block_edges(w, cols)
    if np.diff(edges_y).min() < 1 or np.diff(edges_x).min() < 1:
        raise ClipError(f"{name}: a {rows} x {cols} grid does not fit {h} x {w} frames")
    return array.astype(np.float64, copy=False)


def block_edges(size: int, count: int) -> np.ndarray:
    """Block edges ``round(linspace(0, size, count + 1))`` (NumPy rounding, half to even)."""
    return np.round(np.linspace(0, size, count + 1)).astype(int)


def block_index(height: int, width: int, grid, radius_y: int, radius_x: int) -> np.ndarray:
    """Block number (row-major) of every valid centre ``(y, x)``; shape ``(H - 2 r_y, W - 2 r_x)``."""
    rows, cols = grid
    ys = np.arange(radius_y, height - radius_y)
    xs = np.arange(radius_x, width - radius_x)
    row = np.searchsorted(block_edges(height, rows), ys, side="right") - 1
    col = np.searchsorted(block_edges(width, cols), xs, side="right") - 1
    return row[:, None] * cols + col[None, :]


def block_histograms(codes: np.ndarray, blocks: np.ndarray, n_blocks: int, n_bins: int, *, normalise: bool = True,
                     name="clip") -> np.ndarray:
    """Per-block histograms of ``codes``: ``(n_blocks, n_bins)`` float64, rows summing to 1.

    ``codes`` is ``(T', H', W')`` of bin indices (or ``(H', W')``), ``blocks`` the ``(H', W')`` block
    map broadcast over time. An empty block gives zeros and a warning.
    """
    keys = np.add(blocks.astype(np.int64) * n_bins, codes, dtype=np.int64)
    counts = np.bincount(keys.ravel(), minlength=n_blocks * n_bins).reshape(n_blocks, n_bins).astype(np.float64)
    return normalise_rows(counts, name=name) if normalise else counts


def normalise_rows(counts: np.ndarray, *, name="clip") -> np.ndarray:
    """Rows scaled to sum 1; an all-zero row (a block without centres) stays zero, with a warning."""
    totals = counts.sum(axis=1, keepdims=True)
    if (totals == 0).any():
        warnings.warn(f"{name}: {int((totals == 0).sum())} block(s) without valid centres give zero histograms",
                      RuntimeWarning, stacklevel=3)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
