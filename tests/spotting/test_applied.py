"""Spotting part 2: AUs per spotted interval, your own recordings (ELAN files, figures), a Dask cluster."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli

from ..outcomes import check_outcome
from ..test_presence import _video

SHEET = "CAS(ME)^2code_final.xlsx"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], obj={})


@pytest.fixture(scope="module")
def au_run(tiny_db, tmp_path_factory):
    """A flow + SVM AU run on the tiny clip database (its final SVMs predict new clips)."""
    run = tmp_path_factory.mktemp("au") / "run"
    result = invoke("baseline", "flow", tiny_db, "--min-count", "3", "--no-cache", "-o", run)
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def described(long_db, au_run, tmp_path_factory):
    """A diff spotting run on the long recordings whose intervals carry the AU run's predictions."""
    folder = tmp_path_factory.mktemp("described")
    result = invoke("spot", "diff", long_db, "--database", "casmesq", "--size", "64", "--no-figures", "--aus-from",
                    au_run, "--cache", folder / "cache", "-o", folder / "run")
    assert result.exit_code == 0, result.output
    truth = invoke("annotate", long_db / SHEET, "--database", "casmesq", "--min-count", "1", "-o", folder / "truth.csv")
    assert truth.exit_code == 0, truth.output
    return folder


def test_each_spotted_interval_gets_the_aus_predict_gives_its_frames(described, au_run, long_db):
    from meau.databases import DatasetSelection, LabelSettings
    from meau.databases.recordings import load_recordings
    from meau.prediction import load_predictor
    from meau.video import read_frames

    intervals = pd.read_csv(described / "run" / "intervals.csv", dtype={"subject": str})
    predictor = load_predictor(au_run)
    assert len(intervals) and (intervals["aus_status"] == "ok").all()
    for column in predictor.au_columns:
        assert {f"{column}_p", f"{column}_t", f"{column}_c"} <= set(intervals.columns)
        assert ((intervals[f"{column}_p"] >= intervals[f"{column}_t"]).astype(int) == intervals[f"{column}_c"]).all()
    # one interval again, by hand: its frames as one clip for predict's predictor
    data = load_recordings(DatasetSelection(database="casmesq", root=long_db, labels=LabelSettings(min_count=1)))
    row = intervals.iloc[0]
    recording = {r.key: r for r in data.recordings}[(row["subject"], row["video"])]
    frames = [p for p, n in zip(recording.frames, recording.numbers) if row["onset"] <= n <= row["offset"]]
    probabilities, _ = predictor(read_frames(frames), "check")
    np.testing.assert_allclose(row[[f"{c}_p" for c in predictor.au_columns]].to_numpy(float), probabilities, atol=1e-6)


def test_score_aus_is_the_per_au_f1_on_the_true_positive_pairs(described):
    from sklearn.metrics import f1_score

    from meau.spotting.intervals import read_intervals
    from meau.spotting.score import str_pairs

    result = invoke("spot", "score", described / "run" / "intervals.csv", "--truth", described / "truth.csv", "--aus")
    assert result.exit_code == 0, result.output
    assert "AUs on the" in result.output and "spotting F1 x AU F1" in result.output
    predictions = read_intervals(described / "run" / "intervals.csv")
    truth = read_intervals(described / "truth.csv")
    pairs = str_pairs(predictions.records, truth.records)
    assert pairs, "the test needs true-positive pairs"
    scores = []
    for column in [c[:-2] for c in predictions.table.columns if c.endswith("_c")]:
        if column not in truth.table.columns:
            continue
        kept = [(t, p) for p, t in pairs if truth.table[column].iloc[t] != ""]
        if kept:
            scores.append(f1_score([int(float(truth.table[column].iloc[t])) for t, _ in kept],
                                   [int(predictions.table[f"{column}_c"].iloc[p]) for _, p in kept], zero_division=0))
    mean = float(np.mean(scores))
    assert f"F1 {mean:.4f}" in result.output
    metrics = json.loads((described / "run" / "metrics.json").read_text())
    assert f"{metrics['overall']['f1'] * mean:.4f}" in result.output.split("spotting F1 x AU F1")[1]


