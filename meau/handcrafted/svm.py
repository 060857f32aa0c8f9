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

from ..metrics import binary_f1, unweighted_f1  # noqa: F401 (where benchmarks look)

C_GRID = tuple(10.0**k for k in range(-3, 4))
# "batched": every (target, C) problem of a fold solved together to its optimum (meau.handcrafted.solver);
# "liblinear": LinearSVC's dual coordinate descent, one problem at a time, as meau < 0.5 fitted
SOLVERS = ("batched", "liblinear")
SOLVER = "batched"
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

    def linear_parts(self, weights) -> dict[str, np.ndarray]:
        """Row-space weights (r,) as :func:`linear_parts` arrays on the original features."""
        full = np.asarray(weights, dtype=np.float64) @ self.basis_
        return {"mean": self.scaler_.mean_.astype(np.float64), "scale": self.scaler_.scale_.astype(np.float64),
                "coef": full[:-1], "intercept": full[-1:]}


def final_svms(features, labels, chosen: dict, class_weight=None, seed: int = 0, solver: str = SOLVER) -> dict:
    """``{j: linear_parts}``: the SVM of every target j of ``chosen`` ({j: C}) on every sample (a run's final
    models), with the solver of its folds."""
    labels = np.asarray(labels).reshape(len(features), -1)
    if solver == "liblinear":
        return {j: linear_parts(make_svm(C, class_weight, seed).fit(features, labels[:, j]))
                for j, C in chosen.items()}
    from .solver import SquaredHinge

    space = RowSpace().fit(features)
    problem = SquaredHinge(space.transform(features))
    parts = {}
    for C in set(chosen.values()):
        targets = [j for j in chosen if chosen[j] == C]
        costs = C * np.column_stack([sample_weights(labels[:, j], class_weight) for j in targets])
        weights = problem.solve(2.0 * labels[:, targets] - 1, costs)
        parts.update({j: space.linear_parts(weights[:, k]) for k, j in enumerate(targets)})
    return parts


