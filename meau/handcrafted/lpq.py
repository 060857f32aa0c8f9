"""LPQ-TOP: Local Phase Quantisation on Three Orthogonal Planes (Päivärinta, Rahtu, Heikkilä 2011)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .blocks import block_histograms, block_index, check_clip

# Plane -> (first axis, second axis) in (t, y, x) numbering; the frequency pairs are (u_first, u_second).
# As in the reference LPQ_TOP.m, whose planes are MATLAB images: the first axis is the image row
# (y in XY; the spatial axis in XT and YT), the second the column (x in XY; time in XT and YT).
PLANE_AXES = {"XY": (1, 2), "XT": (2, 0), "YT": (1, 0)}
# A tiny diagonal scaling that separates the otherwise equal singular values of the symmetric
# frequency pairs; without it the singular vectors inside a degenerate pair depend on the LAPACK
# build (the reference LPQ code does the same).
_DEGENERACY_BREAK = np.array([1.000007, 1.000006, 1.000005, 1.000004, 1.000003, 1.000002, 1.000001, 1.0])


def _filters(window: int):
    radius = (window - 1) // 2
    k = np.arange(-radius, radius + 1)
    w0 = np.ones(window, dtype=np.complex128)
    w1 = np.exp(-2j * np.pi * k / window)
    return w0, w1, np.conj(w1)


def _frequency_filters(first: int, second: int):
    """(filter along the first axis, filter along the second) for u1 = (0, a), u2 = (a, 0), u3 = (a, a), u4 = (a, -a)."""
    f0, f1, f2 = _filters(first)
    s0, s1, s2 = _filters(second)
    return [(f0, s1), (f1, s0), (f1, s1), (f1, s2)]


def sign_convention(vectors: np.ndarray) -> np.ndarray:
    """Flip each column so that its largest-magnitude entry is positive (LAPACK-independent signs)."""
    largest = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[largest, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return vectors * signs


def interleave(responses) -> np.ndarray:
    """[Re F(u1), Im F(u1), Re F(u2), Im F(u2), ..., Im F(u4)]: the reference's component (and bit) order."""
    return np.stack([part for response in responses for part in (response.real, response.imag)])


@lru_cache(maxsize=None)
def whitening(first: int, second: int, rho_first: float, rho_second: float, euclidean: bool = False) -> np.ndarray:
    """V (8 x 8) of the decorrelation G = V^T F for one plane's window sizes and correlations.

    Pixel correlation, as in the reference LPQ_TOP.m: in the XY plane (``euclidean=True``)
    C = rho_s^d with d the Euclidean distance between the two pixels; in XT and YT
    C = rho_s^|d_spatial| * rho_t^|d_temporal|. D = M C M^T with M the 8 real filter rows in the
    interleaved order (:func:`interleave`).
    """
    kernels = [np.outer(f, s) for f, s in _frequency_filters(first, second)]  # over (k_first, k_second)
    M = interleave(kernels).reshape(8, -1)
    k1, k2 = np.meshgrid(np.arange(first), np.arange(second), indexing="ij")
    d1, d2 = np.abs(k1.ravel()[:, None] - k1.ravel()[None, :]), np.abs(k2.ravel()[:, None] - k2.ravel()[None, :])
    if euclidean:
        C = rho_first ** np.hypot(d1, d2)
    else:
        C = rho_first**d1 * rho_second**d2
    D = M @ C @ M.T
    D = _DEGENERACY_BREAK[:, None] * D * _DEGENERACY_BREAK[None, :]
    _, _, Vt = np.linalg.svd(D)
    V = sign_convention(Vt.T)
    V.setflags(write=False)
    return V


