"""Milliseconds per clip for each descriptor on 10 x 128 x 128 and 30 x 128 x 128 clips, one core.

A per-plane composite of LBP-TOP built from scikit-image's ``local_binary_pattern`` (XY on every
frame, XT on every row, YT on every column, same u2 table) is timed beside it as a reference.

    OMP_NUM_THREADS=1 python benchmarks/descriptors.py [--repeat 5]
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def skimage_lbp_top(clip, radius=3, points=8):
    """LBP-TOP as three stacks of scikit-image calls (whole clip, no blocks): the reference point."""
    from skimage.feature import local_binary_pattern

    from meau.handcrafted.lbp import uniform_table

    table = uniform_table(points)
    histograms = []
    for planes in (clip, clip.transpose(1, 0, 2), clip.transpose(2, 0, 1)):
        codes = np.stack([local_binary_pattern(plane, points, radius, "default") for plane in planes])
        histograms.append(np.bincount(table[codes.astype(int)].ravel(), minlength=59))
    return np.concatenate(histograms)


def timed(function, clip, repeat):
    function(clip)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(clip)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from meau.handcrafted import create_descriptor

    rng = np.random.default_rng(0)
    rows = []
    for frames in (10, 30):
        clip = rng.integers(0, 256, (frames, 128, 128)).astype(np.uint8)
        for name in ("lbptop", "lpqtop", "lbpsip", "hog3d"):
            rows.append((name, frames, timed(create_descriptor(name), clip, args.repeat)))
        rows.append(("skimage LBP-TOP composite", frames, timed(skimage_lbp_top, clip, max(1, args.repeat // 2))))
    print(f"{'descriptor':<28}{'clip':>16}{'ms / clip':>12}")
    for name, frames, ms in rows:
        print(f"{name:<28}{f'{frames} x 128 x 128':>16}{ms:>12.1f}")
    for frames in (10, 30):
        ours = next(ms for name, f, ms in rows if name == "lbptop" and f == frames)
        reference = next(ms for name, f, ms in rows if name.startswith("skimage") and f == frames)
        print(f"LBP-TOP speed-up over the scikit-image composite at {frames} frames: {reference / ours:.1f}x")


if __name__ == "__main__":
    main()