def fit_linear_svc(train, labels, C: float, sample_weight=None, seed: int = 0) -> np.ndarray:
    """The weights (1, n_features) of liblinear's ``LinearSVC(fit_intercept=False)`` on ``train``: one task of
    :func:`grid_weights` with ``solver='liblinear'``, run in a worker process (liblinear's random stream is one
    per process, so threads would interleave it; processes keep every fit the serial fit)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearSVC(C=C, fit_intercept=False, max_iter=10000, dual=True, tol=TOLERANCE,
                          random_state=seed).fit(train, labels, sample_weight=sample_weight)
    return model.coef_  # as liblinear left it: scores below are computed as decision_function computes them


def sample_weights(labels, class_weight=None) -> np.ndarray:
    """Each sample's weight (its C is C times it): 1, or with ``'balanced'`` n / (k * n_class) for its class
    among the k classes of ``labels`` (scikit-learn's rule), so that every class weighs the same in total."""
    labels = np.asarray(labels)
    if class_weight is None:
        return np.ones(len(labels))
    if class_weight != "balanced":
        raise ValueError(f"class_weight {class_weight!r}: None or 'balanced'")
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return (len(labels) / (len(classes) * counts))[inverse]


def grid_weights(train, targets, weights, c_grid=C_GRID, *, solver: str = SOLVER, seed: int = 0, n_jobs: int = 1,
                 backend: str | None = None) -> dict:
    """``{(j, C): weight vector (r,)}``: the linear SVM of every binary target j (``targets`` (n, m) 0/1) for
    every C of the grid, on the row-space coordinates ``train`` (n, r) with per-sample ``weights`` (n, m).

    ``solver='batched'`` solves them all together (:mod:`meau.handcrafted.solver`: the same objective as
    liblinear, solved to its optimum); ``'liblinear'`` fits each with ``LinearSVC`` (dual coordinate descent,
    ``tol`` 1e-3), ``n_jobs`` of them at a time in worker processes, with the serial fits' results.
    """
    from joblib import Parallel, delayed

    targets = np.asarray(targets).reshape(len(train), -1)
    weights = np.asarray(weights, dtype=np.float64).reshape(targets.shape)
    grid = sorted(c_grid)
    if solver == "batched":
        from .solver import SquaredHinge, solve_path

        path = solve_path(SquaredHinge(train), 2.0 * targets - 1, weights, grid)
        return {(j, C): path[C][:, j] for C in grid for j in range(targets.shape[1])}
    if solver != "liblinear":
        raise ValueError(f"solver {solver!r}: 'batched' or 'liblinear'")
    # the largest C first: they take the most iterations, so the workers finish together
    tasks = [(j, C) for C in reversed(grid) for j in range(targets.shape[1])]
    fitted = Parallel(n_jobs=n_jobs if len(tasks) > 1 else 1, backend=backend)(
        delayed(fit_linear_svc)(train, targets[:, j], C, None if np.all(weights[:, j] == 1) else weights[:, j], seed)
        for j, C in tasks)
    return {task: coef.ravel() for task, coef in zip(tasks, fitted)}


def fold_svms(features_train, labels_train, features_val, labels_val, features_test, *, c_grid=C_GRID,
              class_weight=None, seed=0, n_jobs: int = 1, backend: str | None = None, solver: str = SOLVER):
    """Scores on the test fold for every AU, the chosen C per AU and the validation F1 per C.

    Every (AU, C) problem is solved by ``solver`` (:func:`grid_weights`).

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
    space = RowSpace().fit(features_train)
    train, val, test = (space.transform(f) for f in (features_train, features_val, features_test))
    labels_train = np.asarray(labels_train).reshape(len(train), -1)
    labels_val = np.asarray(labels_val).reshape(len(val), -1)
    grid = sorted(c_grid)
    fitted = [j for j in range(labels_train.shape[1]) if len(np.unique(labels_train[:, j])) == 2]
    weights = np.column_stack([sample_weights(labels_train[:, j], class_weight) for j in fitted]) if fitted else None
    solved = grid_weights(train, labels_train[:, fitted], weights, grid, solver=solver, seed=seed, n_jobs=n_jobs,
                          backend=backend) if fitted else {}
    by_task = {(fitted[k], C): w for (k, C), w in solved.items()}
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
            f1 = binary_f1(labels_val[:, j], val @ by_task[j, C] > 0)
            f1_by_c[C] = float(f1)
            if best is None or f1 > best[1]:  # strict: ties keep the smaller C
                best = (C, f1)
        scores[:, j] = test @ by_task[j, best[0]]
        chosen.append(best[0])
        validation.append(f1_by_c)
    return scores, chosen, validation


def fold_classes(features_train, classes_train, features_val, classes_val, features_test, classes: int, *,
                 c_grid=C_GRID, class_weight=None, seed=0, n_jobs: int = 1, backend: str | None = None,
                 solver: str = SOLVER):
    """One-vs-rest linear SVMs for ``classes`` emotion classes (class indices ``classes_*``), one C for all
    classes chosen by the validation UF1 of the class of highest score (ties: the smaller C).

    With ``class_weight='balanced'`` every sample weighs n / (k n_class) for its own class (k classes present
    in training), in each of the one-vs-rest problems. A class without a training sample is never predicted
    (its score is -1e6).

    Returns
    -------
    scores : (n_test, classes) SVM decision values
    chosen : the chosen C
    validation : dict C -> validation UF1
    """
    space = RowSpace().fit(features_train)
    train, val, test = (space.transform(f) for f in (features_train, features_val, features_test))
    classes_train, classes_val = np.asarray(classes_train), np.asarray(classes_val)
    present = [k for k in range(classes) if np.any(classes_train == k)]
    targets = (classes_train[:, None] == np.asarray(present)[None, :]).astype(int)
    weights = np.repeat(sample_weights(classes_train, class_weight)[:, None], len(present), axis=1)
    if len(present) < 2:  # one class in training: it is the only answer
        scores = np.full((len(test), classes), -1e6)
        scores[:, present] = 1.0
        return scores, None, {}
    solved = grid_weights(train, targets, weights, c_grid, solver=solver, seed=seed, n_jobs=n_jobs, backend=backend)
    grid = sorted(c_grid)
    validation, best = {}, None
    for C in grid:
        weights_c = np.column_stack([solved[k, C] for k in range(len(present))])
        predicted = np.asarray(present)[(val @ weights_c).argmax(axis=1)] if len(val) else np.array([], int)
        validation[C] = unweighted_f1(classes_val, predicted, classes)
        if best is None or validation[C] > validation[best]:
            best = C
    scores = np.full((len(test), classes), -1e6)
    scores[:, present] = test @ np.column_stack([solved[k, best] for k in range(len(present))])
    return scores, best, validation


def final_classes(features, classes, n_classes: int, C: float, class_weight=None, seed: int = 0,
                  solver: str = SOLVER) -> dict:
    """``{k: linear_parts}``: the one-vs-rest SVM of every class present, trained on every sample with ``C``."""
    classes = np.asarray(classes)
    present = [k for k in range(n_classes) if np.any(classes == k)]
    targets = (classes[:, None] == np.asarray(present)[None, :]).astype(int)
    weights = sample_weights(classes, class_weight)
    if solver == "liblinear":
        return {k: linear_parts(make_svm(C, seed=seed).fit(features, targets[:, i],
                                                            linearsvc__sample_weight=weights))
                for i, k in enumerate(present)}
    from .solver import SquaredHinge

    space = RowSpace().fit(features)
    solution = SquaredHinge(space.transform(features)).solve(2.0 * targets - 1, C * weights[:, None] *
                                                              np.ones((1, len(present))))
    return {k: space.linear_parts(solution[:, i]) for i, k in enumerate(present)}
