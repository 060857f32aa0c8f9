"""The MEGC spotting metric and the STR analysis (STRS), exactly as the organisers' code computes them.

Conventions (meau names no other variant as its default):

- Intervals are inclusive frame ranges: ``length = offset - onset + 1``.
- ``IoU(p, g) = inter / (len_p + len_g - inter)`` with ``inter = max(0, min(off_p, off_g) - max(on_p, on_g) + 1)``.
- A prediction hits a truth interval of the same video and type when ``IoU >= 0.5`` (greater or equal).
- Per type, counts are pooled over every video: ``truth``, ``predictions``, ``TP`` = truth intervals hit
  by at least one prediction, ``FP = predictions - TP``, ``FN = truth - TP``; a second prediction on a
  truth interval already found is a false positive. ``precision = TP / predictions``, ``recall = TP /
  truth``, ``F1 = 2 TP / (predictions + truth)`` (0 where a denominator is 0). ``overall`` is the same
  formula on the summed counts (pooled, not averaged).
- Predictions on a video without truth intervals are false positives.

STR analysis (Liong, See, Chan 2023): pairs are formed greedily, predictions in their given order,
each taking the first truth interval of its video (in the truth's order) that it hits and that no
earlier prediction took; per class of the analysed labels (default: the classes in the truth of the
pairs), one versus rest over the pairs gives precision and recall; ``F1_analysis = 2 mean(P) mean(R) /
(mean(P) + mean(R))``, UF1 the mean per-class F1, ``STRS = F1_spotting (overall) x F1_analysis``.

Everything here works on plain arrays and dicts (numpy only); :mod:`meau.spotting.intervals` reads files.
"""

from __future__ import annotations

import numpy as np

TYPES = ("micro", "macro")
IOU_THRESHOLD = 0.5


def iou(prediction, truth) -> float:
    """IoU of two inclusive intervals ``(onset, offset)``."""
    inter = max(0, min(prediction[1], truth[1]) - max(prediction[0], truth[0]) + 1)
    union = (prediction[1] - prediction[0] + 1) + (truth[1] - truth[0] + 1) - inter
    return inter / union if union > 0 else 0.0


def iou_matrix(predictions: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU of every prediction (rows) with every truth interval (columns); arrays (n, 2) of inclusive intervals."""
    predictions = np.asarray(predictions, dtype=np.int64).reshape(-1, 2)
    truth = np.asarray(truth, dtype=np.int64).reshape(-1, 2)
    inter = np.minimum(predictions[:, None, 1], truth[None, :, 1]) - np.maximum(predictions[:, None, 0],
                                                                                 truth[None, :, 0]) + 1
    inter = np.maximum(inter, 0)
    lengths_p = predictions[:, 1] - predictions[:, 0] + 1
    lengths_t = truth[:, 1] - truth[:, 0] + 1
    union = lengths_p[:, None] + lengths_t[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def counts_of(truth: int, predictions: int, tp: int) -> dict:
    """The MEGC counts and rates of one type (or of the summed types)."""
    return {"truth": int(truth), "predictions": int(predictions), "tp": int(tp), "fp": int(predictions - tp),
            "fn": int(truth - tp), "precision": tp / predictions if predictions else 0.0,
            "recall": tp / truth if truth else 0.0,
            "f1": 2 * tp / (predictions + truth) if predictions + truth else 0.0}


def spotting_counts(predictions, truth, types=TYPES) -> tuple[dict, list[str]]:
    """Per type and ``overall``: the MEGC counts of ``predictions`` against ``truth``.

    Both are sequences of records ``(video, onset, offset, type)`` (``video`` any hashable key: a
    video name, or (subject, video)). Returns the metrics dict and notes (a prediction hitting more
    than one truth interval, videos predicted but absent from the truth).
    """
    by_video_truth: dict = {}
    for video, onset, offset, kind in truth:
        by_video_truth.setdefault((video, kind), []).append((onset, offset))
    by_video_pred: dict = {}
    for video, onset, offset, kind in predictions:
        by_video_pred.setdefault((video, kind), []).append((onset, offset))
    metrics, notes = {}, []
    totals = np.zeros(3, dtype=np.int64)
    for kind in types:
        tp = n_truth = n_pred = 0
        for (video, this), intervals in by_video_truth.items():
            if this != kind:
                continue
            n_truth += len(intervals)
            predicted = by_video_pred.get((video, kind), [])
            if predicted:
                hits = iou_matrix(predicted, intervals) >= IOU_THRESHOLD
                tp += int(hits.any(axis=0).sum())
                several = int((hits.sum(axis=1) > 1).sum())
                if several:
                    notes.append(f"{_name(video)} ({kind}): {several} prediction(s) hit more than one truth interval "
                                 "(each hit truth interval counts once as TP)")
        n_pred = sum(len(intervals) for (video, this), intervals in by_video_pred.items() if this == kind)
        metrics[kind] = counts_of(n_truth, n_pred, tp)
        totals += (n_truth, n_pred, tp)
    metrics["overall"] = counts_of(*totals)
    truth_videos = {video for video, _ in by_video_truth}
    unseen = sorted({video for video, _ in by_video_pred} - truth_videos, key=str)
    if unseen:
        notes.append(f"{len(unseen)} video(s) predicted but absent from the truth, counted as false positives: "
                     + ", ".join(_name(video) for video in unseen[:5]) + (" …" if len(unseen) > 5 else ""))
    return metrics, notes


def _name(video) -> str:
    return "/".join(map(str, video)) if isinstance(video, tuple) else str(video)


def str_pairs(predictions, truth) -> list[tuple[int, int]]:
    """The STR analysis pairs (prediction index, truth index): predictions in their order, each taking
    the first truth interval of its video and type (in the truth's order) that it hits and that no
    earlier prediction took. Records as in :func:`spotting_counts`."""
    taken = set()
    by_video: dict = {}
    for index, (video, onset, offset, kind) in enumerate(truth):
        by_video.setdefault((video, kind), []).append((index, onset, offset))
    pairs = []
    for p_index, (video, onset, offset, kind) in enumerate(predictions):
        for t_index, t_onset, t_offset in by_video.get((video, kind), []):
            if t_index not in taken and iou((onset, offset), (t_onset, t_offset)) >= IOU_THRESHOLD:
                taken.add(t_index)
                pairs.append((p_index, t_index))
                break
    return pairs


def analysis(predicted_labels, truth_labels, classes=None) -> dict:
    """One-versus-rest precision and recall per class over the TP pairs' labels; ``f1`` =
    2 mean(P) mean(R) / (mean(P) + mean(R)), ``uf1`` = mean per-class F1 (classes: default the truth's)."""
    predicted_labels, truth_labels = list(map(str, predicted_labels)), list(map(str, truth_labels))
    classes = sorted(set(truth_labels)) if classes is None else list(classes)
    precisions, recalls, f1s = [], [], []
    for label in classes:
        tp = sum(p == label and t == label for p, t in zip(predicted_labels, truth_labels))
        predicted = sum(p == label for p in predicted_labels)
        actual = sum(t == label for t in truth_labels)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    mean_p = float(np.mean(precisions)) if classes else 0.0
    mean_r = float(np.mean(recalls)) if classes else 0.0
    return {"classes": classes, "pairs": len(truth_labels), "precision": mean_p, "recall": mean_r,
            "f1": 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0,
            "uf1": float(np.mean(f1s)) if classes else 0.0,
            "per_class": {label: {"precision": p, "recall": r, "f1": f}
                          for label, p, r, f in zip(classes, precisions, recalls, f1s)}}
