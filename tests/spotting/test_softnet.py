"""The learned spotter (SoftNet, MEAN's emotion head) and emotions for long recordings: honest folds, the same
intervals twice, resume, the emotion of each interval, and STR scoring."""

from __future__ import annotations

import json
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli

SHEET = "CAS(ME)^2code_final.xlsx"
FAST = ["--size", "64", "--epochs", "3", "--deterministic", "--no-figures"]


def spot(*arguments):
    return CliRunner().invoke(cli, ["spot", *map(str, arguments)], obj={})


@pytest.fixture(scope="module")
def mean_run(long_db, tmp_path_factory):
    """softnet --recognize on the three-subject database (deterministic), with its feature cache."""
    folder = tmp_path_factory.mktemp("softnet")
    result = spot("softnet", long_db, "--database", "casmesq", *FAST, "--recognize", "--figures",
                  "--cache", folder / "cache", "-o", folder / "run")
    assert result.exit_code == 0, result.output
    return folder


def test_softnet_writes_intervals_with_emotions_checkpoints_and_the_str_analysis(mean_run, long_db):
    run = mean_run / "run"
    intervals = pd.read_csv(run / "intervals.csv", dtype={"subject": str})
    assert list(intervals.columns) == ["subject", "video", "onset", "offset", "type", "score", "emotion",
                                       "p_negative", "p_positive", "p_surprise"]
    assert len(intervals) and set(intervals["emotion"]) <= {"negative", "positive", "surprise"}
    probabilities = intervals[["p_negative", "p_positive", "p_surprise"]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["analysis"]["classes"]) == {"negative", "positive", "surprise"}
    assert metrics["strs"] == pytest.approx(metrics["overall"]["f1"] * metrics["analysis"]["f1"])
    # known answer: the planted expressions are found above chance (a network trained on two subjects, 3 epochs)
    assert metrics["overall"]["tp"] >= 2, metrics["overall"]
    for number in range(3):
        fold = json.loads((run / "folds" / f"fold_{number}.json").read_text())
        for kind in ("micro", "macro"):
            assert 1 <= fold["settings"][kind]["epochs"] <= 3
            assert (run / "checkpoints" / f"fold_{number}_{kind}.pt").exists()
    import torch

    saved = torch.load(run / "models" / "micro.pt", weights_only=True)  # data, never code
    assert saved["meta"]["classes"] == ["negative", "positive", "surprise"]
    assert len(list((run / "figures").glob("*.png"))) == 3
    # the same scores through `spot score` with the truth annotate writes
    truth = mean_run / "truth.csv"
    result = CliRunner().invoke(cli, ["annotate", str(long_db / SHEET), "--database", "casmesq", "--target", "emotion",
                                      "-o", str(truth)], obj={})
    assert result.exit_code == 0, result.output
    scored = CliRunner().invoke(cli, ["spot", "score", str(run / "intervals.csv"), "--truth", str(truth), "--label",
                                      "emotion", "--analysis-classes", "negative,positive,surprise"], obj={})
    assert scored.exit_code == 0, scored.output
    assert f"STRS {metrics['strs']:.4f}" in scored.output


def test_the_same_intervals_twice_and_a_test_subjects_labels_never_move_its_predictions(mean_run, long_db, tmp_path):
    """Subject 15's truth changed (two intervals dropped, the others moved and their types swapped): fold 0
    (which tests 15) gives the same intervals, settings and weights; the folds that train on 15 move."""
    import torch

    base = mean_run / "run"
    again = spot("softnet", long_db, "--database", "casmesq", *FAST, "--recognize", "--cache", mean_run / "cache",
                 "-o", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "intervals.csv").read_text() == (base / "intervals.csv").read_text()
    copy = tmp_path / "db"
    shutil.copytree(long_db, copy)
    book = openpyxl.load_workbook(copy / SHEET)
    rows = [row for row in book["CASFEcode_final"].iter_rows() if row[0].value == 1]  # participant 1 is subject 15
    for row in rows[:2]:
        for cell in row:
            cell.value = None
    for row in rows[2:]:
        row[2].value, row[3].value, row[4].value = row[2].value + 7, row[3].value + 7, row[4].value + 7
        row[6].value = "surprise" if row[6].value != "surprise" else "positive"
        row[7].value = "micro-expression" if row[7].value.startswith("macro") else "macro-expression"
    book.save(copy / SHEET)
    changed = spot("softnet", copy, "--database", "casmesq", *FAST, "--recognize", "--cache", mean_run / "cache",
                   "-o", tmp_path / "changed")
    assert changed.exit_code == 0, changed.output
    assert (tmp_path / "changed" / "folds" / "fold_0.csv").read_text() == (base / "folds" / "fold_0.csv").read_text()
    assert _settings(tmp_path / "changed", 0) == _settings(base, 0)
    for kind in ("micro", "macro"):
        weights = [torch.load(run / "checkpoints" / f"fold_0_{kind}.pt", weights_only=True)["state"]
                   for run in (base, tmp_path / "changed")]
        assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])
    moved = [_settings(run, 1) for run in (base, tmp_path / "changed")]
    trained_on_15 = [torch.load(run / "checkpoints" / "fold_1_micro.pt", weights_only=True)["state"]
                     for run in (base, tmp_path / "changed")]
    assert moved[0] != moved[1] or not all(torch.equal(trained_on_15[0][n], trained_on_15[1][n])
                                           for n in trained_on_15[0])


