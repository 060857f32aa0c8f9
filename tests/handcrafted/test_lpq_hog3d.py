import numpy as np
import pytest

from meau.handcrafted import hog3d, lpq_top
from meau.handcrafted.hog3d import ICOSAHEDRON_AXES, quantise
from meau.handcrafted.lpq import sign_convention, whitening


def test_sign_rule_makes_flipped_svd_signs_irrelevant():
    rng = np.random.default_rng(0)
    V = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    flips = np.diag(rng.choice([-1.0, 1.0], size=8))
    fixed, fixed_flipped = sign_convention(V), sign_convention(V @ flips)
    np.testing.assert_array_equal(fixed, fixed_flipped)
    largest = np.argmax(np.abs(fixed), axis=0)
    assert (fixed[largest, np.arange(8)] > 0).all()


def test_lpq_codes_do_not_depend_on_svd_signs(monkeypatch):
    rng = np.random.default_rng(1)
    clip = rng.integers(0, 256, (9, 40, 40)).astype(np.uint8)
    reference = lpq_top(clip, grid=(2, 2))
    real_svd = np.linalg.svd

    def flipped_svd(matrix, *args, **kwargs):
        U, S, Vt = real_svd(matrix, *args, **kwargs)
        signs = np.where(np.arange(len(S)) % 2 == 0, -1.0, 1.0)
        return U * signs, S, Vt * signs[:, None]

    whitening.cache_clear()
    monkeypatch.setattr(np.linalg, "svd", flipped_svd)
    try:
        flipped = lpq_top(clip, grid=(2, 2))
    finally:
        monkeypatch.undo()
        whitening.cache_clear()
    np.testing.assert_array_equal(reference, flipped)


def test_lpq_whitening_decorrelates():
    V = whitening(5, 5, 0.1, 0.1)
    np.testing.assert_allclose(V.T @ V, np.eye(8), atol=1e-10)


def test_lpq_shape_and_normalisation():
    rng = np.random.default_rng(2)
    features = lpq_top(rng.integers(0, 256, (10, 64, 64)).astype(np.uint8))
    assert features.shape == (19200,)
    np.testing.assert_allclose(features.reshape(25, 3, 256).sum(axis=2), 1, atol=1e-5)


def test_blur_changes_lpq_much_less_than_lbp():
    """LPQ's point: a mild, centrally symmetric blur barely moves its code histogram.

    Compared at equal resolution (256 raw codes on the XY plane, sharp texture): the u2 mapping of
    LBP-TOP pools most changed codes into its bin 0 and would hide LBP's sensitivity.
    """
    import cv2

    from meau.handcrafted.lbp import lbp_codes, plane_offsets
    from meau.handcrafted.lpq import lpq_codes

    rng = np.random.default_rng(3)
    texture = rng.normal(128, 40, (12, 128, 128)).astype(np.float32)
    blurred = np.stack([cv2.GaussianBlur(frame, (0, 0), 0.5) for frame in texture])

    def histogram_change(codes):
        a, b = (np.bincount(codes(v.astype(np.float64)).ravel(), minlength=256) for v in (texture, blurred))
        return 0.5 * np.abs(a / a.sum() - b / b.sum()).sum()

    lpq_change = histogram_change(lambda v: lpq_codes(v, "XY", (5, 5, 5), (0.1, 0.1)))
    lbp_change = histogram_change(lambda v: lbp_codes(v, (3, 3, 3), plane_offsets("XY", (3, 3, 3))))
    assert lpq_change < 0.6 * lbp_change, (lpq_change, lbp_change)  # measured: 0.014 vs 0.031


def _moving_edge(direction, frames=9, size=48):
    """A bright region whose edge moves 1 pixel per frame (or appears, for 'appear')."""
    clip = np.zeros((frames, size, size))
    for t in range(frames):
        edge = 16 + t
        if direction == "right":
            clip[t, :, :edge] = 200
        elif direction == "left":
            clip[t, :, size - edge:] = 200
        elif direction == "down":
            clip[t, :edge, :] = 200
        elif direction == "up":
            clip[t, size - edge:, :] = 200
        elif direction == "appear":
            clip[t, 16:32, 16:32] = 20 * t
    return clip


# gradient direction of each motion in (dx, dy, dt): a bright region growing right has dx < 0 at its
# edge and dt > 0 where it arrives
DIRECTIONS = {"right": (-1, 0, 1), "left": (1, 0, 1), "down": (0, -1, 1), "up": (0, 1, 1), "appear": (0, 0, 1)}


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_hog3d_bins_follow_the_gradient_direction(direction):
    histogram = hog3d(_moving_edge(direction), grid=(1, 1), sub_blocks=1)
    assert histogram.shape == (20,)
    g = np.array(DIRECTIONS[direction], float)
    projections = ICOSAHEDRON_AXES @ (g / np.linalg.norm(g))
    best = set(np.flatnonzero(np.isclose(projections, projections.max())))
    top = np.flatnonzero(np.isclose(histogram, histogram.max(), rtol=1e-4))
    assert set(top) <= best and len(top) >= 1, (direction, top, best)
    assert histogram[10:].sum() < 1e-6  # no bin of the opposite direction


