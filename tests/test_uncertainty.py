"""Subject-level bootstrap and paired permutation, checked against scikit-learn on explicit resamples."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from meau.uncertainty import (bootstrap_interval, metric_from_counts, paired_permutation, subject_counts,
                              table_values)


def _data(seed=0, subjects=7, per_subject=5, aus=3):
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(subjects), per_subject)
    truth = (rng.random((len(ids), aus)) < 0.4).astype(int)
    decision = np.where(rng.random(truth.shape) < 0.75, truth, 1 - truth)
    return truth, decision, ids


@pytest.mark.parametrize("metric,oracle", [
    ("f1", lambda t, d: f1_score(t, d, zero_division=0)),
    ("precision", lambda t, d: precision_score(t, d, zero_division=0)),
    ("recall", lambda t, d: recall_score(t, d, zero_division=0)),
    ("accuracy", accuracy_score),
    ("macro_f1", lambda t, d: f1_score(t, d, average="macro", labels=[0, 1], zero_division=0)),
])
def test_a_resample_is_the_metric_of_the_drawn_subjects_rows(metric, oracle):
    truth, decision, ids = _data()
    counts, names = subject_counts(truth, decision, ids)
    assert names == [str(i) for i in range(7)] and counts.sum() == truth.size
    drawn = np.array([3, 3, 0, 6, 1, 1, 1])  # a bootstrap draw of the 7 subjects
    weights = np.bincount(drawn, minlength=7)[None]
    rows = np.concatenate([np.flatnonzero(ids == s) for s in drawn])
    expected = [oracle(truth[rows, j], decision[rows, j]) for j in range(3)]
    values = table_values(counts[None], metric, weights)[0]
    np.testing.assert_allclose(values, expected + [np.mean(expected)], atol=1e-12)
    np.testing.assert_allclose(table_values(counts[None], metric),
                               [oracle(truth[:, j], decision[:, j]) for j in range(3)]
                               + [np.mean([oracle(truth[:, j], decision[:, j]) for j in range(3)])], atol=1e-12)


def test_no_positive_and_no_prediction_is_zero_as_in_scikit_learn():
    counts = np.zeros((1, 1, 4))
    counts[0, 0, 3] = 5  # only true negatives
    assert metric_from_counts(counts.sum(0), "f1")[0] == f1_score([0] * 5, [0] * 5, zero_division=0) == 0


def test_interval_brackets_the_value_and_narrows_with_more_subjects():
    widths = []
    for subjects in (8, 64):
        truth, decision, ids = _data(seed=1, subjects=subjects)
        counts = subject_counts(truth, decision, ids)[0][None]
        low, high = bootstrap_interval(counts, resamples=4000)
        value = table_values(counts)
        assert np.all(low <= value + 1e-12) and np.all(value <= high + 1e-12)
        widths.append(high[-1] - low[-1])
    assert widths[1] < widths[0] / 2  # about 1 / sqrt(8) as wide
    again = bootstrap_interval(counts, resamples=4000)
    np.testing.assert_array_equal(again[0], low)  # seeded: the same interval every time


def test_permutation_matches_a_plain_loop_and_is_one_for_identical_methods():
    truth, decision, ids = _data(seed=2, subjects=9)
    other = np.where(np.random.default_rng(5).random(truth.shape) < 0.55, truth, 1 - truth)
    first = subject_counts(truth, decision, ids)[0]
    second = subject_counts(truth, other, ids)[0]
    p = paired_permutation(first, second, resamples=300, seed=4)
    swapped = np.random.default_rng(4).integers(0, 2, size=(300, 9))
    observed = abs(f1_score(truth, decision, average=None).mean() - f1_score(truth, other, average=None).mean())
    hits = 0
    for draw in swapped:
        rows = np.isin(ids, np.flatnonzero(draw))
        a = np.where(rows[:, None], other, decision)
        b = np.where(rows[:, None], decision, other)
        delta = abs(f1_score(truth, a, average=None, zero_division=0).mean()
                    - f1_score(truth, b, average=None, zero_division=0).mean())
        hits += delta >= observed - 1e-12
    assert p == (1 + hits) / 301
    assert paired_permutation(first, first, resamples=300) == 1.0
    with pytest.raises(ValueError, match="same samples"):
        paired_permutation(first, second[:-1])