def test_your_own_recordings_with_the_runs_settings_aus_and_elan_files(described, au_run, long_db, tmp_path):
    import cv2
    import pympi

    folder = next((long_db / "rawpic").glob("s16/*"))
    # the same recording as a lossless video file too (30 fps, 0-based frame indices)
    paths = sorted(folder.glob("*.jpg"), key=lambda p: int(p.stem[3:]))
    first = cv2.imread(str(paths[0]))
    video = tmp_path / "take.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"FFV1"), 30, (first.shape[1], first.shape[0]))
    assert writer.isOpened(), "OpenCV's FFV1 encoder"
    for path in paths:
        writer.write(cv2.imread(str(path)))
    writer.release()
    out = tmp_path / "spots"
    result = invoke("spot", "diff", "--run", described / "run", folder, video, "--aus-from", au_run, "--eaf", "-o", out)
    assert result.exit_code == 0, result.output
    intervals = pd.read_csv(out / "intervals.csv")
    assert set(intervals["video"]) <= {folder.name, "take"} and (intervals["aus_status"] == "ok").all()
    assert (out / "figures" / f"{folder.name}.png").stat().st_size > 5000
    saved = json.loads((described / "run" / "settings.json").read_text())["settings"]
    for kind in ("micro", "macro"):  # every interval within the bounds chosen on all the run's subjects
        rows = intervals[intervals["type"] == kind]
        lengths = rows["offset"] - rows["onset"] + 1
        assert lengths.between(*saved[kind]["length"]).all()
    for name in (folder.name, "take"):
        eaf = pympi.Elan.Eaf(str(out / f"{name}.eaf"))
        assert set(eaf.get_tier_names()) == {"micro", "macro"}
        rows = intervals[intervals["video"] == name]
        read_back = sorted((kind, start, end) for kind in ("micro", "macro")
                           for start, end, _ in eaf.get_annotation_data_for_tier(kind))
        written = sorted((r.type, int(round(r.onset_s * 1000)), int(round(r.offset_s * 1000))) for r in rows.itertuples())
        assert read_back == written and len(written)
        values = [value for kind in ("micro", "macro") for _, _, value in eaf.get_annotation_data_for_tier(kind)]
        assert all(value.startswith("score ") and ";" in value for value in values)
    linked = pympi.Elan.Eaf(str(out / "take.eaf")).get_linked_files()[0]
    assert linked["MEDIA_URL"] == video.resolve().as_uri()  # a file:// URL, as ELAN writes it
    assert linked["RELATIVE_MEDIA_URL"] == "../take.avi" and (out / linked["RELATIVE_MEDIA_URL"]).resolve() == video.resolve()
    # nothing but what meau writes: no hidden .bak of the atomic temporary
    assert sorted(p.name for p in out.iterdir()) == sorted(["figures", "intervals.csv", "recordings.csv", ".meau",
                                                            f"{folder.name}.eaf", "take.eaf"])
    # the video and the folder hold the same frames: the same intervals, in seconds and in frames (a folder's
    # numbers from 1, a video's indices from 0)
    by_folder = intervals[intervals["video"] == folder.name].reset_index(drop=True)
    by_video = intervals[intervals["video"] == "take"].reset_index(drop=True)
    pd.testing.assert_frame_equal(by_folder[["type", "onset_s", "offset_s"]], by_video[["type", "onset_s", "offset_s"]])
    assert (by_folder["onset"] - by_video["onset"] == 1).all()


