"""Eulerian magnification: time per clip, and the measured gain against |1 + alpha H(omega)|.

    python benchmarks/magnify.py [--frames 10] [--size 128] [--repeats 50]
"""

import argparse
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    from meau.magnify import band_response, magnify

    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (args.frames, args.size, args.size)).astype(np.uint8)
    colour = np.repeat(clip[..., None], 3, axis=3)
    print(f"{'clip':<28}{'alpha':>7}{'ms / clip':>11}")
    for name, data in ((f"{args.frames} x {args.size}^2 grey", clip), (f"{args.frames} x {args.size}^2 RGB", colour)):
        for alpha in (5.0, 20.0):
            magnify(data, alpha)  # warm up
            start = time.perf_counter()
            for _ in range(args.repeats):
                magnify(data, alpha)
            print(f"{name:<28}{alpha:>7.0f}{1000 * (time.perf_counter() - start) / args.repeats:>11.2f}")
    print()
    print("|1 + alpha H(omega)| for r1 = 0.4, r2 = 0.05 (the gain of a sub-pixel motion at omega rad/frame):")
    for omega in (0.05, 0.2, 0.5, 1.0, 2.0, np.pi):
        print(f"  omega {omega:5.2f}: H = {abs(band_response(omega)):.3f}, alpha 10 gain {abs(1 + 10 * band_response(omega)):6.2f}")


if __name__ == "__main__":
    main()