def _correlate(volume: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """'valid' correlation sum_k volume[c + k] kernel[k + r] along ``axis``."""
    n = volume.shape[axis] - len(kernel) + 1
    out = None
    for index, weight in enumerate(kernel):
        part = _slice(volume, axis, index, n)
        term = weight * part if weight != 1 else part.astype(np.complex128)
        out = term if out is None else out + term
    return out


def _slice(volume, axis, start, length):
    index = [slice(None)] * volume.ndim
    index[axis] = slice(start, start + length)
    return volume[tuple(index)]


SLICES = ("reference", "valid")


def lpq_codes(volume: np.ndarray, plane: str, windows, rhos, slices: str = "valid") -> np.ndarray:
    """8-bit LPQ codes of one plane orientation.

    ``slices='valid'``: at every valid centre ``(T', H', W')``; ``'reference'``: in every slice of the
    plane (the axis across the slices uncropped, as LPQ_TOP.m), valid within each slice.
    """
    first_axis, second_axis = PLANE_AXES[plane]
    sizes = {2: windows[0], 1: windows[1], 0: windows[2]}
    radii = {axis: (size - 1) // 2 for axis, size in sizes.items()}
    rho = {2: rhos[0], 1: rhos[0], 0: rhos[1]}
    filters = _frequency_filters(sizes[first_axis], sizes[second_axis])
    # filter along the second axis first; u1 needs s1, u2 s0, u3 s1, u4 s2 = conj(s1)
    along_second = {}
    for _, s in filters:
        key = s.tobytes()
        if key not in along_second:
            along_second[key] = _correlate(volume, s, second_axis)
    responses = [_correlate(along_second[s.tobytes()], f, first_axis) for f, s in filters]
    if slices == "valid":  # crop the axis across the slices to the common valid centres
        third = ({0, 1, 2} - {first_axis, second_axis}).pop()
        n_third = volume.shape[third] - 2 * radii[third]
        responses = [_slice(r, third, radii[third], n_third) for r in responses]
    F = interleave(responses)  # (8, T', H', W')
    V = whitening(sizes[first_axis], sizes[second_axis], rho[first_axis], rho[second_axis], euclidean=plane == "XY")
    G = np.tensordot(V.T, F, axes=1)
    weights = (1 << np.arange(8)).astype(np.uint8).reshape(8, 1, 1, 1)
    return ((G >= 0).astype(np.uint8) * weights).sum(axis=0, dtype=np.uint16).astype(np.uint8)


def lpq_top(clip, windows=(5, 5, 5), rhos=(0.1, 0.1), grid=(5, 5), slices: str = "reference") -> np.ndarray:
    """LPQ on Three Orthogonal Planes, per block.

    For each plane orientation (XY slices, XT slices at fixed y, YT slices at fixed x): a separable
    short-term Fourier transform over a w x w window at frequencies (0, a), (a, 0), (a, a),
    (a, -a), a = 1/w ('valid'), frequencies in (row, column) order of the plane seen as an image
    (XY: (y, x); XT: (x, t); YT: (y, t)); the 8 values [Re F(u1), Im F(u1), ..., Im F(u4)] are
    decorrelated (G = V^T F, V from the SVD of the filter covariance under the reference's pixel
    correlation, see :func:`whitening`, each singular vector signed so that its largest-magnitude
    entry is positive) and quantised, b = sum_i [G_i >= 0] 2^(i-1). The codes equal those of the
    reference LPQ_TOP.m up to that sign convention (one XOR mask of the 8 bits per plane; checked
    against a line-by-line transcription on every slice in the tests). 256 bins per plane, summed
    over all slices of a block and normalised per plane.

    ``slices='reference'`` (the default) histograms every slice of each plane as LPQ_TOP.m does:
    all T frames in XY, every row in XT and every column in YT, each slice 'valid' within itself;
    a code belongs to the block of its centre's (y, x). ``'valid'`` keeps the centres whose whole
    neighbourhood lies inside the clip, (w - 1)/2 from every border, time included (meau < 0.3).

    Parameters
    ----------
    clip : array (T, H, W)
    windows : (w_x, w_y, w_t)
        Odd window sizes along each axis.
    rhos : (rho_s, rho_t)
        Correlation between neighbouring pixels in space and in time.
    grid : (rows, cols)
    slices : {'reference', 'valid'}

    Returns
    -------
    features : float32 array (rows * cols * 3 * 256,) — 19200 values for 5 x 5 blocks.

    References
    ----------
    J. Päivärinta, E. Rahtu, J. Heikkilä, "Volume local phase quantization for blur-insensitive
    dynamic texture classification", SCIA 2011; V. Ojansivu, J. Heikkilä, "Blur insensitive texture
    classification using local phase quantization", ICISP 2008.
    """
    if any(w < 3 or w % 2 == 0 for w in windows):
        raise ValueError(f"windows must be odd and >= 3, got {windows}")
    if slices not in SLICES:
        raise ValueError(f"slices must be one of {', '.join(SLICES)}, got {slices!r}")
    radii = tuple((w - 1) // 2 for w in windows)
    volume = check_clip(clip, radii, grid=grid)
    _, height, width = volume.shape
    n_blocks = grid[0] * grid[1]
    histograms = np.empty((n_blocks, 3, 256))
    for index, plane in enumerate(("XY", "XT", "YT")):
        codes = lpq_codes(volume, plane, windows, rhos, slices)
        # reference slices leave uncropped the axis across them: rows in XT, columns in YT
        radius_y = 0 if slices == "reference" and plane == "XT" else radii[1]
        radius_x = 0 if slices == "reference" and plane == "YT" else radii[0]
        blocks = block_index(height, width, grid, radius_y, radius_x)
        histograms[:, index] = block_histograms(codes, blocks, n_blocks, 256)
    return histograms.astype(np.float32).ravel()
