"""Long-video databases and the flow spotter on synthetic long recordings with planted expressions."""

from __future__ import annotations

import json
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.databases.synth import generate_long

from ..outcomes import check_outcome

SHEET = "CAS(ME)^2code_final.xlsx"
FAST = ["--size", "64", "--no-figures"]


@pytest.fixture(scope="module")
def spotted(long_db, tmp_path_factory):
    """One spot flow run (the trace cache kept for the other tests)."""
    folder = tmp_path_factory.mktemp("spotted")
    result = CliRunner().invoke(cli, ["spot", "flow", str(long_db), "--database", "casmesq", "--size", "64",
                                      "--cache", str(folder / "cache"), "-o", str(folder / "run")], obj={})
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_annotate_writes_one_row_per_interval_with_its_type(long_db, tmp_path):
    plan = json.loads((long_db / "synth.json").read_text())
    result = CliRunner().invoke(cli, ["annotate", str(long_db / SHEET), "--database", "casmesq", "--min-count", "1",
                                      "-o", str(tmp_path / "truth.csv")], obj={})
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(tmp_path / "truth.csv", dtype={"subject": str})
    assert list(truth.columns[:5]) == ["subject", "video", "onset", "offset", "type"]
    assert truth["type"].value_counts().to_dict() == plan["intervals"]
    problems = pd.read_csv(tmp_path / "truth.problems.csv")
    # offsets of 0 are not coded: reported, the apex used instead (the organisers' rule)
    assert (problems["kind"] == "offset-estimated").sum() >= 1
    estimated = problems.loc[problems["kind"] == "offset-estimated", "row"].tolist()
    assert (truth.set_index("row").loc[estimated, "offset"] == truth.set_index("row").loc[estimated, "apex"]).all()
    # the NULL cell keeps its interval with its AUs unknown
    unknown = problems.loc[problems["kind"] == "unparseable-au", "row"].tolist()
    assert len(unknown) == 1 and truth.set_index("row").loc[unknown[0], [c for c in truth if c.startswith("AU")]].isna().all()
    # annotate's output is a valid truth file for meau spot score
    scored = CliRunner().invoke(cli, ["spot", "score", str(tmp_path / "truth.csv"), "--truth", str(tmp_path / "truth.csv")],
                                obj={})
    assert scored.exit_code == 0 and scored.output.splitlines()[-1].split()[-1] == "1.0000", scored.output


def test_samm_long_videos_sheet_quirks(tmp_path):
    generate_long(tmp_path / "db", like="sammlv", subjects=2, videos=1, seconds=2.5, intensity=8.0, seed=1)
    from meau.databases import annotate

    labels = annotate(tmp_path / "db" / "SAMM_LongVideos_V2_Release.xlsx", "sammlv", min_count=1)
    table = labels.table
    assert (table["video"] == table["filename"].str.rsplit("_", n=1).str[0]).all()  # 006_1_2 -> recording 006_1
    assert set(table["type"]) <= {"micro", "macro"} and table["subject"].str.len().eq(3).all()
    kinds = {problem.kind for problem in labels.problems}
    assert "unparseable-au" not in kinds or all("kept" in p.message for p in labels.problems if p.kind == "unparseable-au")


@pytest.mark.parametrize("order", ["duration after the offset", "duration after the emotion (the real export)"])
def test_the_csv_export_of_casme_squared_reads_like_the_workbook(long_db, tmp_path, order):
    """CSV exports with the recording's folder as the 11th column and a duration after the offset or, as in the
    real export, after the emotion: the columns are told apart by their content."""
    from meau.databases import annotate

    book = openpyxl.load_workbook(long_db / SHEET)
    folders = {f"s{p.parent.name[1:]}": p for p in (long_db / "rawpic").glob("s*/*")}
    lines = []
    rule1 = {int(row[2]): row[1] for row in book["naming rule1"].iter_rows(values_only=True)}
    for row in book["CASFEcode_final"].iter_rows(values_only=True):
        participant, name, onset, apex, offset, aus, objective, kind, emotion = row
        folder = next(p.name for s, p in folders.items() if s == rule1[participant]
                      and p.name.startswith(f"{rule1[participant][1:]}_"))
        duration = "" if not offset else offset - onset + 1
        cells = [participant, name, onset, apex, offset, duration, aus, objective, kind, emotion, folder] \
            if order.startswith("duration after the offset") else \
            [participant, name, onset, apex, offset, aus, objective, kind, emotion, duration, folder]
        lines.append(",".join(f'"{cell}"' if "," in str(cell) else str(cell) for cell in cells))
    (tmp_path / "CASFEcode_final.csv").write_text("\n".join(lines) + "\n")
    from_csv = annotate(tmp_path / "CASFEcode_final.csv", "casmesq", min_count=1)
    from_book = annotate(long_db / SHEET, "casmesq", min_count=1)
    assert len(from_csv.table) == len(from_book.table) and set(from_csv.table["video"]) == set(from_book.table["video"])
    assert from_csv.au_columns == from_book.au_columns
    columns = ["video", "onset", "offset", "type", "emotion", *from_book.au_columns]
    pd.testing.assert_frame_equal(from_csv.table[columns].reset_index(drop=True),
                                  from_book.table[columns].reset_index(drop=True), check_dtype=False)


