"""meau crop on a CASME II-sized raw database, on videos that start without a face, and predict --window
against real time.

    python benchmarks/crop.py [--clips 255] [--frames 67] [--n-jobs 2] [--video-seconds 20] [--only videos]

The raw database is built from scikit-image's astronaut photograph pasted into 640 x 480 frames
(CASME2-RAW layout, JPEG), a different pose per clip; building it is not timed. The videos are four
4 s recordings at 30 fps (640 x 360 to 960 x 540) whose first 1.5 s show no face, and one 100-frame
640 x 480 recording with no face at all (rejected). Crop times include
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
    parser.add_argument("--only", choices=["database", "videos", "window"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        print(f"{'workload':<46}{'seconds':>9}{'frames/s':>10}")
        if args.only in (None, "videos"):
            videos_benchmark(folder)
        if args.only in (None, "database"):
            database_benchmark(folder, args)
        if args.only in (None, "window"):
            window_benchmark(folder, args.video_seconds)


def database_benchmark(folder: Path, args):
    from click.testing import CliRunner

    from meau.cli import cli

    if True:
        build_raw(folder / "raw", args.clips, args.frames)
        total = args.clips * args.frames
        for stabilize in ("none", "ecc"):
            start = time.perf_counter()
            result = CliRunner().invoke(cli, ["crop", str(folder / "raw"), "--database", "casme2", "--n-jobs",
                                              str(args.n_jobs), "--stabilize", stabilize, "-o",
                                              str(folder / f"out_{stabilize}")], obj={})
            seconds = time.perf_counter() - start
            assert result.exit_code == 0, result.output
            label = f"crop {args.clips} clips x {args.frames} frames, {stabilize}"
            print(f"{label:<46}{seconds:>9.1f}{total / seconds:>10.0f}")


def videos_benchmark(folder: Path):
    """Videos that start on an empty scene (the first face is searched coarse to fine), and one without a face."""
    import cv2
    from click.testing import CliRunner

    from meau.cli import cli
    from tests.faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix

    head = astronaut_head()
    paths, total = [], 0
    for number, (width, height) in enumerate(((640, 360), (800, 450), (960, 540), (720, 480))):
        background = cluttered_background((height, width), seed=number)
        path = folder / f"take{number}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (width, height))
        for k in range(120):
            frame = background if k < 45 else paste(background, head, paste_matrix(
                2, 1.2 * height / 360, (width / 2 + 0.1 * k, height / 2), head.shape))
            writer.write(frame[..., ::-1])
        writer.release()
        paths.append(path)
        total += 120
    empty = folder / "empty.avi"
    writer = cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    background = cluttered_background((480, 640), seed=9)
    for _ in range(100):
        writer.write(background[..., ::-1])
    writer.release()
    for label, inputs, frames in (("crop 4 videos, 1.5 s of 4 s without a face", paths, total),
                                  ("crop a 100-frame video without a face", [empty], 100)):
        start = time.perf_counter()
        result = CliRunner().invoke(cli, ["crop", *map(str, inputs), "--n-jobs", "1", "-o",
                                          str(folder / f"videos{len(inputs)}")], obj={})
        seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        print(f"{label:<46}{seconds:>9.1f}{frames / seconds:>10.0f}")


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
    for stride in (15, 5, 1):  # 1: a row per frame, with its face box and landmarks
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
