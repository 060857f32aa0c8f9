import numpy as np
import pytest
from skimage.feature import local_binary_pattern

from meau.errors import ClipError
from meau.handcrafted import create_descriptor, lbp_sip, lbp_top
from meau.handcrafted.blocks import block_edges
from meau.handcrafted.lbp import lbp_codes, plane_offsets, uniform_table


def test_uniform_table():
    table = uniform_table(8)
    assert table.max() == 58 and (table > 0).sum() == 58
    uniform = np.flatnonzero(table)
    assert list(table[uniform]) == list(range(1, 59))  # ascending order
    assert table[0] == 1 and table[255] == 58 and table[0b00000101] == 0


@pytest.mark.filterwarnings("ignore:Applying .local_binary_pattern")
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_xy_plane_equals_scikit_image(dtype):
    rng = np.random.default_rng(1)
    clip = (rng.integers(0, 5, (7, 33, 41)) * 50).astype(dtype)  # many ties between neighbours and centres
    clip[:, 5:15, 5:20] = 100
    grid = (5, 5)
    features = lbp_top(clip, radii=(3, 3, 3), grid=grid).reshape(grid[0] * grid[1], 3, 59)
    table = uniform_table(8)
    ys, xs = block_edges(33, 5), block_edges(41, 5)
    expected = np.zeros((25, 59))
    for t in range(3, 4):  # the valid centre frames of a 7-frame clip with R_t = 3
        codes = table[local_binary_pattern(clip[t].astype(np.float64), 8, 3, "default").astype(int)]
        for row in range(5):
            for col in range(5):
                y0, y1 = max(ys[row], 3), min(ys[row + 1], 30)
                x0, x1 = max(xs[col], 3), min(xs[col + 1], 38)
                expected[row * 5 + col] += np.bincount(codes[y0:y1, x0:x1].ravel(), minlength=59)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(features[:, 0], expected, atol=1e-6)


def _hand_code(clip, t, y, x, offsets):
    code = 0
    for bit, (dt, dy, dx) in enumerate(offsets):
        assert float(dt).is_integer() and float(dy).is_integer() and float(dx).is_integer()
        if clip[t + int(dt), y + int(dy), x + int(dx)] >= clip[t, y, x]:
            code |= 1 << bit
    return code


def test_hand_computed_xt_and_yt_codes_on_7x7x7():
    # nearest sampling keeps every neighbour on the grid, so the code can be written out by hand
    clip = np.arange(7 * 7 * 7).reshape(7, 7, 7) % 11
    offsets_xt = plane_offsets("XT", (3, 3, 3), sampling="nearest")
    offsets_yt = plane_offsets("YT", (3, 3, 3), sampling="nearest")
    # XT: (dt, dy, dx) = (R sin a, 0, R cos a); a = 0 -> (0, 0, 3); a = 90° -> (3, 0, 0)
    assert offsets_xt[0] == (0.0, 0.0, 3.0) and offsets_xt[2] == (3.0, 0.0, 0.0) and offsets_xt[1] == (2.0, 0.0, 2.0)
    # YT: (dt, dy, dx) = (R cos a, -R sin a, 0)
    assert offsets_yt[0] == (3.0, 0.0, 0.0) and offsets_yt[2] == (0.0, -3.0, 0.0)
    volume = clip.astype(np.float64)
    xt = lbp_codes(volume, (3, 3, 3), offsets_xt)
    yt = lbp_codes(volume, (3, 3, 3), offsets_yt)
    assert xt.shape == (1, 1, 1)
    # centre value clip[3,3,3] = 171 % 11 = 6; neighbours written out:
    expected_xt = _hand_code(clip, 3, 3, 3, offsets_xt)
    assert int(xt[0, 0, 0]) == expected_xt == sum(
        1 << p for p, (dt, dy, dx) in enumerate(offsets_xt) if clip[3 + int(dt), 3, 3 + int(dx)] >= 6)
    assert int(yt[0, 0, 0]) == _hand_code(clip, 3, 3, 3, offsets_yt)
    # one concrete value, computed on paper: XT neighbours (t, x) of the centre (3, 3):
    # p0 (3,6)=9, p1 (5,5)=?, ... -> compare with explicit indices
    explicit = [clip[3, 3, 6], clip[5, 3, 5], clip[6, 3, 3], clip[5, 3, 1], clip[3, 3, 0], clip[1, 3, 1], clip[0, 3, 3], clip[1, 3, 5]]
    assert int(xt[0, 0, 0]) == sum(1 << p for p, value in enumerate(explicit) if value >= clip[3, 3, 3])


