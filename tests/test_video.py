import numpy as np
import pytest

from meau.errors import ClipError, FrameError
from meau.video import ClipCache, content_key, read_frames, tim, uniform_indices


def test_tim_reproduces_end_frames_and_own_length():
    rng = np.random.default_rng(0)
    clip = rng.random((12, 9, 11))
    np.testing.assert_allclose(tim(clip, 12), clip, atol=1e-9)
    longer = tim(clip, 31)
    np.testing.assert_allclose(longer[0], clip[0], atol=1e-9)
    np.testing.assert_allclose(longer[-1], clip[-1], atol=1e-9)
    shorter = tim(clip, 5)
    assert shorter.shape == (5, 9, 11)
    np.testing.assert_allclose(shorter[[0, -1]], clip[[0, -1]], atol=1e-9)


def test_tim_colour_and_uint8():
    rng = np.random.default_rng(1)
    clip = rng.integers(0, 256, (6, 8, 8, 3)).astype(np.uint8)
    out = tim(clip, 10, dtype=np.uint8)
    assert out.dtype == np.uint8 and out.shape == (10, 8, 8, 3)
    np.testing.assert_array_equal(out[0], clip[0])
    np.testing.assert_array_equal(out[-1], clip[-1])


def test_tim_on_smooth_motion_interpolates_in_between():
    # a blob moving linearly: TIM to twice the length stays close to the true in-between frames
    ys, xs = np.mgrid[0:24, 0:24]
    frames = lambda n: np.stack([np.exp(-((xs - 6 - 12 * s) ** 2 + (ys - 12) ** 2) / 18) for s in np.linspace(0, 1, n)])
    coarse, fine = frames(8), frames(15)
    assert np.abs(tim(coarse, 15) - fine).max() < 0.25


def test_tim_duplicate_frames():
    rng = np.random.default_rng(2)
    clip = rng.random((6, 5, 5))
    with_duplicate = np.concatenate([clip[:3], clip[2:3], clip[3:]])
    with pytest.raises(ClipError, match="linearly dependent"):
        tim(with_duplicate, 10)
    out = tim(with_duplicate, 6, duplicates="drop")
    np.testing.assert_allclose(out, clip, atol=1e-9)
    with pytest.raises(ClipError, match="at least 2"):
        tim(clip[:1], 4)


def test_corrupt_and_missing_frames_are_named(tmp_path):
    import cv2

    good = tmp_path / "img1.jpg"
    cv2.imwrite(str(good), np.zeros((8, 8, 3), np.uint8))
    bad = tmp_path / "img2.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(FrameError, match="img2.jpg: truncated JPEG"):
        read_frames([good, bad])
    bad.write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    with pytest.raises(FrameError, match="img2.jpg: unreadable"):
        read_frames([good, bad])
    with pytest.raises(FrameError, match="img3.jpg: missing"):
        read_frames([good, tmp_path / "img3.jpg"])


def test_clip_cache_keys_on_content(tmp_path):
    import cv2

    paths = []
    rng = np.random.default_rng(3)
    for n in range(4):
        path = tmp_path / f"f{n}.png"
        cv2.imwrite(str(path), rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
        paths.append(path)
    key = content_key(paths, {"size": 16})
    assert key == content_key(paths, {"size": 16}) and key != content_key(paths, {"size": 8})
    cache = ClipCache(tmp_path / "cache")
    first = cache.load(paths, size=(16, 16), tim_frames=6)
    assert len(list((tmp_path / "cache" / "clips").glob("*.npy"))) == 1
    np.testing.assert_array_equal(cache.load(paths, size=(16, 16), tim_frames=6), first)
    cv2.imwrite(str(paths[0]), np.zeros((20, 20, 3), np.uint8))  # content changes -> new entry
    cache.load(paths, size=(16, 16), tim_frames=6)
    assert len(list((tmp_path / "cache" / "clips").glob("*.npy"))) == 2


def test_uniform_indices():
    assert uniform_indices(50, 10).tolist() == [0, 5, 11, 16, 22, 27, 33, 38, 44, 49]
