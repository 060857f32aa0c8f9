"""Features for the SVM methods: one object per kind turns frames into one vector per sample.

The same object serves the run and ``meau predict``: ``describe`` makes the matrix of a dataset
(in parallel, cached by content and parameters), ``clip`` the vector of one new clip, and
``bundle``/``from_bundle`` save it in and restore it from the run's ``model.json`` (plain JSON, no
pickle). A clip that cannot be described (a frozen clip, one too short for the descriptor's
radius) is reported through ``failures`` and the others go on.

Kinds: ``descriptor`` (LBP-TOP, LPQ-TOP, LBP-SIP, HOG3D or a plug-in descriptor on TIM clips),
``flow`` (the onset -> apex flow image of :mod:`meau.flow`), ``mdmo`` (:mod:`meau.handcrafted.mdmo`
over the 36 landmark regions). A new kind is one class here, registered in :data:`FEATURES`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ClipError, MeauError
from ..parallel import run_guarded
from ..video import ClipCache, content_key, frames_digest
from .registry import create_descriptor, get_descriptor

FEATURE_CACHE_VERSION = 3  # 2: LPQ-TOP as the reference, LBP-TOP XT as scikit-image; 3: LPQ-TOP on every slice


def stack_rows(rows, what: str) -> np.ndarray:
    """The rows of the clips that were described as one float32 matrix; NaN rows where one failed."""
    found = [row for row in rows if row is not None]
    lengths = {len(row) for row in found}
    if len(lengths) > 1:
        raise ClipError(f"{what} returned vectors of different lengths {sorted(lengths)}")
    width = lengths.pop()
    return np.vstack([np.full(width, np.nan, np.float32) if row is None else np.asarray(row, np.float32)
                      for row in rows])


class Features:
    """What turns a sample's frames into one vector: see the module."""

    kind = ""

    @property
    def label(self) -> str:
        """The method's row label in tables (``LBP-TOP``, ``Flow 16x16+SVM`` …)."""
        raise NotImplementedError

    @property
    def parameters(self) -> dict:
        """Every setting, for the run's ``config.json``."""
        raise NotImplementedError

    def describe(self, dataset, *, n_jobs: int = 1, cache=None, backend=None, failures: dict | None = None):
        """``(n_samples, d)`` float32 for a dataset's samples (NaN rows for ``failures``)."""
        raise NotImplementedError

    def clip(self, frames: np.ndarray, name: str) -> np.ndarray:
        """The vector of one new clip (uint8 frames as read, grey or RGB), for ``meau predict``."""
        raise NotImplementedError

    def bundle(self) -> dict:
        """What ``model.json`` keeps to rebuild these features (``from_bundle``)."""
        raise NotImplementedError

    def write_extras(self, run, dataset) -> None:
        """Files a run keeps beside its predictions (the flow's ``apex.csv``); none by default."""


# -- descriptors on TIM clips -------------------------------------------------------------------------
def _describe_clip(paths, descriptor, params, clip_params, cache_folder):
    from ..outputs import cached_array

    cache = Path(cache_folder) if cache_folder else None
    digest = path = None
    if cache is not None:
        digest = frames_digest(paths)
        key = content_key(paths, {"clip": clip_params, "descriptor": descriptor, "params": params,
                                  "v": FEATURE_CACHE_VERSION}, digest=digest)
        path = cache / "features" / descriptor / f"{key}.npy"

    def compute():
        clip = ClipCache(cache).load(paths, digest=digest, **clip_params)
        return _checked(create_descriptor(descriptor, **params), clip, descriptor, str(Path(paths[0]).parent))

    return cached_array(path, compute)


def _checked(function, clip, descriptor, name) -> np.ndarray:
    try:
        features = np.asarray(function(clip), dtype=np.float32)
    except ClipError as error:
        raise ClipError(f"{name}: {error}") from None
    if features.ndim != 1 or not np.isfinite(features).all():
        raise ClipError(f"{name}: descriptor {descriptor!r} returned {features.shape} values or non-finite numbers")
    return features