def _settings(run, fold: int) -> dict:
    """A fold's chosen settings, without the time its training took."""
    settings = json.loads((run / "folds" / f"fold_{fold}.json").read_text())["settings"]
    return {kind: {name: value for name, value in chosen.items() if name != "training_s"}
            for kind, chosen in settings.items()}


def test_resume_keeps_finished_folds_and_networks(mean_run, long_db, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(mean_run / "run", run)
    (run / "folds" / "fold_2.csv").unlink()
    (run / "checkpoints" / "fold_2_macro.pt").unlink()
    (run / "intervals.csv").unlink()
    result = spot("softnet", long_db, "--database", "casmesq", *FAST, "--recognize", "--cache", mean_run / "cache",
                  "--resume", "-o", run)
    assert result.exit_code == 0, result.output
    assert "fold 0 (15): already done, kept" in result.output
    assert "fold 2 (17), micro: network kept from fold_2_micro.pt" in result.output
    assert (run / "intervals.csv").read_text() == (mean_run / "run" / "intervals.csv").read_text()


def test_your_own_recordings_with_the_learned_networks_and_elan(mean_run, long_db, tmp_path):
    pytest.importorskip("pympi")
    recording = tmp_path / "mine"
    shutil.copytree(next((long_db / "rawpic" / "s16").iterdir()), recording)
    result = spot("softnet", "--run", mean_run / "run", recording, "--fps", "30", "--eaf", "--no-figures",
                  "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    intervals = pd.read_csv(tmp_path / "out" / "intervals.csv")
    assert {"emotion", "p_negative", "onset_s"} <= set(intervals.columns) and len(intervals)
    from pympi.Elan import Eaf

    eaf = Eaf(str(tmp_path / "out" / "mine.eaf"))
    values = [annotation[2] for tier in ("micro", "macro") for annotation in eaf.get_annotation_data_for_tier(tier)]
    assert values and all(value.split(";")[0] in ("negative", "positive", "surprise") for value in values)


def test_a_learning_free_spotter_takes_its_emotions_from_an_emotion_run(long_db, tiny_db, tmp_path):
    trained = CliRunner().invoke(cli, ["baseline", "flow", str(tiny_db), "--target", "emotion", "--classes", "megc",
                                       "--cache", str(tmp_path / "cache"), "-o", str(tmp_path / "emotions")], obj={})
    assert trained.exit_code == 0, trained.output
    result = spot("flow", long_db, "--database", "casmesq", "--size", "64", "--no-figures", "--emotions-from",
                  tmp_path / "emotions", "--cache", tmp_path / "cache", "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    intervals = pd.read_csv(tmp_path / "run" / "intervals.csv")
    assert {"emotion", "p_negative", "p_positive", "p_surprise", "emotion_status"} <= set(intervals.columns)
    assert "STRS" in result.output
    refused = spot("softnet", long_db, "--database", "casmesq", "--recognize", "--emotions-from",
                   tmp_path / "emotions", "-o", tmp_path / "both")
    assert refused.exit_code == 1 and "choose one" in refused.output
    au_run = spot("flow", long_db, "--database", "casmesq", "--emotions-from", tmp_path / "run", "-o", tmp_path / "x")
    assert au_run.exit_code == 1 and "cannot predict" in au_run.output or "not a run" in au_run.output


def test_analysis_classes_leave_others_to_spotting(tmp_path):
    """Two TP pairs: truth negative predicted negative, truth others predicted negative. Over the three MEGC
    classes the others pair counts against negative (precision 1/2); others is not a class of its own."""
    truth = tmp_path / "truth.csv"
    predictions = tmp_path / "pred.csv"
    pd.DataFrame({"video": ["a", "a"], "onset": [10, 50], "offset": [20, 60], "type": ["micro", "micro"],
                  "emotion": ["negative", "others"]}).to_csv(truth, index=False)
    pd.DataFrame({"video": ["a", "a"], "onset": [10, 50], "offset": [20, 60], "type": ["micro", "micro"],
                  "emotion": ["negative", "negative"]}).to_csv(predictions, index=False)
    from meau.spotting.intervals import score_files

    found = score_files(predictions, truth, label="emotion", classes=["negative", "positive", "surprise"])
    negative = found["analysis"]["per_class"]["negative"]
    assert negative == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3)}
    assert found["overall"]["tp"] == 2 and found["analysis"]["classes"] == ["negative", "positive", "surprise"]
    default = score_files(predictions, truth, label="emotion")
    assert default["analysis"]["classes"] == ["negative", "others"]
    refused = CliRunner().invoke(cli, ["spot", "score", str(predictions), "--truth", str(truth), "--analysis-classes",
                                       "negative"], obj={})
    assert refused.exit_code == 1 and "--label" in refused.output


def test_long_video_emotions_casme_squared_class_column_and_self_report(long_db, tmp_path):
    from meau.databases import annotate

    labels = annotate(long_db / SHEET, "casmesq", min_count=1, require_aus=False)
    table = labels.table
    assert set(table["emotion"]) <= {"negative", "positive", "surprise", "others"}  # the 7th column
    assert set(table["self_report"]) <= {"happiness", "surprise", "disgust", "repression", "others"}  # the 9th
    from meau.databases.classes import megc_class

    assert all(megc_class(report) == emotion for report, emotion in zip(table["self_report"], table["emotion"]))
    result = CliRunner().invoke(cli, ["annotate", str(long_db / SHEET), "--database", "casmesq", "--target",
                                      "self-report", "-o", str(tmp_path / "reports.csv")], obj={})
    assert result.exit_code == 0, result.output
    reports = pd.read_csv(tmp_path / "reports.csv")
    assert list(reports["emotion"]) == list(table["self_report"]) and len(reports) == len(table)


def test_samm_long_videos_take_their_emotions_from_the_short_sheet(tmp_path):
    from meau.databases.synth import generate_long

    sheet = generate_long(tmp_path / "lv", like="sammlv", subjects=2, videos=1, seconds=12.0, seed=5)
    short = tmp_path / "lv" / "SAMM_Micro_FACS_Codes_v2.xlsx"
    assert short.exists()
    book = openpyxl.load_workbook(short)
    worksheet = book["MICRO_ONLY"]
    dropped = worksheet.cell(15, 2).value  # the first micro-expression: its row removed from the short sheet
    worksheet.delete_rows(15)
    book.save(short)
    out = tmp_path / "truth.csv"
    result = CliRunner().invoke(cli, ["annotate", str(sheet), "--database", "sammlv", "--target", "emotion",
                                      "--emotions-sheet", str(short), "-o", str(out)], obj={})
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(out, keep_default_na=False)
    micro, macro = truth[truth["type"] == "micro"], truth[truth["type"] == "macro"]
    assert (macro["emotion"] == "").all()  # SAMM's short sheet holds micro-expressions only
    assert (micro[micro["filename"] != dropped]["emotion"] != "").all()
    assert micro[micro["filename"] == dropped]["emotion"].tolist() == [""]
    problems = pd.read_csv(out.with_suffix(".problems.csv"))
    assert any(problems["kind"].eq("no-emotion") & problems["message"].str.contains(dropped))
    without = CliRunner().invoke(cli, ["annotate", str(sheet), "--database", "sammlv", "--target", "emotion",
                                       "-o", str(tmp_path / "none.csv")], obj={})
    assert without.exit_code == 1 and "--emotions-sheet" in without.output


def test_annotate_writes_a_long_video_sheets_intervals_without_any_au(long_db, tmp_path):
    result = CliRunner().invoke(cli, ["annotate", str(long_db / SHEET), "--database", "casmesq", "--min-count", "99",
                                      "-o", str(tmp_path / "truth.csv")], obj={})
    assert result.exit_code == 0, result.output
    assert "no AU has 99 positive(s)" in result.output
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert len(truth) and not [c for c in truth.columns if c.startswith("AU")]


def test_softnets_flows_fill_the_flow_spotters_cache(mean_run, long_db, tmp_path):
    """The flows softnet computed (same size, stride, method) are the flow spotter's: `spot flow` with that cache
    computes no flow and gives what it gives without a cache."""
    from unittest import mock

    cache = tmp_path / "cache"
    shutil.copytree(mean_run / "cache", cache)
    with mock.patch("meau.flow.optical_flow", side_effect=AssertionError("a flow was computed")):  # one worker: here
        shared = spot("flow", long_db, "--database", "casmesq", "--size", "64", "--no-figures", "--cache", cache,
                      "--n-jobs", "1", "-o", tmp_path / "shared")
    assert shared.exit_code == 0, shared.output
    fresh = spot("flow", long_db, "--database", "casmesq", "--size", "64", "--no-figures", "--no-cache",
                 "-o", tmp_path / "fresh")
    assert fresh.exit_code == 0, fresh.output
    assert (tmp_path / "shared" / "intervals.csv").read_text() == (tmp_path / "fresh" / "intervals.csv").read_text()
