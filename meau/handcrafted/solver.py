"""Many L2-regularised squared-hinge linear SVMs on one design matrix, solved together.

Every linear SVM of a fold (one per AU or emotion class, for each C of the grid) is the problem that
liblinear's ``LinearSVC(loss="squared_hinge", penalty="l2", fit_intercept=False)`` solves,

    minimise  f_p(w) = 1/2 |w|^2 + sum_i c_ip * max(0, 1 - y_ip * x_i . w)^2,

with ``c_ip = C_p * (weight of sample i)``. The intercept is handled as liblinear handles it: the caller
appends a constant feature 1, and its weight is penalised like the others (``intercept_scaling=1``).

The problems share X, so they are solved together by the finite Newton method (Keerthi and DeCoste, JMLR
2005). f_p is convex and piecewise quadratic; its generalised Hessian is ``I + 2 X_A^T C_A X_A`` with A the
samples inside the margin. The margins and gradients of every problem are two matrix products; each Newton
system is solved exactly, in the smaller of two forms: over the r features, or, by the Woodbury identity,
over the |A| samples inside the margin using the Gram matrix X X^T computed once for the fold (at the
larger C only a few dozen samples are inside). The step length is exact (the derivative along the
direction is increasing and piecewise linear). Once the set A stops changing, the Newton step lands on the
optimum, so the result is the minimiser to the tolerance, not an early-stopped approximation, and a few
iterations suffice where liblinear's dual coordinate descent needs thousands of sweeps at large C.

``solve_path`` solves one problem per target for each C of a grid, the C in increasing order, each
starting from the solution at the previous C (warm start).

References
----------
S. S. Keerthi, D. DeCoste. A modified finite Newton method for fast solution of large scale linear SVMs.
JMLR 6, 341-361, 2005.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve

# A problem is solved when |grad f_p(w)| <= TOLERANCE * max(|w|, 1) (both terms of the gradient are of the
# size of w at the optimum). benchmarks/solver.py measures what it leaves: see the README's solver figures.
TOLERANCE = 1e-9
MAX_NEWTON = 100
_CONTROLLER = []


def _one_blas_thread():
    """BLAS on one thread while the problems are solved: measured faster at these sizes (a fold of the
    six-database LODO: 1.3 s against 2.6 s on two threads; Newton systems solved in two Python threads instead
    took 1.5 s), and the result then does not depend on the machine's thread count. The library scan is done
    once (it reads the process's memory map)."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def squared_hinge_objective(weights, features, signs, costs) -> np.ndarray:
    """``f_p`` of every column of ``weights`` (r, P): features (n, r), signs (n, P) of +-1, costs (n, P)."""
    margins = np.asarray(signs) * (features @ weights)
    hinge = np.maximum(0.0, 1.0 - margins)
    return 0.5 * np.einsum("rp,rp->p", weights, weights) + np.einsum("np,np->p", costs, hinge * hinge)


class SquaredHinge:
    """The shared design matrix of a fold's problems: ``features`` (n, r), the caller's bias column included.

    The problems are solved in the basis of X^T X's eigenvectors (``V``), where X^T X is diagonal; weights
    are rotated back on return. There, every Newton system is a diagonal matrix plus a low-rank term (see
    :meth:`_newton`), solved over the fewest samples.
    """

    def __init__(self, features):
        features = np.asarray(features, dtype=np.float64)
        gram = features.T @ features
        diagonal = np.diag(gram).copy()
        if np.abs(gram - np.diag(diagonal)).max(initial=0.0) <= 1e-12 * diagonal.max(initial=0.0):
            self.basis = None  # the columns are orthogonal already (RowSpace coordinates)
            self.features, self.squares = np.ascontiguousarray(features), diagonal
        else:
            eigenvalues, self.basis = np.linalg.eigh(gram)
            self.features = np.ascontiguousarray(features @ self.basis)   # X V: columns orthogonal
            self.squares = np.maximum(eigenvalues, 0.0)                    # diag(V^T X^T X V)
        self._grams: dict[float, np.ndarray] = {}

    def _rotate(self, weights):
        return weights.copy() if self.basis is None else self.basis.T @ weights

    def gram(self, base: float) -> np.ndarray:
        """``X G^{-1} X^T`` (n, n) with ``G = I + 2 base X^T X``, computed once per value of ``base``."""
        if base not in self._grams:
            if len(self._grams) > 8:
                self._grams.clear()
            self._grams[base] = (self.features / (1 + 2 * base * self.squares)) @ self.features.T
        return self._grams[base]

    def solve(self, signs, costs, *, warm=None, tolerance: float = TOLERANCE, max_newton: int = MAX_NEWTON):
        """The minimisers (r, P) of P problems.

        Parameters
        ----------
        signs : array (n, P) of -1/+1
        costs : float array (n, P) or (P,): C per sample and problem (C times the sample's weight), or per problem
        warm : float array (r, P), optional: starting weights
        tolerance : a problem is solved when |grad f_p| <= tolerance * max(|w_p|, 1)
        """
        X = self.features
        n, r = X.shape
        signs = np.asarray(signs, dtype=np.float64)
        if signs.ndim != 2 or signs.shape[0] != n:
            raise ValueError(f"signs: expected ({n}, P), got {signs.shape}")
        problems = signs.shape[1]
        costs = np.asarray(costs, dtype=np.float64)
        costs = np.broadcast_to(costs, (n, problems)) if costs.ndim == 1 else costs
        if costs.shape != signs.shape or (costs < 0).any():
            raise ValueError(f"costs: expected non-negative ({n}, {problems}) or ({problems},), got {costs.shape}")
        weights = np.zeros((r, problems)) if warm is None else self._rotate(np.asarray(warm, dtype=np.float64))
        with _one_blas_thread():
            weights = self._minimise(weights, signs, costs, tolerance, max_newton)
        return weights if self.basis is None else self.basis @ weights

    def _minimise(self, weights, signs, costs, tolerance, max_newton):
        X = self.features
        open_ = np.arange(weights.shape[1])
        for _ in range(max_newton):
            if not len(open_):
                break
            w, y, c = weights[:, open_], signs[:, open_], costs[:, open_]
            margins = y * (X @ w)
            inside = c * (margins < 1)
            gradient = w - 2 * X.T @ (inside * y * (1 - margins))
            keep = np.linalg.norm(gradient, axis=0) > tolerance * np.maximum(np.linalg.norm(w, axis=0), 1.0)
            if not keep.any():
                break
            open_, w, y, c, margins, inside, gradient = (
                open_[keep], w[:, keep], y[:, keep], c[:, keep], margins[:, keep], inside[:, keep], gradient[:, keep])
            direction = np.column_stack([self._newton(inside[:, k], gradient[:, k]) for k in range(len(open_))])
            weights[:, open_] = w + _exact_step(X, w, direction, y, c, margins) * direction
        return weights

    def _newton(self, inside, gradient) -> np.ndarray:
        """``-H^{-1} gradient`` with ``H = I + 2 X^T diag(inside) X`` (``inside``: each sample's cost if it is
        inside the margin, else 0).

        With c0 the most frequent value of ``inside`` (0, or C for most samples at small C), ``H = G + X_R^T
        diag(2 (inside_R - c0)) X_R`` where G = I + 2 c0 X^T X is diagonal in this basis and R holds the other
        samples; by the Woodbury identity the solve is over |R| samples only.
        """
        X = self.features
        base = _most_frequent(inside)
        samples = np.flatnonzero(inside != base)
        diagonal = 1 + 2 * base * self.squares
        step = gradient / diagonal
        if not len(samples):
            return -step
        part = X[samples]
        if len(samples) >= X.shape[1]:  # no saving: the r x r system itself
            hessian = 2 * (part.T * (inside[samples] - base)) @ part
            hessian[np.diag_indices_from(hessian)] += diagonal
            return -solve(hessian, gradient, assume_a="pos", check_finite=False)
        system = self.gram(base)[np.ix_(samples, samples)]
        system[np.diag_indices_from(system)] += 1 / (2 * (inside[samples] - base))
        kind = "pos" if base == 0 else "sym"  # with base > 0 some of the added terms are negative
        return -step + (part.T @ solve(system, part @ step, assume_a=kind, check_finite=False)) / diagonal


def _most_frequent(values) -> float:
    found, counts = np.unique(values, return_counts=True)
    return float(found[np.argmax(counts)])


def solve_path(problem: SquaredHinge, signs, sample_costs, c_grid, *, tolerance: float = TOLERANCE) -> dict:
    """``{C: weights (r, m)}``: the m problems ``signs`` (n, m) with costs ``C * sample_costs`` (n, m) for
    every C of ``c_grid``, in increasing C, each warm-started from the previous C's solution."""
    solutions, warm = {}, None
    for C in sorted(c_grid):
        warm = solutions[C] = problem.solve(signs, C * np.asarray(sample_costs, dtype=np.float64), warm=warm,
                                            tolerance=tolerance)
    return solutions


def _exact_step(X, weights, direction, signs, costs, margins, iterations: int = 50) -> np.ndarray:
    """Per column, the t > 0 minimising f_p(w_p + t d_p): a Newton search on the derivative (increasing and
    piecewise linear, so it ends on the root) inside a bracket that is halved when a step leaves it."""
    slope = signs * (X @ direction)                                 # d margin / d t
    wd = np.einsum("rp,rp->p", weights, direction)
    dd = np.einsum("rp,rp->p", direction, direction)
    low, high, t = np.zeros(len(wd)), np.full(len(wd), np.inf), np.ones(len(wd))
    for _ in range(iterations):
        gap = 1 - margins - t * slope
        on = gap > 0
        first = wd + t * dd - 2 * np.einsum("np,np->p", costs * slope, np.where(on, gap, 0.0))
        second = dd + 2 * np.einsum("np,np->p", costs * slope * slope, on)
        if np.all(np.abs(first) <= 1e-13 * (np.abs(wd) + dd * t + 1e-300)):
            break
        low = np.where(first < 0, t, low)
        high = np.where(first > 0, t, high)
        candidate = t - first / np.maximum(second, 1e-300)
        outside = (candidate <= low) | (candidate >= high)
        t = np.where(outside, np.where(np.isfinite(high), (low + high) / 2, 2 * t), candidate)
    return t