def extract_features(frame_lists, descriptor: str, params: dict | None = None, *, clip_params: dict | None = None,
                     n_jobs: int = 1, cache=None, backend: str | None = None, progress: bool | None = None,
                     failures: dict | None = None) -> np.ndarray:
    """Feature matrix ``(n_clips, d)`` for lists of frame files, in parallel and cached.

    ``failures``: a dict that collects {index: message} of the clips that cannot be described (their
    rows are NaN); without it the first such clip raises.
    """
    params = params or {}
    clip_params = clip_params or {"size": (128, 128), "tim_frames": 10}
    get_descriptor(descriptor)
    rows = run_guarded(_describe_clip, ([[str(p) for p in paths], descriptor, params, clip_params,
                                         str(cache) if cache else None] for paths in frame_lists),
                       n_jobs=n_jobs, backend=backend, progress=progress, what=f"{descriptor} features",
                       failures=failures)
    return stack_rows(rows, f"descriptor {descriptor!r}")


def _tuples(values: dict) -> dict:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}


class DescriptorFeatures(Features):
    """A registered descriptor on grey clips resized to ``size`` (magnified) and interpolated by TIM."""

    kind = "descriptor"

    def __init__(self, descriptor: str, *, params: dict | None = None, tim_frames: int = 10, size=(128, 128),
                 magnify: dict | None = None):
        self.spec = get_descriptor(descriptor)
        self.descriptor = descriptor
        self.params = dict(params or {})
        from ..magnify import recorded

        self.clip_params = {"size": tuple(size), "tim_frames": tim_frames}
        if recorded(magnify):  # only when on: feature caches of unmagnified runs keep their keys
            self.clip_params["magnify"] = recorded(magnify)

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def parameters(self) -> dict:
        return {"descriptor": self.descriptor, "descriptor_params": {**self.spec.defaults, **self.params},
                "preprocessing": {"grey": "ITU-R 601 luma", "size": list(self.clip_params["size"]),
                                  "tim_frames": self.clip_params["tim_frames"],
                                  "magnify": self.clip_params.get("magnify")}}

    def describe(self, dataset, *, n_jobs=1, cache=None, backend=None, failures=None):
        return extract_features(list(dataset.table["frames"]), self.descriptor, self.params,
                                clip_params=self.clip_params, n_jobs=n_jobs, cache=cache, backend=backend,
                                failures=failures)

    def clip(self, frames, name):
        from ..video import preprocess, to_grey

        grey = np.clip(np.rint(to_grey(frames)), 0, 255).astype(np.uint8) if frames.ndim == 4 else frames
        clip = preprocess(grey, name=name, **self.clip_params)
        return _checked(create_descriptor(self.descriptor, **self.params), clip, self.descriptor, name)

    def bundle(self) -> dict:
        return {"features": self.kind, "descriptor": self.descriptor, "params": self.params,
                "clip_params": self.clip_params}

    @classmethod
    def from_bundle(cls, meta: dict) -> "DescriptorFeatures":
        clip_params = _tuples(meta["clip_params"])
        return cls(meta["descriptor"], params=_tuples(meta["params"]), tim_frames=clip_params["tim_frames"],
                   size=clip_params["size"], magnify=clip_params.get("magnify"))


# -- onset -> apex optical flow ---------------------------------------------------------------------
class FlowFeatures(Features):
    """The flattened onset -> apex flow image (u, v, strain on an S x S grid) of :mod:`meau.flow`; the
    apex used for every sample is written to the run folder (``apex.csv``)."""

    kind = "flow"

    def __init__(self, spec=None):
        from ..flow import FlowSpec

        self.spec = (spec or FlowSpec()).check()
        self.apex_used = None

    @property
    def label(self) -> str:
        return f"Flow {self.spec.size}x{self.spec.size}+SVM"

    @property
    def parameters(self) -> dict:
        return {"descriptor": "flow", "flow": self.spec.as_dict()}

    def describe(self, dataset, *, n_jobs=1, cache=None, backend=None, failures=None):
        from ..flow import flow_images

        images, self.apex_used = flow_images(dataset.table, self.spec, cache=cache, n_jobs=n_jobs, failures=failures)
        return images.reshape(len(images), -1)

    def clip(self, frames, name):
        from ..flow import FlowSpec, sample_flow

        spec = FlowSpec.from_dict({**self.spec.as_dict(), "apex": "estimate"})  # a new clip has no coded apex
        return sample_flow(frames, None, spec, name)[0].reshape(-1)

    def bundle(self) -> dict:
        return {"features": self.kind, "descriptor": "flow", "flow": self.spec.as_dict()}

    @classmethod
    def from_bundle(cls, meta: dict) -> "FlowFeatures":
        from ..flow import FlowSpec

        return cls(FlowSpec.from_dict(meta["flow"]))

    def write_extras(self, run, dataset) -> None:
        from ..databases import sample_keys
        from ..flow import write_apex_used

        if self.apex_used is not None:
            keep = set(sample_keys(dataset.table))
            used = self.apex_used[[key in keep for key in sample_keys(self.apex_used)]]
            write_apex_used(run, used.reset_index(drop=True))