def test_spot_flow_writes_its_run_folder_and_finds_the_planted_expressions(long_db, spotted):
    folder, output = spotted
    run = folder / "run"
    assert "micro" in output and "overall" in output
    intervals = pd.read_csv(run / "intervals.csv", dtype={"subject": str})
    assert list(intervals.columns) == ["subject", "video", "onset", "offset", "type", "score"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) >= {"micro", "macro", "overall"}
    assert set(metrics["overall"]) == {"truth", "predictions", "tp", "fp", "fn", "precision", "recall", "f1"}
    # known answer: the planted expressions are found far above chance
    assert metrics["overall"]["recall"] >= 0.3 and metrics["overall"]["f1"] >= 0.3, metrics["overall"]
    assert len(list((run / "figures").glob("*.png"))) == 3
    settings = [json.loads((run / "folds" / f"fold_{i}.json").read_text()) for i in range(3)]
    for fold in settings:  # every tuned setting recorded per fold, per type
        assert set(fold["settings"]) == {"micro", "macro"}
        assert set(fold["settings"]["micro"]) >= {"k", "smoothing", "p", "length"}
    # the second without a face is listed, and nothing is spotted inside it
    plan = json.loads((long_db / "synth.json").read_text())
    subject, clip, start, end = plan["no_face"][0]
    validation = pd.read_csv(run / "validation.csv")
    rows = pd.read_csv(run / "validation.csv", dtype=str, keep_default_na=False)["row"]
    assert rows.str.fullmatch(r"\d*").all() and (rows != "").any()  # sheet rows as integers, never 12.0
    keys = pd.read_csv(run / "validation.csv", dtype=str, keep_default_na=False)["key"]
    assert keys.str.fullmatch(r"casmesq/[^/]+/[^/]+/\d*").all(), keys.tolist()  # one key: database/subject/clip/onset
    assert keys.str.endswith("/").any() and (~keys.str.endswith("/")).any()  # a recording's key and an interval's
    gaps = validation[validation["kind"] == "no-face"]
    assert len(gaps) == 1 and gaps["key"].iloc[0].startswith(f"casmesq/{subject}/")
    first, last = (int(v) for v in gaps["message"].iloc[0].split()[1].rstrip(":").split("-"))
    assert abs(first - start) <= 2 and abs(last - end) <= 2
    inside = intervals[(intervals["subject"] == subject) & (intervals["onset"] >= start) & (intervals["offset"] <= end)]
    assert inside.empty


@pytest.fixture(scope="module")
def spot_runs(long_db, spotted):
    """name -> the run folder of that spotter on long_db (flow's is ``spotted``'s; each run once, one cache)."""
    folder, _ = spotted
    runs = {"flow": folder / "run"}

    def get(name):
        if name not in runs:
            spotter, *extra = name.split()
            out = folder / "_".join(name.split())
            result = CliRunner().invoke(cli, ["spot", spotter, str(long_db), "--database", "casmesq", "--size", "64",
                                              *extra, "--cache", str(folder / "cache"), "-o", str(out)], obj={})
            assert result.exit_code == 0, result.output
            runs[name] = out
        return runs[name]

    return get


