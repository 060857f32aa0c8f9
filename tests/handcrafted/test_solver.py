"""The batched squared-hinge solver against liblinear (scikit-learn's LinearSVC) as the oracle."""

import warnings

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from meau.handcrafted.solver import SquaredHinge, solve_path, squared_hinge_objective
from meau.handcrafted.svm import RowSpace, final_svms, fold_svms, linear_scores, make_svm, sample_weights


def _problem(n=90, d=40, targets=3, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, d)) * rng.uniform(0.2, 3, d)
    labels = np.stack([(features[:, k:k + 3].sum(1) + rng.normal(0, 1.5, n) > 0.4).astype(int)
                       for k in range(targets)], axis=1)
    return features, labels


def _liblinear(train, labels, C, sample_weight=None, tol=1e-3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LinearSVC(C=C, fit_intercept=False, dual=True, tol=tol, max_iter=1_000_000).fit(
            train, labels, sample_weight=sample_weight).coef_[0]


@pytest.mark.parametrize("C", [0.001, 0.1, 10.0, 1000.0])
def test_the_objective_is_liblinears_minimum(C):
    """liblinear's dual coordinate descent at tol 1e-10 converges to the (unique, strictly convex) minimiser;
    the batched solution's objective equals it to 1e-7 relative (the dual gap liblinear leaves at that
    tolerance), and is never above liblinear's at its default tolerance 1e-3 (which stops early)."""
    features, labels = _problem()
    train = RowSpace().fit(features).transform(features)
    weights = SquaredHinge(train).solve(2.0 * labels - 1, np.full(labels.shape[1], C))
    signs = 2.0 * labels - 1
    costs = np.full(labels.shape, C)
    ours = squared_hinge_objective(weights, train, signs, costs)
    tight = squared_hinge_objective(np.column_stack([_liblinear(train, labels[:, j], C, tol=1e-10)
                                                     for j in range(labels.shape[1])]), train, signs, costs)
    default = squared_hinge_objective(np.column_stack([_liblinear(train, labels[:, j], C)
                                                       for j in range(labels.shape[1])]), train, signs, costs)
    np.testing.assert_allclose(ours, tight, rtol=1e-7)
    assert np.all(ours <= default * (1 + 1e-12))
    # the optimum's condition: the gradient w - 2 X^T (c y (1 - m)_+) vanishes
    margins = signs * (train @ weights)
    gradient = weights - 2 * train.T @ (costs * signs * np.maximum(0, 1 - margins))
    assert np.linalg.norm(gradient) <= 1e-7 * np.linalg.norm(weights)


def test_sample_weights_are_liblinears_class_weights():
    features, labels = _problem(targets=1, seed=1)
    train = RowSpace().fit(features).transform(features)
    weights = sample_weights(labels[:, 0], "balanced")
    assert np.isclose(weights[labels[:, 0] == 1].sum(), weights[labels[:, 0] == 0].sum())
    ours = SquaredHinge(train).solve(2.0 * labels - 1, 1.0 * weights[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = LinearSVC(C=1.0, fit_intercept=False, class_weight="balanced", tol=1e-10, max_iter=1_000_000).fit(
            train, labels[:, 0]).coef_[0]
    np.testing.assert_allclose(ours[:, 0], theirs, rtol=1e-4, atol=1e-6 * np.abs(theirs).max())


def test_the_path_equals_each_problem_solved_alone_and_rotated_features_work():
    """Warm starts change where Newton starts, not where it ends; a design matrix whose columns are not
    orthogonal (rotated internally) gives the same minimiser."""
    features, labels = _problem(n=60, d=25, seed=2)
    signs = 2.0 * labels - 1
    path = solve_path(SquaredHinge(features), signs, np.ones(labels.shape), (0.01, 1.0, 100.0))
    for C, weights in path.items():
        alone = SquaredHinge(features).solve(signs, np.full(labels.shape[1], C))
        np.testing.assert_allclose(weights, alone, rtol=1e-6, atol=1e-9 * np.abs(alone).max())


def test_fold_svms_choose_the_same_c_and_decisions_with_either_solver():
    features, labels = _problem(n=160, d=300, targets=4, seed=3)
    parts = (features[:80], labels[:80], features[80:120], labels[80:120], features[120:])
    batched = fold_svms(*parts, solver="batched")
    liblinear = fold_svms(*parts, solver="liblinear")
    assert batched[1] == liblinear[1]
    assert np.mean((batched[0] > 0) == (liblinear[0] > 0)) >= 0.975  # 39 of 40 test clips at least


def test_final_models_match_scikit_learns_pipeline():
    features, labels = _problem(n=70, d=30, targets=2, seed=4)
    parts = final_svms(features, labels, {0: 0.1, 1: 10.0})
    for j, C in ((0, 0.1), (1, 10.0)):
        plain = make_svm(C).set_params(linearsvc__tol=1e-10, linearsvc__max_iter=1_000_000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = plain.fit(features, labels[:, j]).decision_function(features)
        np.testing.assert_allclose(linear_scores(parts[j], features), expected, rtol=1e-4,
                                   atol=1e-5 * np.abs(expected).max())


def test_bad_shapes_and_costs_are_refused():
    problem = SquaredHinge(np.ones((4, 2)))
    with pytest.raises(ValueError, match="signs"):
        problem.solve(np.ones(4), np.ones(1))
    with pytest.raises(ValueError, match="costs"):
        problem.solve(np.ones((4, 1)), -np.ones(1))