# -- MDMO over the 36 landmark regions -----------------------------------------------------------------
def _mdmo_clip(paths, points, frame_size, tim_frames, method, cache_folder, magnify=None, head_motion="none"):
    from ..outputs import cached_array
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


class MdmoFeatures(Features):
    """MDMO (72 values) from the 68 points of each sample's first frame: from the ``landmarks.csv``
    that ``meau crop`` or ``meau synth`` wrote at the database root, else detected (dlib) and cached."""

    kind = "mdmo"

    def __init__(self, *, frame_size: int = 128, tim_frames: int = 0, flow: str = "farneback",
                 magnify: dict | None = None, head_motion: str = "affine"):
        from ..magnify import recorded

        self.settings = {"frame_size": frame_size, "tim_frames": tim_frames, "flow": flow, "head_motion": head_motion}
        if recorded(magnify):
            self.settings["magnify"] = recorded(magnify)

    @property
    def label(self) -> str:
        return "MDMO+SVM"

    @property
    def parameters(self) -> dict:
        return {"descriptor": "mdmo", "mdmo": dict(self.settings)}

    def describe(self, dataset, *, n_jobs=1, cache=None, backend=None, failures=None):
        from .mdmo import dataset_landmarks

        landmarks = dataset_landmarks(dataset.table, cache=cache)
        settings = self.settings
        rows = run_guarded(_mdmo_clip, ([[str(p) for p in paths], points, settings["frame_size"],
                                         settings["tim_frames"], settings["flow"], str(cache) if cache else None,
                                         settings.get("magnify"), settings["head_motion"]]
                                        for paths, points in zip(dataset.table["frames"], landmarks)),
                           n_jobs=n_jobs, backend=backend, what="MDMO", failures=failures)
        return stack_rows(rows, "MDMO")

    def clip(self, frames, name):
        """MDMO of a new clip: landmarks detected on its first frame (dlib), scaled with the frames."""
        from ..faces import find_face
        from ..video import preprocess, to_grey
        from .mdmo import mdmo

        face = find_face(frames[0])
        if face is None:
            raise MeauError(f"{name}: no face found on the first frame for MDMO's landmarks")
        grey = np.clip(np.rint(to_grey(frames)), 0, 255).astype(np.uint8) if frames.ndim == 4 else frames
        size = self.settings["frame_size"]
        clip = preprocess(grey, size=(size, size), tim_frames=self.settings["tim_frames"] or None, name=name,
                          magnify=self.settings.get("magnify"))
        points = face.points * np.array([size / grey.shape[2], size / grey.shape[1]])
        return mdmo(clip, points, method=self.settings["flow"], head_motion=self.settings.get("head_motion", "none"))

    def bundle(self) -> dict:
        return {"features": self.kind, "descriptor": "mdmo", "mdmo": dict(self.settings)}

    @classmethod
    def from_bundle(cls, meta: dict) -> "MdmoFeatures":
        settings = dict(meta["mdmo"])
        return cls(frame_size=settings["frame_size"], tim_frames=settings["tim_frames"], flow=settings["flow"],
                   magnify=settings.get("magnify"), head_motion=settings.get("head_motion", "none"))


FEATURES = {kind.kind: kind for kind in (DescriptorFeatures, FlowFeatures, MdmoFeatures)}


def features_from_bundle(meta: dict) -> Features:
    """The features a run's ``model.json`` describes (runs of meau < 0.4 read the same)."""
    kind = meta.get("features", "descriptor")
    if kind not in FEATURES:
        raise MeauError(f"model.json: unknown feature kind {kind!r} (known: {', '.join(FEATURES)})")
    return FEATURES[kind].from_bundle(meta)
