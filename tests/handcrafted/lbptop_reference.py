"""A line-by-line NumPy transcription of the reference LBPTOP.m (Zhao & Pietikäinen; MATLAB version
by Xiaohua Huang), bilinear branch with ``Bincount = 59`` and getmapping's u2 table, for tests only.

Conventions kept as the reference has them: the volume is MATLAB's (y, x, t); centres from
``Border + 1`` to ``size - Border`` (1-based) in space and ``TimeLength + 1`` to ``Length - TimeLength``
in time; neighbour coordinates in single precision; corners by floor/ceil; the interpolated value
is floored before the comparison; u2 maps the uniform codes in ascending order to bins 0..57 and
every other code to bin 58. VolData is taken as double (MATLAB's ``double(imread(...))``).
"""

import numpy as np


def getmapping_u2(samples=8):
    table = np.zeros(2**samples, dtype=np.int64)
    new_max = samples * (samples - 1) + 3
    index = 0
    for code in range(2**samples):
        bits = [(code >> k) & 1 for k in range(samples)]
        rotated = bits[1:] + bits[:1]  # circshift by one, as getmapping's bitset/bitshift
        transitions = sum(a != b for a, b in zip(bits, rotated))
        if transitions <= 2:
            table[code] = index
            index += 1
        else:
            table[code] = new_max - 1
    return table


def _interpolate(value_at, a1, b1):
    """Bilinear value at single-precision coordinates (a1, b1), 1-based, floored as in LBPTOP.m."""
    a1, b1 = np.float32(a1), np.float32(b1)
    u, v = a1 - np.floor(a1), b1 - np.floor(b1)
    lt = value_at(int(np.floor(a1)), int(np.floor(b1)))
    lb = value_at(int(np.floor(a1)), int(np.ceil(b1)))
    rt = value_at(int(np.ceil(a1)), int(np.floor(b1)))
    rb = value_at(int(np.ceil(a1)), int(np.ceil(b1)))
    return np.floor(lt * (1 - u) * (1 - v) + lb * (1 - u) * v + rt * u * (1 - v) + rb * u * v)


def lbptop_reference(vol_yxt, fx_radius=3, fy_radius=3, t_interval=3, points=(8, 8, 8)):
    """LBPTOP(VolData, FxRadius, FyRadius, TInterval, NeighborPoints, TimeLength = TInterval,
    BorderLength = max(FxRadius, FyRadius), bBilinearInterpolation = 1, 59, Code): (3, 59)."""
    vol = np.asarray(vol_yxt, dtype=np.float64)
    height, width, length = vol.shape
    code = getmapping_u2(8)
    histogram = np.zeros((3, 59))
    border, time_length = max(fx_radius, fy_radius), t_interval

    def at(y, x, t):  # MATLAB 1-based indexing
        return vol[y - 1, x - 1, t - 1]

    for i in range(time_length + 1, length - time_length + 1):
        for yc in range(border + 1, height - border + 1):
            for xc in range(border + 1, width - border + 1):
                centre = at(yc, xc, i)
                basic = 0
                for p in range(points[0]):
                    x1 = xc + fx_radius * np.cos(2 * np.pi * p / points[0])
                    y1 = yc - fy_radius * np.sin(2 * np.pi * p / points[0])
                    if _interpolate(lambda x, y: at(y, x, i), x1, y1) >= centre:
                        basic += 2**p
                histogram[0, code[basic]] += 1
                basic = 0
                for p in range(points[1]):
                    x1 = xc + fx_radius * np.cos(2 * np.pi * p / points[1])
                    z1 = i + t_interval * np.sin(2 * np.pi * p / points[1])
                    if _interpolate(lambda x, z: at(yc, x, z), x1, z1) >= centre:
                        basic += 2**p
                histogram[1, code[basic]] += 1
                basic = 0
                for p in range(points[2]):
                    y1 = yc - fy_radius * np.sin(2 * np.pi * p / points[2])
                    z1 = i + t_interval * np.cos(2 * np.pi * p / points[2])
                    if _interpolate(lambda y, z: at(y, xc, z), y1, z1) >= centre:
                        basic += 2**p
                histogram[2, code[basic]] += 1
    return histogram / histogram.sum(axis=1, keepdims=True)
