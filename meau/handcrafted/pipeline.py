"""The SVM methods on the shared experiment path: features -> one linear SVM per AU.

One class, :class:`SVMMethod`, holds a :class:`~meau.handcrafted.features.Features` object
(composition): the SVM protocol (C per AU on the validation fold, final models for ``predict``) is
the same for every kind of feature, and the features object is what ``predict`` rebuilds from the
saved ``model.json`` to describe a new clip. :class:`HandcraftedMethod`, :class:`FlowSVMMethod` and
:class:`MdmoMethod` only build their features and call ``SVMMethod.__init__``.

Features are extracted once per dataset, in parallel over clips (joblib), and cached on disk
keyed by the frame files' content, the preprocessing and the feature parameters, so a second
run only trains SVMs. A clip that cannot be described is listed in ``validation.csv`` and left out.
"""

from __future__ import annotations

import logging

import numpy as np

from ..experiment import FoldResult
from .features import (FEATURE_CACHE_VERSION, DescriptorFeatures, Features, FlowFeatures, MdmoFeatures,  # noqa: F401
                       extract_features)
from .svm import C_GRID, SOLVER, fold_svms

log = logging.getLogger(__name__)


class SVMMethod:
    """A :class:`Features` object + one linear SVM per AU, C tuned per AU on the validation fold."""

    def __init__(self, features: Features, *, n_jobs: int = 1, cache=None, class_weight: str | None = None,
                 c_grid=C_GRID, seed: int = 0, backend: str | None = None, solver: str = SOLVER):
        self.features = features
        self.name = features.label
        self.n_jobs = n_jobs
        self.cache = cache
        self.class_weight = class_weight
        self.c_grid = tuple(c_grid)
        self.seed = seed
        self.backend = backend
        self.solver = solver
        self._features = None
        self.parameters = {**features.parameters, "classifier": "StandardScaler + LinearSVC per AU",
                           "c_grid": list(self.c_grid), "class_weight": self.class_weight, "threshold": 0.0,
                           "solver": solver}

    def prepare(self, dataset):
        """Describe every sample once; those that cannot be described leave the dataset (listed in its
        problems as ``bad-clip``). Returns the dataset the folds are drawn from."""
        failures: dict[int, str] = {}
        matrix = self.features.describe(dataset, n_jobs=self.n_jobs, cache=self.cache, backend=self.backend,
                                            failures=failures)
        kept = dataset.without(failures, kind="bad-clip")
        self._features = (kept, np.delete(matrix, sorted(failures), axis=0))
        return kept

    def feature_matrix(self, dataset) -> np.ndarray:
        if self._features is None or self._features[0] is not dataset:
            matrix = self.features.describe(dataset, n_jobs=self.n_jobs, cache=self.cache, backend=self.backend)
            self._features = (dataset, matrix)
        return self._features[1]

    def run_fold(self, dataset, rotation, run) -> FoldResult:
        if dataset.target == "emotion":
            return self._emotion_fold(dataset, rotation, run)
        features = self.feature_matrix(dataset)
        labels = dataset.table[dataset.au_columns].to_numpy()
        scores, chosen, validation = fold_svms(
            features[rotation.train], labels[rotation.train], features[rotation.validation],
            labels[rotation.validation], features[rotation.test], c_grid=self.c_grid,
            class_weight=self.class_weight, seed=self.seed, n_jobs=self.n_jobs, backend=self.backend,
            solver=self.solver)
        chosen_by_au = dict(zip(dataset.au_columns, chosen))
        run.log(f"fold {rotation.fold}: C per AU {chosen_by_au}")
        validation_by_au = {column: {f"{c:g}": f for c, f in by_c.items()}
                            for column, by_c in zip(dataset.au_columns, validation)}
        self.features.write_extras(run, dataset)
        return FoldResult(scores, (scores > 0).astype(int), {"C": chosen_by_au, "validation_f1": validation_by_au},
                          kind="score")

    def _emotion_fold(self, dataset, rotation, run) -> FoldResult:
        """One-vs-rest SVMs over the classes, one C chosen by the validation UF1."""
        from ..tasks import emotion
        from .svm import fold_classes

        features = self.feature_matrix(dataset)
        classes = emotion.class_indices(dataset)
        scores, chosen, validation = fold_classes(
            features[rotation.train], classes[rotation.train], features[rotation.validation],
            classes[rotation.validation], features[rotation.test], len(dataset.classes), c_grid=self.c_grid,
            class_weight=self.class_weight, seed=self.seed, n_jobs=self.n_jobs, backend=self.backend,
            solver=self.solver)
        run.log(f"fold {rotation.fold}: C {chosen}")
        self.features.write_extras(run, dataset)
        return FoldResult(scores, emotion.decide(scores), {"C": chosen,
                                                           "validation_uf1": {f"{c:g}": f for c, f in validation.items()}},
                          kind="score")

    def finalize(self, dataset, run) -> None:
        """Train the run's final per-AU SVMs on every sample, for ``meau predict``.

        C per AU is the value chosen most often over the folds (ties: the smaller). ``AU_p`` of a
        prediction is a probability from a logistic (Platt) fit of the truth on the run's
        out-of-fold test scores, and the decision is ``AU_p >= AU_t`` with ``AU_t`` the probability
        of an SVM score of 0, so it is the SVM's own decision (score >= 0). Written as arrays
        (``model.npz``, read without pickle) and JSON (``model.json``): nothing in a run folder runs code.
        """
        import json
        from collections import Counter

        import pandas as pd

        from ..metrics import platt_calibration
        from ..outputs import write_json
        from .svm import final_svms, save_arrays

        folds = [json.loads(path.read_text()) for path in sorted((run.path / "folds").glob("fold_*.json"))]
        if dataset.target == "emotion":
            return self._finalize_emotion(dataset, run, folds)
        predictions = pd.read_csv(run.file("predictions.csv"))
        features = self.feature_matrix(dataset)
        labels = dataset.table[dataset.au_columns].to_numpy()
        arrays, calibration, chosen, thresholds = {}, {}, {}, {}
        for j, column in enumerate(dataset.au_columns):
            counts = Counter(fold["C"].get(column) for fold in folds if fold["C"].get(column) is not None)
            chosen[column] = None if not counts or len(np.unique(labels[:, j])) < 2 else \
                min(counts, key=lambda c: (-counts[c], c))
        fitted = {j: chosen[column] for j, column in enumerate(dataset.au_columns) if chosen[column] is not None}
        for j, parts in final_svms(features, labels, fitted, self.class_weight, self.seed, self.solver).items():
            arrays.update({f"{dataset.au_columns[j]}/{name}": value for name, value in parts.items()})
        for j, column in enumerate(dataset.au_columns):
            # the raw SVM scores (AU_score; a run of meau < 0.4 kept them in AU_p)
            raw = f"{column}_score" if f"{column}_score" in predictions else f"{column}_p"
            slope, intercept, thresholds[column] = platt_calibration(predictions[raw], predictions[column])
            calibration[column] = [slope, intercept]
        bundle = {"format": "meau-linear-svm", "version": 1, "kind": "handcrafted", "method": self.name,
                  **self.features.bundle(),
                  "au_columns": list(dataset.au_columns), "C": chosen, "calibration": calibration,
                  "thresholds": thresholds,
                  "rule": "AU_p = 1 / (1 + exp(-(a * score + b))) with (a, b) = calibration; AU_c = AU_p >= AU_t"}
        save_arrays(run.file("model.npz"), arrays)
        write_json(run.file("model.json"), bundle)
        run.log(f"final models written (C per AU {chosen})")


    def _finalize_emotion(self, dataset, run, folds) -> None:
        """The final one-vs-rest SVMs on every sample, with the C chosen most often over the folds (ties: the
        smaller), as arrays and JSON; ``predict`` decides the class of highest score and reports ``p_<class>``
        by the run's per-class Platt calibration, normalised."""
        from collections import Counter

        import pandas as pd

        from ..metrics import platt_calibration
        from ..outputs import write_json
        from ..tasks import emotion
        from .svm import final_classes, save_arrays

        counts = Counter(fold["C"] for fold in folds if fold.get("C") is not None)
        C = min(counts, key=lambda c: (-counts[c], c)) if counts else None
        arrays = {}
        if C is not None:
            parts = final_classes(self.feature_matrix(dataset), emotion.class_indices(dataset), len(dataset.classes),
                                  C, self.class_weight, self.seed, self.solver)
            arrays = {f"{dataset.classes[k]}/{name}": value for k, found in parts.items() for name, value in found.items()}
        predictions = pd.read_csv(run.file("predictions.csv"))
        calibration = {name: list(platt_calibration(predictions[f"score_{name}"], predictions["emotion"] == name)[:2])
                       for name in dataset.classes}
        bundle = {"format": "meau-linear-svm", "version": 1, "kind": "handcrafted", "method": self.name,
                  **self.features.bundle(), "target": "emotion", "classes": list(dataset.classes), "C": C,
                  "calibration": calibration,
                  "rule": "score_<class> per one-vs-rest SVM (a class without a model: -1e6); emotion = the class of "
                          "highest score; p_<class> = Platt(score) normalised over the classes"}
        save_arrays(run.file("model.npz"), arrays)
        write_json(run.file("model.json"), bundle)
        run.log(f"final models written (C {C})")


