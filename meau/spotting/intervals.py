"""Interval files: predictions and truth for ``meau spot score`` (and what ``meau spot`` writes).

A file has the columns ``video, onset, offset`` and usually ``type`` (micro or macro; ``micro-expression``,
``Macro``, ``Micro - 1/2`` … are read as such) and ``subject``. ``meau annotate``'s output of a long-video
sheet is a valid truth file, and STRS-Metric's files (``subject, video, onset, offset, emotion``) are read
as they are. Other columns are ignored unless named (``--label``). Every value is checked: a missing
column, a frame that is not an integer, an offset before its onset or an unknown type is one line
naming the file, the row and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MeauError

REQUIRED = ("video", "onset", "offset")


@dataclass
class Intervals:
    """The intervals of one file: ``records`` (key, onset, offset, type) in file order, with ``key``
    the video (or (subject, video)); ``labels`` the values of a named column; ``typed``: whether the
    file says each interval's type."""

    path: Path
    table: object  # the pandas DataFrame as read
    typed: bool
    records: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    def by_video(self) -> list:
        """The records keyed by the video alone (for a file compared with one that has no subjects)."""
        return [(key[1] if isinstance(key, tuple) else key, onset, offset, kind)
                for key, onset, offset, kind in self.records]


def expression_type(text) -> str | None:
    """``micro`` or ``macro`` for the ways sheets and files write them, None for anything else."""
    value = str(text).strip().lower()
    if value in ("micro", "micro-expression", "micro expression", "me") or value.startswith("micro"):
        return "micro"
    if value in ("macro", "macro-expression", "macro expression", "mae") or value.startswith("macro"):
        return "macro"
    return None


def _frame(value, path, row, column) -> int:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number == number or not number.is_integer():  # NaN or a fraction
        raise MeauError(f"{path} row {row}, column {column}: {text!r} is not a frame number (an integer)")
    return int(number)


def read_intervals(path, *, label: str | None = None, use_subject: bool = True) -> Intervals:
    """The intervals of a CSV file (see the module). ``label``: a column whose values are kept for the
    STR analysis; ``use_subject``: key videos by (subject, video) when the file has a subject column."""
    import pandas as pd

    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MeauError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise MeauError(f"{path}: not a CSV file of intervals ({error})") from None
    table.columns = [str(column).strip() for column in table.columns]
    wanted = list(REQUIRED) + ([label] if label else [])
    missing = [column for column in wanted if column not in table.columns]
    if missing:
        raise MeauError(f"{path}: no column {missing[0]!r} (columns: {', '.join(table.columns)})")
    typed = "type" in table.columns
    keyed = use_subject and "subject" in table.columns
    result = Intervals(path, table, typed)
    for index, row in enumerate(table.itertuples(index=False), start=2):  # row 1 is the header
        values = dict(zip(table.columns, row))
        onset = _frame(values["onset"], path, index, "onset")
        offset = _frame(values["offset"], path, index, "offset")
        if offset < onset:
            raise MeauError(f"{path} row {index}, column offset: offset {offset} lies before the onset {onset}")
        kind = "all"
        if typed:
            kind = expression_type(values["type"])
            if kind is None:
                raise MeauError(f"{path} row {index}, column type: {values['type']!r} is not micro or macro")
        video = str(values["video"]).strip()
        if not video:
            raise MeauError(f"{path} row {index}, column video: empty")
        key = (str(values["subject"]).strip(), video) if keyed else video
        result.records.append((key, onset, offset, kind))
        if label:
            result.labels.append(str(values[label]).strip())
    return result


