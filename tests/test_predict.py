import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli


def _clip_folders(tiny_db, count=2):
    folders = sorted((tiny_db / "Cropped").glob("sub0*/EP*"))[:count]
    assert folders
    return folders


def _video(path, frames):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (frames[0].shape[1], frames[0].shape[0]))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_predict_with_a_handcrafted_run(tiny_db, tmp_path):
    import cv2

    runner = CliRunner()
    run = tmp_path / "lbpsip"
    result = runner.invoke(cli, ["baseline", "lbpsip", str(tiny_db), "--min-count", "3", "--no-cache", "-o", str(run)], obj={})
    assert result.exit_code == 0, result.output
    assert (run / "model.npz").exists() and (run / "model.json").exists() and not (run / "model.joblib").exists()
    folders = _clip_folders(tiny_db)
    frames = [cv2.imread(str(p)) for p in sorted(folders[0].glob("*.jpg"))]
    video = _video(tmp_path / "clip.avi", frames)
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "predictions.csv"
    result = runner.invoke(cli, ["predict", str(run), *map(str, folders), str(video), str(empty),
                                 str(tmp_path / "broken.mp4"), "-o", str(out)], obj={})
    assert result.exit_code == 0 and "2 input(s) failed" in result.output  # some failed: listed, exit 0
    table = pd.read_csv(out)
    assert table["status"].tolist()[:3] == ["ok", "ok", "ok"]
    assert table["status"][3].startswith("error:") and "no frame images" in table["status"][3]
    assert "unreadable video" in table["status"][4]
    au_columns = json.loads((run / "metrics.json").read_text())["aus"]
    final = json.loads((run / "model.json").read_text())
    for column in au_columns:
        probabilities = table[f"{column}_p"][:3]
        assert ((probabilities >= 0) & (probabilities <= 1)).all()
        # decisions are integers and follow the written probability and threshold
        assert table[f"{column}_c"][:3].tolist() == (probabilities >= table[f"{column}_t"][:3]).astype(int).tolist()
        slope, intercept = final["calibration"][column]
        expected = 1 / (1 + np.exp(-intercept)) if slope > 0 else 1.0  # the probability of SVM score 0
        assert table[f"{column}_t"][0] == pytest.approx(expected, abs=1e-6)
    assert table["model"][0] == "LBP-SIP" and table["threshold"][0].startswith("AU_p >= AU_t")
    import csv

    with open(out, newline="") as handle:
        written = list(csv.DictReader(handle))
    assert {row[f"{c}_c"] for row in written for c in au_columns} <= {"0", "1", ""}  # integers, never 1.0
    # the video holds the same frames as the first folder: same decisions (JPEG/MJPG noise aside)
    agree = np.mean([table[f"{c}_c"][0] == table[f"{c}_c"][2] for c in au_columns])
    assert agree >= 0.75


def test_predict_with_a_deep_run(tiny_db, tmp_path):
    pytest.importorskip("torch")
    runner = CliRunner()
    run = tmp_path / "deep"
    common = [str(tiny_db), "--min-count", "3", "--widen-factor", "0.0625", "--epochs", "1", "--batch-size", "8",
              "--short-side", "32", "--crop", "28", "--tim-frames", "12", "--clip-frames", "8", "--device", "cpu",
              "--cache", str(tmp_path / "cache")]
    assert runner.invoke(cli, ["train", "sca", *common, "-o", str(run)], obj={}).exit_code == 0
    folders = _clip_folders(tiny_db)
    result = runner.invoke(cli, ["predict", str(run), *map(str, folders), "-o", str(tmp_path / "p.csv")], obj={})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p.csv")
    assert (table["status"] == "ok").all() and "4 checkpoint(s)" in table["model"][0]
    single = runner.invoke(cli, ["predict", str(run / "checkpoints" / "fold_0" / "best.pt"), str(folders[0]),
                                 "-o", str(tmp_path / "one.csv")], obj={})
    assert single.exit_code == 0, single.output
    first = min(int(p.stem.replace("reg_img", "")) for p in folders[0].glob("reg_img*.jpg"))
    short = runner.invoke(cli, ["predict", str(run), str(folders[0]), "--onset", str(first), "--offset", str(first),
                                "-o", str(tmp_path / "short.csv")], obj={})
    assert short.exit_code == 1
    assert "TIM needs at least 2" in pd.read_csv(tmp_path / "short.csv")["status"][0]
