"""A scikit-learn transformer over a list of clips, so descriptors drop into a ``Pipeline``."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class DescriptorTransformer(TransformerMixin, BaseEstimator):
    """Turn a list of grey clips ``(T, H, W)`` into a feature matrix.

    Parameters
    ----------
    descriptor : str
        A registered descriptor name (``lbptop``, ``lpqtop``, ``lbpsip``, ``hog3d`` or a plug-in).
    params : dict, optional
        Keyword parameters of the descriptor.
    n_jobs : int
        Parallel workers over clips (joblib).
    """

    def __init__(self, descriptor="lbptop", params=None, n_jobs=1):
        self.descriptor = descriptor
        self.params = params
        self.n_jobs = n_jobs

    def fit(self, clips, y=None):
        from .registry import get_descriptor

        get_descriptor(self.descriptor)  # fail early on an unknown name
        self.n_features_out_ = len(self.transform(clips[:1])[0]) if len(clips) else None
        return self

    def transform(self, clips):
        from joblib import Parallel, delayed

        from .registry import create_descriptor

        function = create_descriptor(self.descriptor, **(self.params or {}))
        rows = Parallel(n_jobs=self.n_jobs)(delayed(function)(clip) for clip in clips)
        return np.vstack(rows) if rows else np.empty((0, 0), np.float32)