def _without_pympi(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pympi", None)
    monkeypatch.setitem(sys.modules, "pympi.Elan", None)


@pytest.mark.parametrize("name,arguments,expect", [
    ("aus from a run without a model", lambda d, tmp: ["spot", "diff", d["db"], "--database", "casmesq",
                                                       "--aus-from", d["constant"], "-o", tmp / "out"],
     "--aus-from"),
    ("eaf without pympi-ling", lambda d, tmp: ["spot", "diff", "--run", d["run"], d["folder"], "--eaf", "-o", tmp / "out"],
     "pip install 'meau[elan]'"),
    ("run of another spotter", lambda d, tmp: ["spot", "flow", "--run", d["run"], d["folder"], "-o", tmp / "out"],
     "a diff spotting run: use meau spot diff --run"),
    ("a spotter setting unlike the run's", lambda d, tmp: ["spot", "diff", "--run", d["run"], d["folder"], "--size",
                                                           "96", "-o", tmp / "out"],
     "--size 96: "),
    ("a spotter flag unlike the run's", lambda d, tmp: ["spot", "diff", "--run", d["run"], d["folder"], "--mask-eyes",
                                                        "-o", tmp / "out"],
     "--mask-eyes on: "),
    ("run that is no spotting run", lambda d, tmp: ["spot", "diff", "--run", d["constant"], d["folder"], "-o", tmp / "out"],
     "no settings.json"),
    ("crop without --run", lambda d, tmp: ["spot", "diff", d["db"], "--database", "casmesq", "--crop", "-o", tmp / "out"],
     "--crop goes with --run"),
    ("unreachable scheduler", lambda d, tmp: ["spot", "diff", d["db"], "--database", "casmesq", "--backend", "dask",
                                              "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1",
                                              "-o", tmp / "out"],
     "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s"),
    ("dask without a scheduler", lambda d, tmp: ["spot", "diff", d["db"], "--database", "casmesq", "--backend", "dask",
                                                 "-o", tmp / "out"], "--backend dask: needs --scheduler ADDRESS"),
])
def test_bad_input_is_one_line_and_writes_nothing(name, arguments, expect, described, long_db, tiny_db, tmp_path,
                                                  monkeypatch, tmp_path_factory):
    constant = tmp_path_factory.getbasetemp() / "constant-for-spotting"
    if not (constant / "metrics.json").exists():
        assert invoke("baseline", "constant", tiny_db, "--min-count", "3", "-o", constant).exit_code == 0
    if "pympi" in name:
        _without_pympi(monkeypatch)
    given = {"db": long_db, "run": described / "run", "constant": constant,
             "folder": next((long_db / "rawpic").glob("s16/*"))}
    start = time.perf_counter()
    result = invoke(*arguments(given, tmp_path))
    check_outcome(result, name, 1, expect)
    assert not (tmp_path / "out").exists()
    assert time.perf_counter() - start < 15


def test_spotting_replaces_only_a_folder_it_wrote(described, long_db, tmp_path):
    """--overwrite into the user's own folder deletes nothing, for a spotting run and for --run's output;
    the output of an earlier --run (its marker) is replaced."""
    folder = next((long_db / "rawpic").glob("s16/*"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the only copy")
    for arguments in (["spot", "diff", "--run", described / "run", folder, "-o", mine, "--overwrite"],
                      ["spot", "diff", long_db, "--database", "casmesq", "--size", "64", "--no-cache", "-o", mine,
                       "--overwrite"]):
        check_outcome(invoke(*arguments), "a folder meau did not write", 1, "not written by meau")
        assert sorted(path.name for path in mine.iterdir()) == ["notes.txt"]
        assert (mine / "notes.txt").read_text() == "the only copy"
    out = tmp_path / "spots"
    assert invoke("spot", "diff", "--run", described / "run", folder, "-o", out).exit_code == 0
    first = (out / "intervals.csv").read_text()
    check_outcome(invoke("spot", "diff", "--run", described / "run", folder, "-o", out), "no --overwrite", 1,
                  "is not empty")
    again = invoke("spot", "diff", "--run", described / "run", folder, "-o", out, "--overwrite")
    assert again.exit_code == 0, again.output
    assert (out / "intervals.csv").read_text() == first and (out / ".meau").is_file()


def test_a_dask_cluster_gives_the_local_results(long_db, tmp_path):
    from distributed import LocalCluster

    common = ["spot", "diff", long_db, "--database", "casmesq", "--size", "48", "--no-cache", "--no-figures"]
    local = invoke(*common, "-o", tmp_path / "local")
    assert local.exit_code == 0, local.output
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        remote = invoke(*common, "--backend", "dask", "--scheduler", cluster.scheduler_address, "-o", tmp_path / "dask")
    assert remote.exit_code == 0, remote.output
    for name in ("intervals.csv", "settings.json", "metrics.json"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "local" / name).read_text(), name


def test_a_batch_where_every_input_fails_exits_1_and_one_that_partly_fails_lists_them(described, long_db, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = invoke("spot", "diff", "--run", described / "run", empty, "--no-figures", "-o", tmp_path / "none")
    assert failed.exit_code == 1 and "every input failed (1)" in failed.output, failed.output
    assert failed.output.count(str(empty)) == 1, failed.output  # the path once, in the line naming the input
    good = next((long_db / "rawpic").glob("s16/*"))
    partly = invoke("spot", "diff", "--run", described / "run", good, empty, "--no-figures", "-o", tmp_path / "some")
    assert partly.exit_code == 0 and "(1 failed)" in partly.output, partly.output
    statuses = pd.read_csv(tmp_path / "some" / "recordings.csv")
    assert statuses["status"].str.startswith("error").tolist() == [False, True]


def test_spot_run_on_a_video_whose_face_leaves_reports_the_stretch_and_flags_the_spots(described, tmp_path):
    """The reported case: a face for 73 frames then a cartoon; the cartoon is 'no face', listed in
    recordings.csv in frames and seconds; a faceless video is an error line; a contradicted rate is refused."""
    leaves = _video(tmp_path / "leaves.avi", "F" * 73 + "C" * 96)
    faceless = _video(tmp_path / "faceless.avi", "C" * 20)
    result = invoke("spot", "diff", "--run", described / "run", leaves, faceless, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output  # one of two failed: listed, exit 0
    statuses = pd.read_csv(tmp_path / "out" / "recordings.csv", dtype={"frames_without_face": "Int64"})
    found = statuses[statuses["input"] == str(leaves)].iloc[0]
    assert found["status"] == "ok" and found["frames_without_face"] == 96
    assert found["stretches_without_face"] == "73-168" and found["stretches_without_face_s"] == "2.92-6.76"
    assert found["fps_source"] == "the video's" and "96 frame(s) without the face" in result.output
    error = statuses[statuses["input"] == str(faceless)].iloc[0]["status"]
    assert error.startswith("error: ") and "no face found in any of its 20 frames (every frame searched)" in error
    intervals = pd.read_csv(tmp_path / "out" / "intervals.csv")
    assert "touches_no_face" in intervals.columns
    assert intervals[intervals["offset"] >= 73]["touches_no_face"].all()  # a spot at the cut is flagged
    refused = invoke("spot", "diff", "--run", described / "run", leaves, "--fps", "50", "-o", tmp_path / "fps")
    assert refused.exit_code == 1 and "the video says 25 fps and --fps says 50" in refused.output


def test_predict_says_where_the_face_is_and_refuses_a_faceless_video(au_run, tmp_path):
    faceless = _video(tmp_path / "faceless.avi", "C" * 12)
    result = invoke("predict", au_run, faceless, "-o", tmp_path / "clip.csv")
    status = pd.read_csv(tmp_path / "clip.csv")["status"].iloc[0]
    assert result.exit_code == 1 and "no face found in any of its 12 frames" in status
    leaves = _video(tmp_path / "leaves.avi", "F" * 30 + "C" * 30)
    windows = invoke("predict", au_run, leaves, "--window", "10", "--stride", "10", "-o", tmp_path / "windows.csv")
    assert windows.exit_code == 0, windows.output
    rows = pd.read_csv(tmp_path / "windows.csv")
    assert rows["face_share"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert rows["status"].tolist()[:3] == ["ok"] * 3 and all(s.startswith("no-face") for s in rows["status"][3:])
    assert rows[[c for c in rows if c.endswith("_p")]].iloc[3:].isna().all().all()
    assert (rows["fps_source"] == "the video's").all() and (rows["fps"] == 25).all()


def test_one_python_call_for_a_video(au_run, described, long_db, tmp_path):
    import meau

    leaves = _video(tmp_path / "leaves.avi", "F" * 30 + "C" * 30)
    with pytest.warns(UserWarning, match="synthetic database"):
        clip = meau.predict(au_run, leaves)
    assert clip["status"].iloc[0] == "ok" and any(c.endswith("_p") for c in clip.columns)
    with pytest.warns(UserWarning):
        frames = meau.predict(au_run, leaves, window=10, stride=1)
    assert frames["frame"].tolist() == list(range(60))  # one row per frame, as OpenFace and py-feat give
    assert np.allclose(frames["timestamp"], frames["frame"] / 25)
    assert frames["face"].tolist() == [1] * 30 + [0] * 30  # the face leaves for a cartoon at frame 30
    assert frames["face_x"].notna().tolist() == [True] * 30 + [False] * 30
    assert frames["status"].str.startswith("edge").tolist() == [True] * 5 + [False] * 51 + [True] * 4
    # the window centred on frame 30 (25..34) holds the face in half its frames, the next one in fewer
    assert (frames["status"] == "ok").tolist() == [False] * 5 + [True] * 26 + [False] * 29
    assert frames.loc[frames["status"] == "ok", "window_start"].tolist() == list(range(26))
    face = frames.iloc[:30]  # the astronaut's head, about 60 px, pasted at the centre of 160 x 120 frames
    centre_x, centre_y = face["face_x"] + face["face_width"] / 2, face["face_y"] + face["face_height"] / 2
    assert ((centre_x - 80).abs() < 12).all() and ((centre_y - 60).abs() < 15).all()
    assert face["face_width"].between(35, 90).all()
    nose = face[["x_30", "y_30"]].to_numpy() - np.c_[centre_x, centre_y]
    assert (np.abs(nose) < face[["face_width"]].to_numpy() / 4).all()  # the nose tip near the box's centre
    eyes_y = face[[f"y_{k}" for k in range(36, 48)]].mean(axis=1)
    mouth_y = face[[f"y_{k}" for k in range(48, 68)]].mean(axis=1)
    assert (eyes_y < face["y_30"]).all() and (mouth_y > face["y_30"]).all()
    assert frames.loc[30:, [f"x_{k}" for k in range(68)]].isna().all().all()
    command = invoke("predict", au_run, leaves, "--window", "10", "--stride", "1", "-o", tmp_path / "cli.csv")
    assert command.exit_code == 0 and "synthetic database" in command.output
    written = pd.read_csv(tmp_path / "cli.csv")
    assert list(written.columns) == list(frames.columns)
    pd.testing.assert_frame_equal(written, frames, check_dtype=False)
    intervals = meau.spot(described / "run", next((long_db / "rawpic").glob("s16/*")), fps=30)
    assert {"onset", "offset", "type", "touches_no_face"} <= set(intervals.columns)
    assert intervals.attrs["recordings"]["status"].tolist() == ["ok"]


def test_without_dlib_predict_and_spot_still_run_and_say_the_face_was_not_checked(au_run, described, tmp_path,
                                                                                   monkeypatch):
    import meau.prediction

    monkeypatch.setattr(meau.prediction, "face_detector_missing", lambda: "face detection needs dlib")
    leaves = _video(tmp_path / "leaves.avi", "F" * 30 + "C" * 30)
    result = invoke("predict", au_run, leaves, "--window", "10", "--stride", "10", "-o", tmp_path / "w.csv")
    assert result.exit_code == 0 and "where the face is was not checked" in result.output, result.output
    assert pd.read_csv(tmp_path / "w.csv")["face_share"].isna().all()
    spotted = invoke("spot", "diff", "--run", described / "run", leaves, "--no-figures", "-o", tmp_path / "s")
    assert spotted.exit_code == 0, spotted.output
