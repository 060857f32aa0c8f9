"""The MEGC spotting metric and STRS on hand-built cases at every boundary, against brute force, and
the reference STR analysis algorithm (its pairing and per-class rates) written out independently."""

import json
import random

import numpy as np
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.spotting.score import analysis, iou, iou_matrix, spotting_counts, str_pairs

from ..outcomes import check_outcome


def _write(path, rows, columns="video,onset,offset,type"):
    path.write_text(columns + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


@pytest.mark.parametrize("prediction, truth, expected, hit", [
    ((1, 5), (1, 10), 0.5, True),  # exactly 0.5: inclusive lengths 5 and 10 (exclusive ones would give 4/9)
    ((1, 4), (1, 10), 0.4, False),
    ((2, 4), (1, 3), 0.5, True),
    ((5, 5), (5, 5), 1.0, True),  # one-frame intervals
    ((5, 6), (5, 5), 0.5, True),
    ((4, 6), (5, 5), 1 / 3, False),
    ((11, 20), (1, 10), 0.0, False),  # touching, not overlapping
    ((10, 20), (1, 10), 1 / 20, False),  # one shared frame
])
def test_iou_at_the_boundaries(prediction, truth, expected, hit):
    assert iou(prediction, truth) == pytest.approx(expected)
    assert iou_matrix([prediction], [truth])[0, 0] == pytest.approx(expected)
    metrics, _ = spotting_counts([("v", *prediction, "micro")], [("v", *truth, "micro")])
    assert metrics["micro"]["tp"] == int(hit)


def test_two_predictions_on_one_truth_are_one_tp_and_one_fp():
    truth = [("v", 10, 19, "micro")]
    predictions = [("v", 11, 19, "micro"), ("v", 10, 18, "micro")]
    metrics, _ = spotting_counts(predictions, truth)
    assert metrics["micro"] == {"truth": 1, "predictions": 2, "tp": 1, "fp": 1, "fn": 0, "precision": 0.5,
                                "recall": 1.0, "f1": 2 / 3}


def test_empty_videos_types_and_pooled_overall():
    truth = [("a", 1, 10, "micro"), ("a", 100, 199, "macro"), ("b", 1, 50, "macro"), ("c", 5, 9, "micro")]
    predictions = [("a", 2, 10, "micro"), ("a", 100, 200, "micro"),  # right place, wrong type: FP
                   ("b", 1, 50, "macro"), ("z", 1, 9, "micro")]  # z: no truth at all: FP
    metrics, notes = spotting_counts(predictions, truth)
    assert (metrics["micro"]["tp"], metrics["micro"]["fp"], metrics["micro"]["fn"]) == (1, 2, 1)
    assert (metrics["macro"]["tp"], metrics["macro"]["fp"], metrics["macro"]["fn"]) == (1, 0, 1)
    # overall pools the counts: 2 TP of 4 predictions and 4 truth; not the mean of the two F1s
    assert metrics["overall"]["f1"] == pytest.approx(2 * 2 / (4 + 4))
    assert metrics["overall"]["f1"] != pytest.approx((metrics["micro"]["f1"] + metrics["macro"]["f1"]) / 2)
    assert any("absent from the truth" in note and "z" in note for note in notes)
    none, _ = spotting_counts([], truth)
    assert none["overall"] == {"truth": 4, "predictions": 0, "tp": 0, "fp": 0, "fn": 4, "precision": 0.0,
                               "recall": 0.0, "f1": 0.0}
    nothing, _ = spotting_counts([], [])
    assert nothing["overall"]["f1"] == 0.0


def _brute_force(predictions, truth):
    """The metric from its definition, on frame sets: per type, truth intervals with a prediction of
    IoU >= 0.5 of the same video."""
    result = {}
    for kind in ("micro", "macro"):
        t = [r for r in truth if r[3] == kind]
        p = [r for r in predictions if r[3] == kind]
        tp = 0
        for video, onset, offset, _ in t:
            frames = set(range(onset, offset + 1))
            for pv, pon, poff, _ in p:
                other = set(range(pon, poff + 1))
                if pv == video and len(frames & other) / len(frames | other) >= 0.5:
                    tp += 1
                    break
        result[kind] = (len(t), len(p), tp)
    return result


def test_the_metric_equals_its_definition_on_random_intervals():
    rng = random.Random(3)
    for _ in range(200):
        def interval():
            onset = rng.randint(0, 60)
            return onset, onset + rng.randint(0, 15)
        truth = [(rng.choice("ab"), *interval(), rng.choice(("micro", "macro"))) for _ in range(rng.randint(0, 6))]
        predictions = [(rng.choice("abc"), *interval(), rng.choice(("micro", "macro"))) for _ in range(rng.randint(0, 8))]
        metrics, _ = spotting_counts(predictions, truth)
        for kind, (n_truth, n_pred, tp) in _brute_force(predictions, truth).items():
            assert (metrics[kind]["truth"], metrics[kind]["predictions"], metrics[kind]["tp"]) == (n_truth, n_pred, tp)
            assert metrics[kind]["fp"] == n_pred - tp and metrics[kind]["fn"] == n_truth - tp


def _reference_analysis(predictions, truth, predicted_labels, truth_labels):
    """The STRS reference algorithm as its README and code describe it (written out here, not imported):
    per video, predictions in order each take every untaken truth interval they hit (the first, in
    practice); per class, one-versus-rest precision and recall over the pairs' labels."""
    pairs, taken = [], set()
    for p, (video, onset, offset, _) in enumerate(predictions):
        for t, (t_video, t_onset, t_offset, _) in enumerate(truth):
            a, b = set(range(onset, offset + 1)), set(range(t_onset, t_offset + 1))
            if t_video == video and t not in taken and len(a & b) / len(a | b) >= 0.5:
                taken.add(t)
                pairs.append((predicted_labels[p], truth_labels[t]))
                break
    classes = sorted({t for _, t in pairs})
    precisions, recalls, f1s = [], [], []
    for label in classes:
        tp = sum(p == label and t == label for p, t in pairs)
        fp = sum(p == label and t != label for p, t in pairs)
        fn = sum(p != label and t == label for p, t in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    mean_p, mean_r = np.mean(precisions), np.mean(recalls)
    f1 = 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0
    return len(pairs), mean_p, mean_r, f1, np.mean(f1s)


def test_the_str_analysis_equals_the_reference_algorithm_on_random_cases():
    rng = random.Random(7)
    compared = 0
    for _ in range(300):
        truth = [(rng.choice("ab"), o, o + rng.randint(3, 20), "all") for o in rng.sample(range(0, 200, 5), 6)]
        predictions = [(v, o + rng.randint(-3, 3), f + rng.randint(-3, 3), "all") for v, o, f, _ in truth
                       if rng.random() < 0.8] + [("a", 300, 310, "all")]
        emotions = ["happy", "sad", "others"]
        truth_labels = [rng.choice(emotions) for _ in truth]
        predicted_labels = [rng.choice(emotions) for _ in predictions]
        pairs = str_pairs(predictions, truth)
        if not pairs:
            continue
        found = analysis([predicted_labels[p] for p, _ in pairs], [truth_labels[t] for _, t in pairs])
        count, mean_p, mean_r, f1, uf1 = _reference_analysis(predictions, truth, predicted_labels, truth_labels)
        assert found["pairs"] == count
        assert (found["precision"], found["recall"]) == pytest.approx((mean_p, mean_r))
        assert (found["f1"], found["uf1"]) == pytest.approx((f1, uf1))
        compared += 1
    assert compared > 200


def test_a_hand_computed_strs(tmp_path):
    """Three TP pairs (happy->happy, happy->sad, sad->sad) and one FP: spotting F1 = 2*3/(4+3) = 6/7;
    happy: P 1/2, R 1; sad: P 1, R 1/2; mean P = mean R = 3/4, F1_analysis 3/4; STRS = 6/7 * 3/4."""
    truth = _write(tmp_path / "gt.csv", [(1, "v1", 10, 20, "happy"), (1, "v1", 50, 60, "sad"),
                                         (2, "v2", 5, 9, "sad")], "subject,video,onset,offset,emotion")
    predictions = _write(tmp_path / "pred.csv", [(1, "v1", 10, 20, "happy"), (1, "v1", 50, 61, "happy"),
                                                 (2, "v2", 5, 9, "sad"), (2, "v2", 100, 120, "sad")],
                         "subject,video,onset,offset,emotion")
    result = CliRunner().invoke(cli, ["spot", "score", str(predictions), "--truth", str(truth), "--label", "emotion",
                                      "-o", str(tmp_path / "out")], obj={})
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics) >= {"overall", "analysis", "strs"} and "micro" not in metrics  # no type column
    assert metrics["overall"]["f1"] == pytest.approx(6 / 7)
    assert metrics["analysis"]["f1"] == pytest.approx(3 / 4) and metrics["analysis"]["uf1"] == pytest.approx(2 / 3)
    assert metrics["strs"] == pytest.approx(6 / 7 * 3 / 4)
    assert "STRS 0.6429" in result.output


def test_the_cli_prints_the_megc_table_and_writes_metrics(tmp_path):
    truth = _write(tmp_path / "truth.csv", [("v", 10, 19, "micro-expression"), ("v", 100, 199, "Macro")])
    predictions = _write(tmp_path / "p.csv", [("v", 12, 20, "micro"), ("v", 11, 18, "micro"), ("w", 1, 5, "Micro - 1/2")])
    result = CliRunner().invoke(cli, ["spot", "score", str(predictions), "--truth", str(truth), "-o",
                                      str(tmp_path / "scores")], obj={})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["predictions", "truth", "TP", "FP", "FN", "precision", "recall", "F1"]
    assert lines[1].split()[:6] == ["micro", "3", "1", "1", "2", "0"]
    assert lines[3].split()[0] == "overall" and "absent from the truth" in result.output
    metrics = json.loads((tmp_path / "scores" / "metrics.json").read_text())
    assert set(metrics["micro"]) == {"truth", "predictions", "tp", "fp", "fn", "precision", "recall", "f1"}
    assert metrics["macro"]["fn"] == 1 and metrics["overall"]["tp"] == 1


@pytest.mark.parametrize("row, columns, expect", [
    (("v", 1, 5), "video,onset,offset", None),
    (("v", 1), "video,onset", "no column 'offset'"),
    (("v", "1.5", 5, "micro"), "video,onset,offset,type", "row 2, column onset: '1.5' is not a frame number"),
    (("v", "x", 5, "micro"), "video,onset,offset,type", "row 2, column onset: 'x'"),
    (("v", 9, 5, "micro"), "video,onset,offset,type", "row 2, column offset: offset 5 lies before the onset 9"),
    (("v", 1, 5, "medium"), "video,onset,offset,type", "row 2, column type: 'medium' is not micro or macro"),
])
def test_bad_prediction_files_are_one_line_naming_the_row_and_column(tmp_path, row, columns, expect):
    truth = _write(tmp_path / "truth.csv", [("v", 1, 5, "micro")])
    predictions = _write(tmp_path / "p.csv", [row], columns)
    result = CliRunner().invoke(cli, ["spot", "score", str(predictions), "--truth", str(truth)], obj={})
    if expect is None:
        assert result.exit_code == 0 and "only one file gives each interval's type (the truth)" in result.output
        return
    check_outcome(result, "bad predictions", 1, expect)
    assert "p.csv" in result.stderr