@pytest.mark.parametrize("spotter", ["flow", "mdmd", "diff"])
def test_a_test_subjects_own_labels_never_move_its_predictions(long_db, spotted, spot_runs, spotter, tmp_path):
    """Change subject 15's truth (drop two intervals, move the others, swap their types): its predicted
    intervals and settings stay the same; only the other folds, which train on it, may change."""
    folder, _ = spotted
    base = spot_runs(spotter)
    copy = tmp_path / "db"
    shutil.copytree(long_db, copy)
    book = openpyxl.load_workbook(copy / SHEET)
    sheet = book["CASFEcode_final"]
    rows = [row for row in sheet.iter_rows() if row[0].value == 1]  # participant 1 is subject 15
    for row in rows[:2]:
        for cell in row:
            cell.value = None
    for row in rows[2:]:
        row[2].value, row[3].value, row[4].value = row[2].value + 7, row[3].value + 7, row[4].value + 7
        row[7].value = "micro-expression" if row[7].value.startswith("macro") else "macro-expression"
    book.save(copy / SHEET)
    result = CliRunner().invoke(cli, ["spot", spotter, str(copy), "--database", "casmesq", *FAST, "--cache",
                                      str(folder / "cache"), "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 0, result.output
    before = pd.read_csv(base / "folds" / "fold_0.csv", dtype={"subject": str})
    after = pd.read_csv(tmp_path / "run" / "folds" / "fold_0.csv", dtype={"subject": str})
    assert (before["subject"] == "15").all() and len(before)
    pd.testing.assert_frame_equal(before, after)
    settings = [json.loads((run / "folds" / "fold_0.json").read_text())["settings"] for run in (base, tmp_path / "run")]
    assert settings[0] == settings[1]
    # the other folds train on subject 15: its changed truth may move them (the test would be empty otherwise)
    moved = [json.loads((run / "folds" / "fold_1.json").read_text())["settings"] for run in (base, tmp_path / "run")]
    assert spotter == "mdmd" or moved[0] != moved[1]  # MDMD's k and bounds are fixed; only p may move


@pytest.mark.parametrize("name", ["mdmd", "mdmd --head-motion median", "diff", "diff --mask-eyes"])
def test_mdmd_and_the_feature_difference_find_the_planted_expressions(spot_runs, name):
    run = spot_runs(name)
    spotter = name.split()[0]
    metrics = json.loads((run / "metrics.json").read_text())
    # known answer: 12 planted intervals; a spotter at chance hits none with IoU >= 0.5
    assert metrics["overall"]["tp"] >= 4, metrics["overall"]
    config = json.loads((run / "config.json").read_text())
    assert config["parameters"]["spotter"] == spotter
    for number in range(3):
        fold = json.loads((run / "folds" / f"fold_{number}.json").read_text())
        assert set(fold["settings"]) == {"micro", "macro"}
    saved = json.loads((run / "settings.json").read_text())
    assert saved["format"] == "meau-spotting-settings" and saved["spotter"]["spotter"] == spotter
    if spotter == "mdmd":  # the head-motion choice travels with the settings --run applies
        assert saved["spotter"]["head_motion"] == ("median" if "median" in name else "none")
    else:
        assert saved["spotter"]["mask_eyes"] == ("--mask-eyes" in name)
    if spotter == "mdmd":  # the organisers' k and length filters at 30 fps
        assert fold["settings"]["micro"]["k"] == 12 and fold["settings"]["macro"]["k"] == 39
        assert fold["settings"]["micro"]["length"] == [7, 16] and fold["settings"]["macro"]["length"][0] == 17


def test_mdmd_head_motion_median_removes_the_heads_translation_and_keeps_the_expression():
    """Known answer: F(i-k) -> F(i) moves the whole face 1.5 px (and, in one case, one patch 2 px more),
    F(i+k) is F(i-k) again. MDMD's raw value reads the rigid shift as motion; with the median vector
    subtracted it is ~0, and the patch's movement stays."""
    import cv2
    import numpy as np

    from meau.flow import optical_flow
    from meau.spotting.mdmd import block_values, frame_value, without_head_motion

    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (96, 96)).astype(np.float32), (0, 0), 2)
    texture = np.clip(128 + (texture - texture.mean()) * 60 / texture.std(), 0, 255)
    ys, xs = np.mgrid[0:96, 0:96].astype(np.float32)

    def moved(patch: float):
        bump = patch * np.exp(-((xs - 30) ** 2 + (ys - 66) ** 2) / (2 * 6.0 ** 2))
        return cv2.remap(texture, xs - 1.5 - bump.astype(np.float32), ys, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT).astype(np.uint8)

    before = texture.astype(np.uint8)

    def flows(after, head_motion):
        return (without_head_motion(optical_flow(before, after), head_motion),
                without_head_motion(optical_flow(before, before), head_motion))

    assert frame_value(*flows(moved(0.0), "none")) > 1.0  # the rigid shift, read as motion by the raw flows
    still = frame_value(*flows(moved(0.0), "median"))
    assert abs(still) < 0.2
    assert frame_value(*flows(moved(2.0), "median")) > 5 * abs(still)
    blocks = block_values(*flows(moved(2.0), "median"), 6)
    assert int(np.argmax(blocks)) == 4 * 6 + 1 and blocks.max() > 0.8  # the patch's block (x 16-32, y 64-80)
    assert block_values(*flows(moved(0.0), "median"), 6).max() < blocks.max() / 5
    with pytest.raises(ValueError, match="head_motion 'mean'"):
        without_head_motion(np.zeros((2, 2, 2)), "mean")


