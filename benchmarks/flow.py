"""Optical flow methods: error on a texture shifted by a known sub-pixel displacement, and speed.

    python benchmarks/flow.py [--size 128] [--pairs 20]

TV-L1 rows appear where OpenCV's contrib build is installed (``cv2.optflow``).
"""

import argparse
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()

    import cv2

    from meau.flow import optical_flow

    methods = ["farneback"] + (["tvl1"] if hasattr(cv2, "optflow") else [])
    rng = np.random.default_rng(0)
    print(f"{args.pairs} pairs of {args.size} x {args.size}, shifts uniform in [-1.5, 1.5] px, 16-px border left out")
    print(f"{'method':<10}{'mean |error| px':>17}{'worst px':>10}{'ms / pair':>11}")
    for method in methods:
        errors, seconds = [], 0.0
        for pair in range(args.pairs):
            texture = cv2.GaussianBlur((rng.random((args.size, args.size)) * 255).astype(np.float32), (0, 0), 2.0)
            shift = rng.uniform(-1.5, 1.5, size=2)
            matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
            moved = cv2.warpAffine(texture, matrix, (args.size, args.size), flags=cv2.INTER_CUBIC,
                                   borderMode=cv2.BORDER_REFLECT)
            first, second = (np.clip(image, 0, 255).astype(np.uint8) for image in (texture, moved))
            start = time.perf_counter()
            flow = optical_flow(first, second, method)
            seconds += time.perf_counter() - start
            errors.append(np.abs(flow[16:-16, 16:-16].reshape(-1, 2).mean(axis=0) - shift))
        errors = np.array(errors)
        print(f"{method:<10}{errors.mean():>17.4f}{errors.max():>10.4f}{1000 * seconds / args.pairs:>11.1f}")


if __name__ == "__main__":
    main()