class HandcraftedMethod(SVMMethod):
    """A descriptor (LBP-TOP, LPQ-TOP, LBP-SIP, HOG3D or a plug-in) on TIM clips + linear SVMs."""

    def __init__(self, descriptor: str, *, params: dict | None = None, tim_frames: int = 10, size=(128, 128),
                 magnify: dict | None = None, **svm):
        super().__init__(DescriptorFeatures(descriptor, params=params, tim_frames=tim_frames, size=size,
                                            magnify=magnify), **svm)


class FlowSVMMethod(SVMMethod):
    """Onset -> apex optical flow (u, v, strain) on an S x S grid + one linear SVM per AU (MEB's flow + SVM)."""

    def __init__(self, spec=None, **svm):
        super().__init__(FlowFeatures(spec), **svm)


class MdmoMethod(SVMMethod):
    """MDMO over the 36 landmark regions + one linear SVM per AU (MEB's landmark baseline)."""

    def __init__(self, *, frame_size: int = 128, tim_frames: int = 0, flow: str = "farneback",
                 magnify: dict | None = None, head_motion: str = "affine", **svm):
        super().__init__(MdmoFeatures(frame_size=frame_size, tim_frames=tim_frames, flow=flow, magnify=magnify,
                                      head_motion=head_motion), **svm)
