"""A line-by-line NumPy transcription of the reference LPQ_TOP.m (Päivärinta, Rahtu, Heikkilä 2010,
Machine Vision Group, University of Oulu), for tests only.

MATLAB's conv2 (a true convolution, 'valid'), column-major reshapes, ``dist`` (Euclidean) and
``hist(codes, 0:255)`` are reproduced as such; the SVD signs are whatever LAPACK returns, so codes
agree with meau's only up to one XOR mask of the 8 bits per plane. The volume is MATLAB's M x N x T,
i.e. (y, x, t).
"""

import numpy as np
from scipy.signal import convolve2d

DIAGONAL = np.diag([1.000007, 1.000006, 1.000005, 1.000004, 1.000003, 1.000002, 1.000001, 1.0])


def _stft_filters(size1, size2):
    r1, r2 = (size1 - 1) // 2, (size2 - 1) // 2
    x1, x2 = np.arange(-r1, r1 + 1), np.arange(-r2, r2 + 1)
    w01, w02 = np.ones(size1), np.ones(size2)
    w11 = np.exp(-2j * np.pi * x1 / size1)
    w12 = np.exp(-2j * np.pi * x2 / size2)
    return w01, w11, w02, w12, np.conj(w12)


def _column_major(array):
    return np.asarray(array).ravel(order="F")


def _dist(points):
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))


def lpqtop_cov(win_sizes, rho_s, rho_t, plane_index):
    """lpqtopCov_: the whitening matrix V (MATLAB's third output of svd)."""
    size1, size2 = win_sizes
    w01, w11, w02, w12, w22 = _stft_filters(size1, size2)
    if plane_index == 1:
        xp, yp = np.meshgrid(np.arange(1, size2 + 1), np.arange(1, size1 + 1))
        Cs = rho_s ** _dist(np.stack([_column_major(xp), _column_major(yp)], 1))
        Ct = 1.0
    else:
        xp, yp = np.meshgrid(np.ones(size2), np.arange(1, size1 + 1))
        Cs = rho_s ** _dist(np.stack([_column_major(xp), _column_major(yp)], 1))
        xp, yp, zp = np.meshgrid(np.ones(1), np.ones(size1), np.arange(1, size2 + 1))
        Ct = rho_t ** _dist(np.stack([_column_major(xp), _column_major(yp), _column_major(zp)], 1))
    C = Cs * Ct
    q1, q2, q3, q4 = np.outer(w01, w12), np.outer(w11, w02), np.outer(w11, w12), np.outer(w11, w22)
    M = np.array([_column_major(part) for q in (q1, q2, q3, q4) for part in (q.real, q.imag)])
    M = np.fliplr(M)
    D = M @ C @ M.T
    _, _, Vt = np.linalg.svd(DIAGONAL @ D @ DIAGONAL)
    return Vt.T


def lpqtop_histogram(img, win_sizes, V):
    """lpqtop_ with mode 'h': the un-normalised histogram of one plane image."""
    size1, size2 = win_sizes
    w01, w11, w02, w12, w22 = _stft_filters(size1, size2)
    img = np.asarray(img, dtype=np.float64)

    def response(first, second):
        return convolve2d(convolve2d(img, first[:, None], mode="valid"), second[None, :], mode="valid")

    parts = []
    for first, second in ((w01, w12), (w11, w02), (w11, w12), (w11, w22)):
        filtered = response(first, second)
        parts += [filtered.real, filtered.imag]
    freq = np.stack([_column_major(p) for p in parts], 1) @ V
    codes = ((freq >= 0) * (1 << np.arange(8))).sum(1)
    return np.bincount(codes, minlength=256).astype(float)


def lpq_top_reference(volume_yxt, win_sizes=(5, 5, 5), decorr=(0.1, 0.1), planes=("XY", "XT", "YT")):
    """LPQ_TOP's normalised histograms of the named planes, concatenated (256 each; all three: 768).

    Planes are named as the reference names them: its 'XT' slices are the (y, t) images at each x,
    its 'YT' slices the (x, t) images at each y.
    """
    volume = np.asarray(volume_yxt, dtype=np.float64)
    settings = {"XY": ((0, 1), (0, 1, 2), 1), "XT": ((0, 2), (0, 2, 1), 2), "YT": ((1, 2), (1, 2, 0), 3)}
    histograms = []
    for plane in planes:
        (a, b), order, index = settings[plane]
        sizes = (win_sizes[a], win_sizes[b])
        V = lpqtop_cov(sizes, decorr[0], decorr[1], index)
        slices = np.transpose(volume, order)
        histogram = sum(lpqtop_histogram(slices[:, :, i], sizes, V) for i in range(slices.shape[2]))
        histograms.append(histogram / histogram.sum())
    return np.concatenate(histograms)