def test_the_feature_difference_with_the_eyes_masked_does_not_see_a_blink():
    """Known answer: a frame whose only change is the eyes closing (the pixels inside each eye's six
    points) moves the LBP histograms, and with the eyes masked moves none of them, exactly."""
    import cv2
    import numpy as np

    from meau.spotting.diff import block_histograms, frame_value
    from meau.spotting.peaks import eye_mask

    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (96, 96)).astype(np.float32), (0, 0), 2)
    texture = np.clip(128 + (texture - texture.mean()) * 60 / texture.std(), 0, 255).astype(np.uint8)
    points = np.zeros((68, 2))
    angles = np.linspace(0, 2 * np.pi, 7)[:6]
    for first, x in ((36, 30), (42, 66)):
        points[first:first + 6] = np.c_[x + 7 * np.cos(angles), 40 + 3 * np.sin(angles)]
    lids = np.zeros((96, 96), np.uint8)
    for first in (36, 42):
        cv2.fillConvexPoly(lids, np.rint(points[first:first + 6]).astype(np.int32), 1)
    blink = texture.copy()
    blink[lids.astype(bool)] = 90
    masked = eye_mask(points, 96)
    assert masked[lids.astype(bool)].all() and masked.mean() < 0.1  # the eyes, not the face
    for mask, seen in ((None, True), (masked, False)):
        tail, current, head = (block_histograms(frame, 6, mask) for frame in (texture, blink, texture))
        assert (frame_value(current, tail, head) > 0.01) == seen
    assert np.allclose(block_histograms(texture, 6, masked).sum(axis=1), 1)  # still normalised


def test_one_fold_at_a_time_then_resume_gives_the_whole_run(long_db, spotted, tmp_path):
    """... and one worker gives the same intervals as the default, every core (the traces computed anew here)."""
    folder, _ = spotted
    common = ["spot", "flow", str(long_db), "--database", "casmesq", *FAST, "--cache", str(tmp_path / "cache"),
              "-o", str(tmp_path / "run")]
    runner = CliRunner()
    first = runner.invoke(cli, [*common, "--fold", "1", "--n-jobs", "1"], obj={})
    assert first.exit_code == 0 and "2 fold(s) still to run: 0, 2" in first.output, first.output
    rest = runner.invoke(cli, [*common, "--resume"], obj={})
    assert rest.exit_code == 0 and "fold 1 (16): already done, kept" in rest.output, rest.output
    assert (tmp_path / "run" / "intervals.csv").read_text() == (folder / "run" / "intervals.csv").read_text()


def test_spotting_a_database_of_clips_is_one_line(tmp_path):
    from meau.databases.synth import generate

    generate(tmp_path / "clips", subjects=2, samples=4, intensity=4.0, seed=1)
    result = CliRunner().invoke(cli, ["spot", "flow", str(tmp_path / "clips"), "--database", "casme2",
                                      "-o", str(tmp_path / "run")], obj={})
    check_outcome(result, "clips", 1, "--database casme2: not a database of long recordings")
    assert not (tmp_path / "run").exists()


def test_a_micro_and_a_macro_expression_from_the_same_onset_are_two_intervals(tmp_path):
    """SAMM-LV codes a micro- and a macro-expression from one onset in one recording (025_5 at 840): both are
    read; the same interval twice is still one, reported."""
    from meau.databases import annotate

    sheet = generate_long(tmp_path / "lv", like="sammlv", subjects=1, videos=1, seconds=20.0, seed=3)
    book = openpyxl.load_workbook(sheet)
    worksheet = book["FACS_Movement_Only"]
    before = annotate(sheet, "sammlv", min_count=1)
    last = [cell.value for cell in worksheet[worksheet.max_row]]
    header = [cell.value for cell in worksheet[9]]
    twin = dict(zip(header, last))
    twin.update({"Filename": f"{twin['Filename'].rsplit('_', 1)[0]}_99", "Offset": twin["Offset"] + 30,
                 "Type": "Macro" if str(twin["Type"]).startswith("Micro") else "Micro - 1/2"})
    worksheet.append([twin[name] for name in header])
    worksheet.append(last)  # the very same interval again
    book.save(sheet)
    after = annotate(sheet, "sammlv", min_count=1)
    assert len(after.table) == len(before.table) + 1
    assert sum(p.kind == "duplicate-sample" for p in after.problems) == 1 + sum(
        p.kind == "duplicate-sample" for p in before.problems)