def test_hog3d_quantisation_rules():
    g = np.array([0.0, 0.0, 2.0])
    h = quantise(g)
    assert h.shape == (20,) and h.sum() == pytest.approx(2.0)  # L1 norm equals |g|
    assert set(np.flatnonzero(h)) == {4, 5}  # the two axes closest to +t
    assert set(np.flatnonzero(quantise(-g))) == {14, 15}
    half = quantise(-g, full_orientation=False)
    assert half.shape == (10,) and set(np.flatnonzero(half)) == {4, 5}
    assert quantise(np.zeros(3)).sum() == 0


def test_hog3d_shape_and_norm():
    rng = np.random.default_rng(4)
    features = hog3d(rng.integers(0, 256, (10, 64, 64)).astype(np.uint8))
    assert features.shape == (500,)
    norms = np.linalg.norm(features.reshape(25, 20), axis=1)
    assert (norms < 1).all() and (norms > 0.9).all()


def _equal_up_to_a_bit_mask(ours, reference):
    """The XOR mask m with ours[b] == reference[b ^ m] for every code b, or None."""
    codes = np.arange(256)
    for mask in range(256):
        if np.allclose(ours, reference[codes ^ mask], rtol=0, atol=1e-12):
            return mask
    return None


@pytest.mark.parametrize("shape,windows", [((12, 30, 34), (5, 5, 5)), ((11, 26, 23), (3, 5, 7)),
                                           ((9, 21, 28), (7, 3, 5))])
def test_lpq_top_equals_the_reference_transcription_up_to_the_sign_mask(shape, windows):
    """meau's LPQ-TOP against a line-by-line transcription of LPQ_TOP.m (tests/handcrafted/lpq_reference.py).

    The reference treats the clip as MATLAB's (y, x, t) volume with winSizes (w_y, w_x, w_t) and
    computes every slice; meau keeps the valid centres only (the spec's rule), so each plane is
    compared on the reference run over the slices that meau keeps. Its 'XT' plane ((y, t) images at
    each x) is meau's YT, its 'YT' meau's XT.
    """
    from tests.handcrafted.lpq_reference import lpq_top_reference

    rng = np.random.default_rng(sum(shape))
    clip = rng.integers(0, 256, shape).astype(np.uint8)  # (T, H, W)
    w_x, w_y, w_t = windows
    r_x, r_y, r_t = (w_x - 1) // 2, (w_y - 1) // 2, (w_t - 1) // 2
    ours = lpq_top(clip, windows=windows, grid=(1, 1), slices="valid").astype(np.float64).reshape(3, 256)
    volume = np.transpose(clip, (1, 2, 0))  # (y, x, t)
    reference_windows = (w_y, w_x, w_t)
    T, H, W = clip.shape
    xy = lpq_top_reference(volume[:, :, r_t : T - r_t], reference_windows, planes=["XY"])
    xt = lpq_top_reference(volume[r_y : H - r_y], reference_windows, planes=["YT"])  # (x, t) images at each kept y
    yt = lpq_top_reference(volume[:, r_x : W - r_x], reference_windows, planes=["XT"])  # (y, t) images at each kept x
    for name, mine, theirs in (("XY", ours[0], xy), ("XT", ours[1], xt), ("YT", ours[2], yt)):
        assert _equal_up_to_a_bit_mask(mine.astype(np.float32).astype(np.float64),
                                       theirs.astype(np.float32).astype(np.float64)) is not None, name


@pytest.mark.parametrize("shape,windows", [((12, 30, 34), (5, 5, 5)), ((11, 26, 23), (3, 5, 7)),
                                           ((9, 21, 28), (7, 3, 5))])
def test_lpq_top_reference_slices_equal_the_transcription_on_every_slice(shape, windows):
    """slices='reference' (the default): every slice of every plane, the first and last (w - 1)/2
    frames in XY and the border rows and columns in XT and YT included, as LPQ_TOP.m."""
    from tests.handcrafted.lpq_reference import lpq_top_reference

    rng = np.random.default_rng(sum(shape) + 1)
    clip = rng.integers(0, 256, shape).astype(np.uint8)
    w_x, w_y, w_t = windows
    ours = lpq_top(clip, windows=windows, grid=(1, 1)).astype(np.float64).reshape(3, 256)
    theirs = lpq_top_reference(np.transpose(clip, (1, 2, 0)), (w_y, w_x, w_t)).reshape(3, 256)
    # the reference's 'XT' ((y, t) images at each x) is meau's YT and its 'YT' meau's XT
    for name, mine, reference in (("XY", ours[0], theirs[0]), ("XT", ours[1], theirs[2]), ("YT", ours[2], theirs[1])):
        assert _equal_up_to_a_bit_mask(mine.astype(np.float32).astype(np.float64),
                                       reference.astype(np.float32).astype(np.float64)) is not None, name
    valid = lpq_top(clip, windows=windows, grid=(1, 1), slices="valid")
    assert not np.array_equal(valid, lpq_top(clip, windows=windows, grid=(1, 1)))


def test_lpq_top_reference_slices_fill_border_blocks():
    clip = np.random.default_rng(4).integers(0, 256, (9, 40, 40)).astype(np.uint8)
    features = lpq_top(clip, grid=(5, 5)).reshape(25, 3, 256)
    np.testing.assert_allclose(features.sum(axis=2), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="slices"):
        lpq_top(clip, slices="all")
