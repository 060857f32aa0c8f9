"""Score anyone's emotion predictions as the MEGC2019 guideline does (``meau emotions score``).

Both files are CSVs with ``subject, clip, emotion`` and optionally ``database``; rows match on (database,)
subject and clip, subjects compared as ``--samples`` compares them (``sub01`` = ``01``, ``s1`` = ``s01``,
``6`` = ``006``). The classes are the truth's labels (case-folded) unless given.
"""

from __future__ import annotations


from .errors import MeauError


def _read(path, what: str):
    from .databases.samples import read_csv_table

    return read_csv_table(path, f"{what} file", ("subject", "clip", "emotion"),
                          f"the {what} file needs subject, clip and emotion columns")


def score_files(predictions, truth, *, classes=None, allow_missing: bool = False) -> dict:
    """``{pooled: metrics, by_database: {name: metrics}, matched, missing_predictions, missing_truth}`` of the
    predictions against the truth (:func:`meau.metrics.class_metrics`).

    A truth row without a prediction, or a prediction without truth, is an error naming them unless
    ``allow_missing``: then a missing prediction counts as an error of its truth class, a prediction without
    truth is left out, and both are listed.
    """
    from .databases.samples import subject_key
    from .metrics import class_metrics
    from .databases.classes import normalise

    guessed, given = _read(predictions, "predictions"), _read(truth, "truth")
    by_database = "database" in given.columns and "database" in guessed.columns

    def keys(table):
        database = table["database"].map(normalise) if by_database else ""
        return list(zip(database if by_database else [""] * len(table), table["subject"].map(subject_key),
                        table["clip"].str.strip()))

    truth_keys, predicted_keys = keys(given), keys(guessed)
    for table, found, what in ((given, truth_keys, "truth"), (guessed, predicted_keys, "predictions")):
        if len(set(found)) < len(found):
            repeated = next(key for key in found if found.count(key) > 1)
            raise MeauError(f"{what}: sample {'/'.join(k for k in repeated if k)} is listed twice")
    predicted = dict(zip(predicted_keys, guessed["emotion"].map(normalise)))
    truths = dict(zip(truth_keys, given["emotion"].map(normalise)))
    missing_predictions = [key for key in truth_keys if key not in predicted]
    missing_truth = [key for key in predicted_keys if key not in truths]
    if (missing_predictions or missing_truth) and not allow_missing:
        parts = []
        if missing_predictions:
            parts.append(f"{len(missing_predictions)} truth row(s) without a prediction (e.g. "
                         f"{'/'.join(k for k in missing_predictions[0] if k)})")
        if missing_truth:
            parts.append(f"{len(missing_truth)} prediction(s) without truth (e.g. "
                         f"{'/'.join(k for k in missing_truth[0] if k)})")
        raise MeauError(f"{'; '.join(parts)}; give --allow-missing to count missing predictions as errors")
    classes = [normalise(name) for name in classes] if classes else sorted(set(truths.values()) - {""})
    unknown = sorted(set(truths.values()) - set(classes))
    if unknown:
        raise MeauError(f"truth label(s) {', '.join(unknown)} not among the classes {', '.join(classes)}")
    truth_labels = [truths[key] for key in truth_keys]
    predicted_labels = [predicted.get(key, "(missing)") for key in truth_keys]
    result = {"classes": classes, "matched": len(truth_keys) - len(missing_predictions),
              "missing_predictions": ["/".join(k for k in key if k) for key in missing_predictions],
              "missing_truth": ["/".join(k for k in key if k) for key in missing_truth],
              "pooled": class_metrics(truth_labels, predicted_labels, classes), "by_database": {}}
    if by_database:
        import numpy as np

        databases = np.array([key[0] for key in truth_keys])
        for name in sorted(set(databases)):
            rows = databases == name
            result["by_database"][name] = class_metrics(np.array(truth_labels)[rows],
                                                        np.array(predicted_labels)[rows], classes)
    return result
