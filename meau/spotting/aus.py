"""Spot, then AUs: each spotted interval described by a finished AU run, as ``meau predict`` describes a clip.

The interval's frames (onset to offset, as the recording stores them) are one clip for the run's
predictor: ``AUxx_p`` (probability), ``AUxx_t`` (threshold) and ``AUxx_c`` (decision,
``AUxx_p >= AUxx_t`` on the written numbers), the same columns and rules as ``predict``'s output. An
interval the predictor cannot take (too few distinct frames for a flow, say) keeps empty AU columns
and says why in ``aus_status``; a run that can take none of them is one line naming it.

An emotion run (``--emotions-from``) describes each interval the same way, as ``predict`` does: ``emotion``
(its decision) and ``p_<class>``, with ``emotions_from`` and ``emotion_status``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ClipError, FrameError, MeauError, SettingError


def au_predictor(source, device: str = "auto"):
    """The predictor of a finished AU run (or a deep checkpoint); a one-line SettingError when it has none."""
    from ..prediction import load_predictor

    try:
        return load_predictor(source, device)
    except MeauError as error:
        raise SettingError("aus_from", source, f"cannot predict AUs ({error})") from None


def interval_aus(intervals, clip_of, source, *, device: str = "auto", predictor=None):
    """``intervals`` (a DataFrame with ``onset``, ``offset``) with the AU columns of each interval.

    Parameters
    ----------
    clip_of : callable (row, color: bool) -> uint8 clip (T, H, W[, 3]) of the row's frames
    source : the AU run folder (``--aus-from``), unless ``predictor`` is given
    """
    import pandas as pd

    from ..prediction import DeepPredictor

    predictor = predictor or au_predictor(source, device)
    color = isinstance(predictor, DeepPredictor) and not predictor.flow
    emotion = getattr(predictor, "target", "aus") == "emotion"
    what, status = ("emotions", "emotion_status") if emotion else ("aus", "aus_status")
    columns = ({"emotion": [], **{f"p_{c}": [] for c in predictor.au_columns}} if emotion else
               {f"{c}_{suffix}": [] for c in predictor.au_columns for suffix in ("p", "t", "c")})
    statuses = []
    for row in intervals.to_dict("records"):
        try:
            clip = clip_of(row, color)
            if len(clip) < 2:
                raise ClipError(f"{row['onset']}-{row['offset']}: one frame, no motion to describe")
            probabilities, thresholds = predictor(clip, f"{row.get('video', '')}@{row['onset']}-{row['offset']}")
        except (ClipError, FrameError, MeauError) as error:
            statuses.append(f"error: {error}")
            for name, values in columns.items():
                values.append("" if name == "emotion" else np.nan)
            continue
        statuses.append("ok")
        if emotion:  # ``thresholds`` is the decided class's index
            columns["emotion"].append(predictor.au_columns[thresholds])
            for column, probability in zip(predictor.au_columns, probabilities):
                columns[f"p_{column}"].append(round(float(probability), 6))
            continue
        for column, probability, threshold in zip(predictor.au_columns, probabilities, thresholds):
            p, t = round(float(probability), 6), round(float(threshold), 6)
            columns[f"{column}_p"].append(p)
            columns[f"{column}_t"].append(t)
            columns[f"{column}_c"].append(int(p >= t))
    failures = [status for status in statuses if status != "ok"]
    if statuses and len(failures) == len(statuses):
        raise SettingError(f"{what}_from", source, f"cannot describe any of the {len(statuses)} spotted intervals "
                                                   f"(the first: {failures[0][len('error: '):]})")
    described = intervals.reset_index(drop=True).copy()
    described[f"{what}_from"] = str(source)
    described[status] = statuses
    added = pd.DataFrame(columns, index=described.index)
    for column in added:
        if column.endswith("_c"):
            added[column] = added[column].astype("Int64")
    return pd.concat([described, added], axis=1)


def recording_clips(recordings: dict):
    """``clip_of`` for database recordings: the frames of ``recordings[(subject, video)]`` in the interval."""
    from ..video import read_frames

    def clip_of(row, color):
        recording = recordings[(str(row["subject"]), str(row["video"]))]
        chosen = [path for path, number in zip(recording.frames, recording.numbers)
                  if int(row["onset"]) <= number <= int(row["offset"])]
        return read_frames(chosen, color=color)

    return clip_of


def au_analysis(pairs, predictions_table, truth_table) -> dict:
    """Per-AU binary F1 on the TP pairs (the pair's truth interval codes the AU or not; pairs whose AUs
    are unknown leave that AU out), and their mean: the STR analysis for AUs.

    ``pairs``: (prediction row, truth row) indices; the AUs are those with ``AUxx_c`` in the predictions
    and ``AUxx`` in the truth.
    """
    from sklearn.metrics import f1_score

    predicted = {column[:-2] for column in predictions_table.columns if column.endswith("_c")
                 and column.startswith("AU")}
    aus = sorted(column for column in predicted if column in truth_table.columns)
    if not aus:
        raise MeauError("the predictions and the truth share no AU column (AUxx_c in the predictions, AUxx in "
                        "the truth): no AU analysis")
    per_au = {}
    for column in aus:
        truth = [truth_table[column].iloc[t] for _, t in pairs]
        decided = [predictions_table[f"{column}_c"].iloc[p] for p, _ in pairs]
        kept = [(int(float(a)), int(float(b))) for a, b in zip(truth, decided)
                if str(a).strip() not in ("", "nan") and str(b).strip() not in ("", "nan", "<NA>")]
        if not kept:
            continue
        truths, decisions = zip(*kept)
        per_au[column] = {"f1": float(f1_score(truths, decisions, zero_division=0)), "pairs": len(kept),
                          "positives": int(sum(truths))}
    f1 = float(np.mean([value["f1"] for value in per_au.values()])) if per_au else 0.0
    return {"aus": list(per_au), "per_au": per_au, "f1": f1, "pairs": len(pairs),
            "definition": "per AU, binary F1 (AU coded in the pair's truth interval or not) over the TP pairs; "
                          "f1 = their mean"}