def test_histograms_sum_to_one_and_shape():
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (10, 64, 64), dtype=np.uint8)
    features = lbp_top(clip)
    assert features.shape == (4425,) and features.dtype == np.float32
    np.testing.assert_allclose(features.reshape(25, 3, 59).sum(axis=2), 1, atol=1e-5)
    sip = lbp_sip(clip)
    assert sip.shape == (500,)
    np.testing.assert_allclose(sip.reshape(25, 20)[:, :16].sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(sip.reshape(25, 20)[:, 16:].sum(1), 1, atol=1e-5)
    np.testing.assert_array_equal(create_descriptor("lbptop")(clip), features)


def test_lbp_sip_hand_computed():
    # a 7 x 7 x 7 clip, one valid centre (3, 3, 3) with value 10; set the six intersection points
    clip = np.full((7, 7, 7), 10.0)
    clip[3, 3, 6] = 20   # (x + R): bit 0 set (>=)
    clip[3, 0, 3] = 5    # (y - R): bit 1 clear
    clip[3, 3, 0] = 10   # (x - R): equal -> bit 2 set
    clip[3, 6, 3] = 0    # (y + R): bit 3 clear
    clip[6, 3, 3] = 3    # (t + R): bit 0 clear
    clip[0, 3, 3] = 11   # (t - R): bit 1 set
    features = lbp_sip(clip, grid=(1, 1))
    spatial, temporal = features[:16], features[16:]
    assert np.argmax(spatial) == 0b0101 and spatial.sum() == 1 and spatial.max() == 1
    assert np.argmax(temporal) == 0b10 and temporal.max() == 1


def test_nearest_and_bilinear_differ_only_off_axis():
    offsets = plane_offsets("XY", (3, 3, 3), sampling="nearest")
    assert offsets[1] == (0.0, -2.0, 2.0)  # floor(2.12132 + 0.5) = 2
    assert plane_offsets("XY", (3, 3, 3))[1] == (0.0, -2.12132, 2.12132)


@pytest.mark.parametrize("descriptor", ["lbptop", "lbpsip", "lpqtop", "hog3d"])
def test_bad_input_is_a_clear_error(descriptor):
    function = create_descriptor(descriptor)
    with pytest.raises(ClipError, match="too short"):
        function(np.zeros((2, 64, 64), np.uint8) if descriptor != "hog3d" else np.zeros((1, 64, 64), np.uint8))
    with pytest.raises(ClipError, match="NaN"):
        clip = np.zeros((10, 64, 64))
        clip[2, 3, 4] = np.nan
        function(clip)
    with pytest.raises(ClipError, match=r"shape \(T, H, W\)"):
        function(np.zeros((10, 64, 64, 3), np.uint8))
    with pytest.raises(ClipError, match="numeric"):
        function(np.array([["a"]]))
    with pytest.raises(ClipError, match="too small"):
        function(np.zeros((10, 6, 6), np.uint8))


def _plane_codes_by_scikit_image(clip, plane, radius=3):
    """u2 codes of every valid centre of one plane, from scikit-image on the plane's slices seen as images.

    XT neighbours (x + R cos a, t + R sin a) are scikit-image's (row - R sin a, col + R cos a) on the
    slice with time reversed (rows = T - 1 - t, columns = x); YT neighbours (y - R sin a, t + R cos a)
    on the slice with rows = y and columns = t.
    """
    T, H, W = clip.shape
    r = radius
    table = uniform_table(8)
    codes = np.zeros((T - 2 * r, H - 2 * r, W - 2 * r), dtype=int)
    for y in range(r, H - r):
        if plane == "XT":
            image = clip[::-1, y, :].astype(np.float64)
            slice_codes = local_binary_pattern(image, 8, r, "default")[::-1]  # back to t order: (T, W)
            codes[:, y - r, :] = slice_codes[r : T - r, r : W - r]
    for x in range(r, W - r):
        if plane == "YT":
            image = clip[:, :, x].T.astype(np.float64)  # rows = y, columns = t
            codes[:, :, x - r] = local_binary_pattern(image, 8, r, "default").T[r : T - r, r : H - r]
    return table[codes.astype(int)]


@pytest.mark.filterwarnings("ignore:Applying .local_binary_pattern")
@pytest.mark.parametrize("plane", ["XT", "YT"])
@pytest.mark.parametrize("seed", [0, 1])
def test_temporal_planes_equal_scikit_image_bit_for_bit_on_tie_heavy_clips(plane, seed):
    rng = np.random.default_rng(seed)
    clip = (rng.integers(0, 3, (12, 40, 52)) * 60).astype(np.uint8)  # 3 grey levels: ties everywhere
    index = ["XY", "XT", "YT"].index(plane)
    features = lbp_top(clip, radii=(3, 3, 3), grid=(1, 1)).reshape(3, 59)[index]
    expected = np.bincount(_plane_codes_by_scikit_image(clip, plane).ravel(), minlength=59).astype(np.float64)
    np.testing.assert_array_equal(features, (expected / expected.sum()).astype(np.float32))


@pytest.mark.parametrize("shape, radii", [((7, 13, 12), (3, 3, 3)), ((5, 9, 11), (2, 2, 2)), ((9, 10, 10), (2, 2, 1))])
def test_lbp_top_equals_the_reference_transcription(shape, radii):
    """meau's LBP-TOP against a line-by-line transcription of LBPTOP.m (bilinear, u2): the same
    codes; the reference puts the non-uniform codes in its last bin (58), meau in bin 0."""
    from tests.handcrafted.lbptop_reference import lbptop_reference

    rng = np.random.default_rng(sum(shape))
    clip = rng.integers(0, 256, shape).astype(np.uint8)
    r_x, r_y, r_t = radii
    if r_x != r_y:
        pytest.skip("the reference's border is max(R_x, R_y)")
    ours = lbp_top(clip, radii=radii, grid=(1, 1)).astype(np.float64).reshape(3, 59)
    theirs = lbptop_reference(np.transpose(clip, (1, 2, 0)), r_x, r_y, r_t)
    np.testing.assert_allclose(ours, np.roll(theirs, 1, axis=1), atol=1e-6)
