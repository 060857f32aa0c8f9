"""One linear SVM per AU, C chosen on the validation fold, scored on the test fold.

Per fold: features are standardised on the training folds only; for every AU, ``LinearSVC`` is
trained on the training folds for each C of the grid, the C with the best validation F1 wins
(ties -> the smaller C), and that model scores the test fold (threshold 0).

Speed without changing the answer: with n training samples and d >> n features, the optimal
weight vector lies in the span of the training rows (its component outside the span changes no
loss and only adds to the norm). liblinear fits the bias as a weight on a constant feature, so we
append that feature ourselves, take an orthonormal basis B (n x (d + 1)) of the rows, and train
``LinearSVC(fit_intercept=False)`` on the n-dimensional coordinates ``[X, 1] B^T``. It is the
same optimisation problem (same objective, same optimum, w = B^T u); only its cost no longer
grows with d. ``tests/handcrafted/test_svm.py`` checks the decisions against the plain pipeline.
"""

from __future__ import annotations

import warnings

import numpy as np

C_GRID = tuple(10.0**k for k in range(-3, 4))
SOLVER = "dual"  # liblinear's dual coordinate descent (LinearSVC(dual=True)), as meau has always fitted
# liblinear's stopping tolerance. 1e-3 instead of scikit-learn's 1e-4: measured on the six-database LODO
# (benchmarks/composite.py, first 3 folds, 189 fits), 40 % fewer iterations (130,283 against 217,383) with
# the same chosen C and the same test decisions for every AU; the demo prints the same table.
TOLERANCE = 1e-3


def make_svm(C: float, class_weight=None, seed: int = 0):
    """The plain scikit-learn model: ``StandardScaler`` + ``LinearSVC`` (used for final models)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return make_pipeline(StandardScaler(), LinearSVC(C=C, class_weight=class_weight, max_iter=10000, dual=True,
                                                     tol=TOLERANCE, random_state=seed))


def linear_parts(model) -> dict[str, np.ndarray]:
    """The arrays of a fitted :func:`make_svm` pipeline: score = ((x - mean) / scale) . coef + intercept."""
    scaler, svm = model[0], model[-1]
    return {"mean": scaler.mean_.astype(np.float64), "scale": scaler.scale_.astype(np.float64),
            "coef": svm.coef_[0].astype(np.float64), "intercept": np.asarray(svm.intercept_, dtype=np.float64)}


def linear_scores(parts: dict, features) -> np.ndarray:
    """SVM scores of ``features`` (n, d) from :func:`linear_parts` arrays."""
    features = np.asarray(features, dtype=np.float64)
    return ((features - parts["mean"]) / parts["scale"]) @ parts["coef"] + float(parts["intercept"][0])


def save_arrays(path, arrays: dict) -> None:
    """Plain numeric arrays in one ``.npz``, written atomically (read back with ``allow_pickle=False``)."""
    from ..outputs import atomic_path

    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


class RowSpace:
    """Standardise on the training rows, append the bias feature, project onto the rows' span."""

    def fit(self, features_train):
        from sklearn.preprocessing import StandardScaler

        self.scaler_ = StandardScaler().fit(features_train)
        augmented = self._augment(features_train)
        _, singular, basis = np.linalg.svd(augmented, full_matrices=False)
        keep = singular > singular[0] * 1e-10
        self.basis_ = basis[keep]
        return self

    def _augment(self, features):
        scaled = self.scaler_.transform(np.asarray(features, dtype=np.float64))
        return np.hstack([scaled, np.ones((len(scaled), 1))])

    def transform(self, features):
        return self._augment(features) @ self.basis_.T


def fit_linear_svc(train, labels, C: float, class_weight=None, seed: int = 0, solver: str = SOLVER) -> np.ndarray:
    """The weights (1, n_features) of ``LinearSVC(fit_intercept=False)`` on ``train``: one task of
    :func:`fold_svms`, run in a worker process (liblinear's random stream is one per process, so
    threads would interleave it; processes keep every fit the serial fit)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearSVC(C=C, fit_intercept=False, class_weight=class_weight, max_iter=10000,
                          dual=solver == "dual", tol=TOLERANCE, random_state=seed).fit(train, labels)
    return model.coef_  # as liblinear left it: scores below are computed as decision_function computes them


def fold_svms(features_train, labels_train, features_val, labels_val, features_test, *, c_grid=C_GRID,
              class_weight=None, seed=0, n_jobs: int = 1, backend: str | None = None):
    """Scores on the test fold for every AU, the chosen C per AU and the validation F1 per C.

    Every (AU, C) fit is one task; ``n_jobs`` runs them in parallel (joblib, worker processes), with
    the same results as one after another: the same weights, hence the same chosen C and scores.

    Parameters
    ----------
    features_* : arrays (n_*, d)
    labels_train, labels_val : 0/1 arrays (n_*, m)

    Returns
    -------
    scores : (n_test, m) SVM decision values (threshold 0)
    chosen : list of m chosen C (None where the training folds hold a single class)
    validation : list of m dicts C -> validation F1
    """
    from joblib import Parallel, delayed
    from sklearn.metrics import f1_score

    space = RowSpace().fit(features_train)
    train, val, test = (space.transform(f) for f in (features_train, features_val, features_test))
    labels_train = np.asarray(labels_train).reshape(len(train), -1)
    labels_val = np.asarray(labels_val).reshape(len(val), -1)
    grid = sorted(c_grid)
    fitted = [j for j in range(labels_train.shape[1]) if len(np.unique(labels_train[:, j])) == 2]
    # the largest C first: they take the most iterations, so the workers finish together
    tasks = [(j, C) for C in reversed(grid) for j in fitted]
    weights = Parallel(n_jobs=n_jobs if len(tasks) > 1 else 1, backend=backend)(
        delayed(fit_linear_svc)(train, labels_train[:, j], C, class_weight, seed) for j, C in tasks)
    by_task = dict(zip(tasks, weights))
    scores = np.zeros((len(test), labels_train.shape[1]))
    chosen, validation = [], []
    for j in range(labels_train.shape[1]):
        if j not in fitted:
            scores[:, j] = 1.0 if labels_train[0, j] else -1.0
            chosen.append(None)
            validation.append({})
            continue
        best, f1_by_c = None, {}
        for C in grid:
            f1 = f1_score(labels_val[:, j], ((val @ by_task[j, C].T).ravel() > 0).astype(int), zero_division=0)
            f1_by_c[C] = float(f1)
            if best is None or f1 > best[1]:  # strict: ties keep the smaller C
                best = (C, f1)
        scores[:, j] = (test @ by_task[j, best[0]].T).ravel()
        chosen.append(best[0])
        validation.append(f1_by_c)
    return scores, chosen, validation