def test_report_puts_spotting_runs_in_one_table_with_intervals_and_paired_tests(spot_runs, long_db, tmp_path):
    from meau.report import collect

    flow, diff = spot_runs("flow"), spot_runs("diff")
    table = collect([flow, diff], ci=95, paired=True, resamples=500)[0]
    assert table.columns[:3] == ["micro", "macro", "overall"]
    metrics = [json.loads((run / "metrics.json").read_text()) for run in (flow, diff)]
    for values, found in zip(table.values, metrics):
        assert list(values[:3]) == [found[kind]["f1"] for kind in ("micro", "macro", "overall")]
        # the per-subject counts add up to the pooled ones
        assert sum(s["micro"]["tp"] + s["macro"]["tp"] for s in found["by_subject"].values()) == found["overall"]["tp"]
    best = table.best
    assert np.isnan(table.p_values[best]) and 0 < table.p_values[1 - best] <= 1
    assert table.low[0, 2] <= table.values[0, 2] <= table.high[0, 2]
    result = CliRunner().invoke(cli, ["report", str(flow), str(diff), "--ci", "95", "--paired", "--html",
                                      str(tmp_path / "page.html")], obj={})
    assert result.exit_code == 0, result.output
    assert "spotting F1 (the MEGC metric)" in result.output and (tmp_path / "page.html").stat().st_size > 1000
    from meau.uncertainty import paired_permutation

    counts = table.rows[0].counts()[0]
    assert paired_permutation(counts, counts, metric="spotting", resamples=200) == 1.0


def test_report_refuses_to_mix_spotting_and_au_runs_in_one_line(spot_runs, constant_run):
    result = CliRunner().invoke(cli, ["report", str(spot_runs("flow")), str(constant_run)], obj={})
    check_outcome(result, "mixed", 1, "cannot share a table")  # other databases, other targets: one line


def test_spot_score_writes_its_table_and_which_prediction_hit_which_truth_interval(spot_runs, long_db, tmp_path):
    truth = tmp_path / "truth.csv"
    assert CliRunner().invoke(cli, ["annotate", str(long_db / SHEET), "--database", "casmesq", "--min-count", "1",
                                    "-o", str(truth)], obj={}).exit_code == 0
    out = tmp_path / "scores"
    result = CliRunner().invoke(cli, ["spot", "score", str(spot_runs("flow") / "intervals.csv"), "--truth", str(truth),
                                      "-o", str(out)], obj={})
    assert result.exit_code == 0, result.output
    assert (out / "table.txt").read_text().startswith(result.output.splitlines()[0])
    matches = pd.read_csv(out / "matches.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(matches) == metrics["overall"]["predictions"]
    hits = matches[matches["hit"]]
    assert (hits["iou"] >= 0.5).all() and hits[["video", "type", "truth_row"]].drop_duplicates().shape[0] == \
        metrics["overall"]["tp"]
    empty = tmp_path / "empty.csv"
    empty.write_text("subject,video,onset,offset,type\n")
    nothing = CliRunner().invoke(cli, ["spot", "score", str(empty), "--truth", str(truth)], obj={})
    assert nothing.exit_code == 0 and "holds no interval: every truth interval is a false negative" in nothing.output


def test_one_interval_per_event_the_higher_of_two_overlapping_spots():
    """Two peaks 6 frames apart with k = 4 give intervals [6, 14] and [12, 20]: one event, the higher kept; a
    third peak far away stays."""
    from meau.spotting.peaks import spot_intervals

    score = np.zeros(60)
    score[10], score[16], score[40] = 1.0, 0.8, 0.9
    found = spot_intervals(score, 4, 0.5, (1, 100), list(range(60)))
    assert found == [(6, 14, 1.0), (36, 44, 0.9)]
    score[16] = 1.2
    assert spot_intervals(score, 4, 0.5, (1, 100), list(range(60)))[0] == (12, 20, 1.2)
    kept = spot_intervals(score, 4, 0.5, (1, 100), list(range(60)), one_per_event=False)  # --keep-overlapping
    assert [interval[:2] for interval in kept] == [(6, 14), (12, 20), (36, 44)]
