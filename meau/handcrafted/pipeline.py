"""Handcrafted method for the shared experiment path: clips -> descriptor -> per-AU linear SVMs.

Features are extracted once per dataset, in parallel over clips (joblib), and cached on disk
keyed by the frame files' content, the preprocessing and the descriptor parameters, so a second
run only trains SVMs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from ..experiment import FoldResult
from ..video import ClipCache, content_key, frames_digest
from .registry import get_descriptor
from .svm import C_GRID, fold_svms

log = logging.getLogger(__name__)
FEATURE_CACHE_VERSION = 3  # 2: LPQ-TOP as the reference, LBP-TOP XT as scikit-image; 3: LPQ-TOP on every slice


def _extract_one(paths, descriptor, params, clip_params, cache_folder):
    from ..errors import ClipError
    from ..runs import cached_array
    from .registry import create_descriptor

    cache = Path(cache_folder) if cache_folder else None
    digest = path = None
    if cache is not None:
        digest = frames_digest(paths)
        key = content_key(paths, {"clip": clip_params, "descriptor": descriptor, "params": params,
                                  "v": FEATURE_CACHE_VERSION}, digest=digest)
        path = cache / "features" / descriptor / f"{key}.npy"

    def compute():
        clip = ClipCache(cache).load(paths, digest=digest, **clip_params)
        try:
            features = np.asarray(create_descriptor(descriptor, **params)(clip), dtype=np.float32)
        except ClipError as error:
            raise ClipError(f"{Path(paths[0]).parent}: {error}") from None
        if features.ndim != 1 or not np.isfinite(features).all():
            raise ClipError(f"{Path(paths[0]).parent}: descriptor {descriptor!r} returned {features.shape} "
                            "values or non-finite numbers")
        return features

    return cached_array(path, compute)


def extract_features(frame_lists, descriptor: str, params: dict | None = None, *, clip_params: dict | None = None,
                     n_jobs: int = 1, cache=None, backend: str | None = None, progress: bool | None = None) -> np.ndarray:
    """Feature matrix ``(n_clips, d)`` for lists of frame files, in parallel and cached."""
    from joblib import Parallel, delayed

    params = params or {}
    clip_params = clip_params or {"size": (128, 128), "tim_frames": 10}
    get_descriptor(descriptor)
    jobs = (delayed(_extract_one)([str(p) for p in paths], descriptor, params, clip_params,
                                  str(cache) if cache else None) for paths in frame_lists)
    parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
    results = parallel(jobs)
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=len(frame_lists), desc=f"{descriptor} features", unit="clip")
    rows = list(results)
    lengths = {len(row) for row in rows}
    if len(lengths) > 1:
        from ..errors import ClipError

        raise ClipError(f"descriptor {descriptor!r} returned vectors of different lengths {sorted(lengths)}")
    return np.vstack(rows)


class HandcraftedMethod:
    """A descriptor + one linear SVM per AU, C tuned per AU on the validation fold."""

    def __init__(self, descriptor: str, *, params: dict | None = None, tim_frames: int = 10, size=(128, 128),
                 n_jobs: int = 1, cache=None, class_weight: str | None = None, c_grid=C_GRID, seed: int = 0,
                 backend: str | None = None, magnify: dict | None = None):
        spec = get_descriptor(descriptor)
        self.descriptor = descriptor
        self.name = spec.label
        self.params = dict(params or {})
        self.clip_params = {"size": tuple(size), "tim_frames": tim_frames}
        if magnify:  # only when on: feature caches of unmagnified runs keep their keys
            self.clip_params["magnify"] = dict(magnify)
        self._init_svm(n_jobs, cache, class_weight, c_grid, seed, backend)
        self.parameters = {"descriptor": descriptor, "descriptor_params": {**spec.defaults, **self.params},
                           "preprocessing": {"grey": "ITU-R 601 luma", "size": list(size), "tim_frames": tim_frames,
                                             "magnify": dict(magnify) if magnify else None},
                           **self._svm_parameters()}

    def _init_svm(self, n_jobs, cache, class_weight, c_grid, seed, backend) -> None:
        """The settings every SVM method shares (parallel extraction, cache, classifier)."""
        self.n_jobs = n_jobs
        self.cache = cache
        self.class_weight = class_weight
        self.c_grid = tuple(c_grid)
        self.seed = seed
        self.backend = backend
        self._features = None

    def _svm_parameters(self) -> dict:
        return {"classifier": "StandardScaler + LinearSVC per AU", "c_grid": list(self.c_grid),
                "class_weight": self.class_weight, "threshold": 0.0}

    def features(self, dataset) -> np.ndarray:
        if self._features is None or self._features[0] is not dataset:
            matrix = extract_features(list(dataset.table["frames"]), self.descriptor, self.params,
                                      clip_params=self.clip_params, n_jobs=self.n_jobs, cache=self.cache,
                                      backend=self.backend)
            self._features = (dataset, matrix)
        return self._features[1]

    def run_fold(self, dataset, rotation, run) -> FoldResult:
        features = self.features(dataset)
        labels = dataset.table[dataset.au_columns].to_numpy()
        scores, chosen, validation = fold_svms(
            features[rotation.train], labels[rotation.train], features[rotation.validation],
            labels[rotation.validation], features[rotation.test], c_grid=self.c_grid,
            class_weight=self.class_weight, seed=self.seed)
        chosen_by_au = dict(zip(dataset.au_columns, chosen))
        run.log(f"fold {rotation.fold}: C per AU {chosen_by_au}")
        validation_by_au = {column: {f"{c:g}": f for c, f in by_c.items()}
                            for column, by_c in zip(dataset.au_columns, validation)}
        return FoldResult(scores, (scores > 0).astype(int), {"C": chosen_by_au, "validation_f1": validation_by_au})

    def final_bundle(self) -> dict:
        """What ``predict`` needs, beyond the SVMs, to turn a new clip into features."""
        return {"features": "descriptor"}

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
        from sklearn.linear_model import LogisticRegression

        from ..runs import write_json
        from .svm import linear_parts, make_svm, save_arrays

        folds = [json.loads(path.read_text()) for path in sorted((run.path / "folds").glob("fold_*.json"))]
        predictions = pd.read_csv(run.file("predictions.csv"))
        features = self.features(dataset)
        labels = dataset.table[dataset.au_columns].to_numpy()
        arrays, calibration, chosen, thresholds = {}, {}, {}, {}
        for j, column in enumerate(dataset.au_columns):
            counts = Counter(fold["C"].get(column) for fold in folds if fold["C"].get(column) is not None)
            if not counts or len(np.unique(labels[:, j])) < 2:
                chosen[column] = None
            else:
                C = min(counts, key=lambda c: (-counts[c], c))
                chosen[column] = C
                model = make_svm(C, self.class_weight, self.seed).fit(features, labels[:, j])
                arrays.update({f"{column}/{name}": value for name, value in linear_parts(model).items()})
            scores, truth = predictions[[f"{column}_p"]].to_numpy(), predictions[column].to_numpy()
            slope = 0.0
            if len(np.unique(truth)) == 2:
                platt = LogisticRegression().fit(scores, truth)
                slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
            if slope <= 0:  # out-of-fold scores say nothing (or the opposite): the prevalence, decision "absent"
                slope, intercept = 0.0, float(np.log((truth.mean() + 1e-6) / (1 - truth.mean() + 1e-6)))
                thresholds[column] = 1.0
            else:
                thresholds[column] = float(1 / (1 + np.exp(-intercept)))
            calibration[column] = [slope, intercept]
        bundle = {"format": "meau-linear-svm", "version": 1, "kind": "handcrafted", "method": self.name,
                  **self.final_bundle(), "descriptor": self.descriptor, "params": self.params,
                  "clip_params": self.clip_params,
                  "au_columns": list(dataset.au_columns), "C": chosen, "calibration": calibration,
                  "thresholds": thresholds,
                  "rule": "AU_p = 1 / (1 + exp(-(a * score + b))) with (a, b) = calibration; AU_c = AU_p >= AU_t"}
        save_arrays(run.file("model.npz"), arrays)
        write_json(run.file("model.json"), bundle)
        run.log(f"final models written (C per AU {chosen})")


class FlowSVMMethod(HandcraftedMethod):
    """Onset -> apex optical flow (u, v, strain) on an S x S grid + one linear SVM per AU (MEB's flow + SVM).

    The same SVM path as the descriptors (C per AU on validation, final models for ``predict``);
    the features are the flattened flow image (:mod:`meau.flow`), and the apex used for every
    sample is written to the run folder (``apex.csv``).
    """

    def __init__(self, spec=None, *, n_jobs: int = 1, cache=None, class_weight: str | None = None, c_grid=C_GRID,
                 seed: int = 0, backend: str | None = None):
        from ..flow import FlowSpec

        self.spec = (spec or FlowSpec()).check()
        self.descriptor = "flow"
        self.name = f"Flow {self.spec.size}x{self.spec.size}+SVM"
        self.params = {}
        self.clip_params = {}
        self._init_svm(n_jobs, cache, class_weight, c_grid, seed, backend)
        self.parameters = {"descriptor": "flow", "flow": self.spec.as_dict(), **self._svm_parameters()}
        self.apex_used = None

    def features(self, dataset) -> np.ndarray:
        if self._features is None or self._features[0] is not dataset:
            from ..flow import flow_images

            images, self.apex_used = flow_images(dataset.table, self.spec, cache=self.cache, n_jobs=self.n_jobs)
            self._features = (dataset, images.reshape(len(images), -1))
        return self._features[1]

    def run_fold(self, dataset, rotation, run) -> FoldResult:
        from ..flow import write_apex_used

        result = super().run_fold(dataset, rotation, run)
        write_apex_used(run, self.apex_used)
        return result

    def final_bundle(self) -> dict:
        return {"features": "flow", "flow": self.spec.as_dict()}


def _mdmo_one(paths, points, frame_size, tim_frames, method, cache_folder, magnify=None, head_motion="none"):
    from ..errors import ClipError
    from ..runs import cached_array
    from ..video import frame_header, read_image
    from .mdmo import mdmo

    cache = Path(cache_folder) if cache_folder else None
    parameters = {"mdmo": 1, "frame_size": frame_size, "tim_frames": tim_frames, "flow": method, "head": head_motion,
                  "points": np.round(np.asarray(points, dtype=np.float64), 3).tolist()}
    extra = {"magnify": dict(magnify)} if magnify else {}
    parameters.update(extra)
    path = cache / "features" / "mdmo" / f"{content_key(paths, parameters)}.npy" if cache is not None else None

    def compute():
        size, _ = frame_header(paths[0])  # the points are in the stored frames' pixels
        height, width = size if size is not None else read_image(paths[0]).shape[:2]
        clip = ClipCache(cache).load(paths, size=(frame_size, frame_size), tim_frames=tim_frames or None, **extra)
        scaled = np.asarray(points, dtype=np.float64) * np.array([frame_size / width, frame_size / height])
        try:
            return mdmo(clip, scaled, method=method, head_motion=head_motion)
        except ClipError as error:
            raise ClipError(f"{Path(paths[0]).parent}: {error}") from None

    return cached_array(path, compute)


class MdmoMethod(HandcraftedMethod):
    """MDMO over the 36 landmark regions + one linear SVM per AU (MEB's landmark baseline).

    The landmarks of each sample's first frame come from the ``landmarks.csv`` that ``meau crop``
    (or ``meau synth``) wrote at the database root, else they are detected (dlib) and cached.
    """

    def __init__(self, *, frame_size: int = 128, tim_frames: int = 0, flow: str = "farneback", n_jobs: int = 1,
                 cache=None, class_weight: str | None = None, c_grid=C_GRID, seed: int = 0, backend: str | None = None,
                 magnify: dict | None = None, head_motion: str = "affine"):
        self.descriptor = "mdmo"
        self.name = "MDMO+SVM"
        self.params = {"frame_size": frame_size, "tim_frames": tim_frames, "flow": flow, "head_motion": head_motion}
        if magnify:
            self.params["magnify"] = dict(magnify)
        self.clip_params = {}
        self._init_svm(n_jobs, cache, class_weight, c_grid, seed, backend)
        self.parameters = {"descriptor": "mdmo", "mdmo": dict(self.params), **self._svm_parameters()}

    def features(self, dataset) -> np.ndarray:
        if self._features is None or self._features[0] is not dataset:
            from joblib import Parallel, delayed

            from .mdmo import dataset_landmarks

            landmarks = dataset_landmarks(dataset.table, cache=self.cache)
            jobs = (delayed(_mdmo_one)([str(p) for p in paths], points, self.params["frame_size"],
                                       self.params["tim_frames"], self.params["flow"],
                                       str(self.cache) if self.cache else None, self.params.get("magnify"),
                                       self.params["head_motion"])
                    for paths, points in zip(dataset.table["frames"], landmarks))
            rows = Parallel(n_jobs=self.n_jobs, backend=self.backend)(jobs)
            self._features = (dataset, np.vstack(rows))
        return self._features[1]

    def final_bundle(self) -> dict:
        return {"features": "mdmo", "mdmo": dict(self.params)}
