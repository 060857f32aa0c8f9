"""meau crop on a CASME II-sized raw database, and predict --window against real time.

    python benchmarks/crop.py [--clips 255] [--frames 67] [--n-jobs 2] [--video-seconds 20]

The raw database is built from scikit-image's astronaut photograph pasted into 640 x 480 frames
(CASME2-RAW layout, JPEG), a different pose per clip; building it is not timed. Crop times include
reading and writing every JPEG. The window row predicts a 30 fps 640 x 360 video (faces cropped with
--crop) with a flow + SVM run trained on a small synthetic database.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_raw(root: Path, clips: int, frames: int):
    import cv2

    from tests.faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix
    from tests.sheets import write_casme2

    head = astronaut_head()
    rng = np.random.default_rng(0)
    rows = []
    for index in range(clips):
        subject = f"{index % 26 + 1:02d}"
        clip = f"EP{index:03d}"
        folder = root / "CASME2-RAW" / f"sub{subject}" / clip
        folder.mkdir(parents=True)
        background = cluttered_background((480, 640), seed=index)
        angle, scale = rng.uniform(-10, 10), rng.uniform(0.8, 1.4)
        centre = (rng.uniform(260, 380), rng.uniform(200, 280))
        for number in range(1, frames + 1):
            matrix = paste_matrix(angle, scale, (centre[0] + 0.02 * number, centre[1]), head.shape)
            cv2.imwrite(str(folder / f"img{number}.jpg"), paste(background, head, matrix)[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
        rows.append((subject, clip, None, 1, frames // 2, frames, None, "4", "others"))
    write_casme2(root / "CASME2-coding-20140508.xlsx", rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=255)
    parser.add_argument("--frames", type=int, default=67)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--video-seconds", type=float, default=20.0)
    args = parser.parse_args()

    from click.testing import CliRunner

    from meau.cli import cli

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        build_raw(folder / "raw", args.clips, args.frames)
        total = args.clips * args.frames
        print(f"{'workload':<46}{'seconds':>9}{'frames/s':>10}")
        for stabilize in ("none", "ecc"):
            start = time.perf_counter()
            result = CliRunner().invoke(cli, ["crop", str(folder / "raw"), "--database", "casme2", "--n-jobs",
                                              str(args.n_jobs), "--stabilize", stabilize, "-o",
                                              str(folder / f"out_{stabilize}")], obj={})
            seconds = time.perf_counter() - start
            assert result.exit_code == 0, result.output
            label = f"crop {args.clips} clips x {args.frames} frames, {stabilize}"
            print(f"{label:<46}{seconds:>9.1f}{total / seconds:>10.0f}")
        window_benchmark(folder, args.video_seconds)


def window_benchmark(folder: Path, seconds_of_video: float):
    import cv2
    from click.testing import CliRunner

    from meau.cli import cli
    from meau.databases.synth import generate
    from tests.faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix

    generate(folder / "synth", subjects=8, samples=64, intensity=8.0, seed=0)
    result = CliRunner().invoke(cli, ["baseline", "flow", str(folder / "synth"), "--min-count", "3", "--no-cache",
                                      "-o", str(folder / "flow")], obj={})
    assert result.exit_code == 0, result.output
    head = astronaut_head()
    background = cluttered_background((360, 640), seed=1)
    count = int(30 * seconds_of_video)
    writer = cv2.VideoWriter(str(folder / "video.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 360))
    for k in range(count):
        writer.write(paste(background, head, paste_matrix(3, 1.0, (320 + 0.01 * k, 180), head.shape))[..., ::-1])
    writer.release()
    for stride in (15, 5):
        start = time.perf_counter()
        result = CliRunner().invoke(cli, ["predict", str(folder / "flow"), str(folder / "video.avi"), "--crop",
                                          "--window", "30", "--stride", str(stride), "-o",
                                          str(folder / f"traces{stride}.csv")], obj={})
        seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        label = f"predict --crop --window 30 --stride {stride}, flow"
        print(f"{label:<46}{seconds:>9.1f}{count / seconds:>10.0f}   {seconds_of_video / seconds:.1f}x real time")


if __name__ == "__main__":
    main()
