"""predict --window: AU traces over a long recording, with a planted AU event in known frames."""

import cv2
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli


@pytest.fixture(scope="module")
def flow_run(tmp_path_factory):
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("traces")
    generate(root / "db", subjects=8, samples=64, intensity=8.0, seed=3, plant=[12])
    result = CliRunner().invoke(cli, ["baseline", "flow", str(root / "db"), "--aus", "12", "--min-count", "3",
                                      "--no-cache", "-o", str(root / "run")], obj={})
    assert result.exit_code == 0, result.output
    return root / "run"


def _long_recording(folder, event=(60, 66, 73), around=60):
    """One subject's face for ~150 frames, still but for sensor noise and drift, AU12 in frames onset..offset."""
    from meau.databases.synth import render_clip, subject_face

    face = subject_face(11, "05")
    onset, apex, offset = event
    numbers, frames = render_clip(face, {12: None}, 8.0, onset, apex, offset, np.random.default_rng(0),
                                  frames_around=around)
    folder.mkdir(parents=True)
    for number, frame in zip(numbers, frames):
        cv2.imwrite(str(folder / f"frame{number:04d}.png"), frame[..., ::-1])
    return numbers


def test_windows_holding_the_event_score_highest(flow_run, tmp_path):
    _long_recording(tmp_path / "long")
    result = CliRunner().invoke(cli, ["predict", str(flow_run), str(tmp_path / "long"), "--window", "16", "--stride", "4",
                                      "--fps", "30", "--figure", str(tmp_path / "traces.png"),
                                      "-o", str(tmp_path / "traces.csv")], obj={})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "traces.csv")
    assert (table["window_end"] - table["window_start"] == 15).all()
    assert table["start_s"].iloc[1] == pytest.approx(4 / 30, abs=1e-4)
    holds = (table["window_start"] <= 66) & (table["window_end"] >= 62)  # windows that see the rise to the apex
    assert holds.any() and (~holds).sum() > 10
    best = table["AU12_p"].idxmax()
    assert holds[best], table[["window_start", "window_end", "AU12_p"]].to_string()
    assert table.loc[holds, "AU12_p"].max() > table.loc[~holds, "AU12_p"].max()
    assert (tmp_path / "traces.png").stat().st_size > 1000
    # windows are predicted in threads, each into its own row: the values one call per window gives, in order
    from meau.prediction import load_predictor
    from meau.video import frames_of_input

    predictor, frames = load_predictor(flow_run), frames_of_input(tmp_path / "long", color=False)
    direct = [predictor(frames[start:start + 16], "w")[0][0] for start in table["window_start"]]
    assert np.allclose(table["AU12_p"], np.round(direct, 6))
    # with --onset, windows are named by the frames' numbers (as in the file names), not by their rank
    numbers = sorted(int(path.stem[5:]) for path in (tmp_path / "long").glob("frame*.png"))
    onset = numbers[20]
    result = CliRunner().invoke(cli, ["predict", str(flow_run), str(tmp_path / "long"), "--onset", str(onset),
                                      "--offset", str(numbers[50]), "--window", "16", "--stride", "8", "-o", str(tmp_path / "onset.csv")], obj={})
    assert result.exit_code == 0, result.output
    later = pd.read_csv(tmp_path / "onset.csv")
    assert later["window_start"].iloc[0] == onset and later["window_end"].iloc[0] == numbers[35]


def test_window_errors_name_the_option(flow_run, tmp_path):
    _long_recording(tmp_path / "short", event=(3, 5, 8), around=2)
    runner = CliRunner()
    result = runner.invoke(cli, ["predict", str(flow_run), str(tmp_path / "short"), "--window", "500",
                                 "-o", str(tmp_path / "p.csv")], obj={})
    assert result.exit_code == 1 and "--window 500 is longer than the input's 10 frames" in result.output
    result = runner.invoke(cli, ["predict", str(flow_run), str(tmp_path / "short"), "--figure", str(tmp_path / "f.png"),
                                 "-o", str(tmp_path / "q.csv")], obj={})
    assert result.exit_code == 1 and "--figure" in result.output and "--window" in result.output


def test_predict_crops_raw_recordings(flow_run, tmp_path):
    pytest.importorskip("dlib")
    from .faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix

    head = astronaut_head()
    background = cluttered_background((360, 640), seed=4)
    folder = tmp_path / "raw"
    folder.mkdir()
    for k in range(12):
        frame = paste(background, head, paste_matrix(8, 0.9, (300 + 0.3 * k, 180), head.shape))
        cv2.imwrite(str(folder / f"f{k}.png"), frame[..., ::-1])
    result = CliRunner().invoke(cli, ["predict", str(flow_run), str(folder), "--crop", "--window", "8", "--stride", "2",
                                      "-o", str(tmp_path / "p.csv")], obj={})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p.csv")
    assert len(table) == 3 and (table["status"] == "ok").all()
    import meau

    frames = meau.predict(flow_run, folder, crop=True, window=8, stride=1)  # one row per frame
    assert len(frames) == 12 and (frames["face"] == 1).all() and (frames["status"] == "ok").sum() == 5
    # the box and landmarks are in the frames as recorded, where the head was pasted at (300 + 0.3 k, 180)
    inside = (frames["face_x"] < 300) & (frames["face_x"] + frames["face_width"] > 304) & \
        (frames["face_y"] < 180) & (frames["face_y"] + frames["face_height"] > 180)
    assert inside.all(), frames[["face_x", "face_y", "face_width", "face_height"]]
    landmarks = [f"{axis}_{k}" for axis in "xy" for k in range(68)]
    uncropped = meau.predict(flow_run, folder, window=8, stride=1)
    # (the same points within a pixel: an uncropped flow run reads the frames grey, crop reads them in colour)
    assert np.abs(frames[landmarks].to_numpy() - uncropped[landmarks].to_numpy()).max() <= 1
    assert np.diff(frames["x_30"]).sum() > 2  # the nose follows the head's drift of 3.3 px
    noise = tmp_path / "noise"
    noise.mkdir()
    for k in range(3):
        cv2.imwrite(str(noise / f"f{k}.png"), np.random.default_rng(k).integers(0, 256, (120, 160, 3)).astype(np.uint8))
    result = CliRunner().invoke(cli, ["predict", str(flow_run), str(noise), str(folder), "--crop",
                                      "-o", str(tmp_path / "q.csv")], obj={})
    assert result.exit_code == 0 and "no face found" in result.output and "1 input(s) failed" in result.output
    assert pd.read_csv(tmp_path / "q.csv")["status"].tolist()[1] == "ok"
    alone = CliRunner().invoke(cli, ["predict", str(flow_run), str(noise), "--crop", "-o", str(tmp_path / "r.csv")],
                               obj={})
    assert alone.exit_code == 1 and "every input failed (1)" in alone.output