def score_files(predictions_path, truth_path, *, label: str | None = None, aus: bool = False,
                classes=None) -> dict:
    """The MEGC metrics (and with ``label`` the STR analysis and STRS) of a prediction file against a truth
    file; with ``aus``, the AU analysis on the TP pairs (predicted ``AUxx_c`` against the truth's ``AUxx``)
    and its STRS-style product with the spotting F1. ``classes``: the analysed classes (default: those in
    the truth of the pairs)."""
    from .score import TYPES, analysis, spotting_counts, str_pairs

    predictions, truth = read_intervals(predictions_path, label=label), read_intervals(truth_path, label=label)
    use_subject = "subject" in predictions.table.columns and "subject" in truth.table.columns
    notes = []
    typed = predictions.typed and truth.typed
    if predictions.typed != truth.typed:
        notes.append(f"only one file gives each interval's type ({'the predictions' if predictions.typed else 'the truth'}): "
                     "every interval is scored as one kind")

    def records(intervals: Intervals) -> list:
        keyed = intervals.records if use_subject else intervals.by_video()
        return keyed if typed else [(k, a, b, "all") for k, a, b, _ in keyed]

    pred_records, truth_records = records(predictions), records(truth)
    if not pred_records:
        notes.append(f"{predictions.path.name} holds no interval: every truth interval is a false negative")
    metrics, more = spotting_counts(pred_records, truth_records, TYPES if typed else ("all",))
    notes += more
    if not typed:
        metrics = {"overall": metrics["overall"]}
    result = {**metrics, "conventions": CONVENTIONS, "notes": notes,
              "videos_keyed_by": "subject and video" if use_subject else "video"}
    pairs = str_pairs(pred_records, truth_records) if label or aus else []
    if label:
        found = analysis([predictions.labels[p] for p, _ in pairs], [truth.labels[t] for _, t in pairs], classes)
        result["analysis"] = {"label": label, **found}
        result["strs"] = metrics["overall"]["f1"] * found["f1"]
    if aus:
        from .aus import au_analysis

        found = au_analysis(pairs, predictions.table, truth.table)
        result["au_analysis"] = found
        result["strs_aus"] = metrics["overall"]["f1"] * found["f1"]
    return result


def matches_table(predictions_path, truth_path):
    """Which prediction hit which truth interval: per prediction (file order) its video, type, onset, offset, the
    truth interval of the same video and type with the highest IoU (its row in the truth file, onset,
    offset), that IoU and whether it counts as a hit (IoU >= 0.5)."""
    import pandas as pd

    from .score import IOU_THRESHOLD, iou

    predictions, truth = read_intervals(predictions_path), read_intervals(truth_path)
    use_subject = "subject" in predictions.table.columns and "subject" in truth.table.columns
    typed = predictions.typed and truth.typed
    keyed = lambda found: found.records if use_subject else found.by_video()  # noqa: E731
    candidates: dict = {}
    for row, (key, onset, offset, kind) in enumerate(keyed(truth), start=2):
        candidates.setdefault((key, kind if typed else "all"), []).append((row, onset, offset))
    rows = []
    for row, (key, onset, offset, kind) in enumerate(keyed(predictions), start=2):
        scored = [(iou((onset, offset), (t_onset, t_offset)), t_row, t_onset, t_offset)
                  for t_row, t_onset, t_offset in candidates.get((key, kind if typed else "all"), [])]
        best = max(scored, default=(0.0, None, None, None))
        rows.append({"row": row, "video": "/".join(key) if isinstance(key, tuple) else key, "type": kind,
                     "onset": onset, "offset": offset, "truth_row": best[1], "truth_onset": best[2],
                     "truth_offset": best[3], "iou": round(best[0], 6), "hit": best[0] >= IOU_THRESHOLD})
    table = pd.DataFrame(rows, columns=["row", "video", "type", "onset", "offset", "truth_row", "truth_onset",
                                        "truth_offset", "iou", "hit"])
    return table.astype({"truth_row": "Int64", "truth_onset": "Int64", "truth_offset": "Int64"})


CONVENTIONS = ("MEGC: inclusive intervals (length = offset - onset + 1); IoU >= 0.5 with a truth interval of the "
               "same video and type; TP = truth intervals hit by at least one prediction, FP = predictions - TP, "
               "FN = truth - TP; counts pooled over videos, overall = the summed counts")


def megc_table(metrics: dict) -> str:
    """The MEGC table: per type and overall, predictions, truth, TP, FP, FN, precision, recall, F1."""
    header = ["", "predictions", "truth", "TP", "FP", "FN", "precision", "recall", "F1"]
    rows = []
    for kind in ("micro", "macro", "overall"):
        if kind in metrics:
            m = metrics[kind]
            rows.append([kind, str(m["predictions"]), str(m["truth"]), str(m["tp"]), str(m["fp"]), str(m["fn"]),
                         f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}"])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header] + rows]
    if "au_analysis" in metrics:
        a = metrics["au_analysis"]
        per_au = ", ".join(f"AU{int(c[2:])} {v['f1']:.4f}" for c, v in a["per_au"].items())
        lines.append(f"AUs on the {a['pairs']} TP pairs: F1 {a['f1']:.4f} ({per_au}); spotting F1 x AU F1 "
                     f"{metrics['strs_aus']:.4f}")
    if "analysis" in metrics:
        a = metrics["analysis"]
        lines.append(f"analysis ({a['label']}, {a['pairs']} TP pairs): precision {a['precision']:.4f}, recall "
                     f"{a['recall']:.4f}, F1 {a['f1']:.4f}, UF1 {a['uf1']:.4f}; STRS {metrics['strs']:.4f}")
    return "\n".join(lines) + "\n"
