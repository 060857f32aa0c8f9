"""Onset -> apex optical flow, optical strain and flow images: the input of the flow family (MEB's strongest).

A sample's flow image: grey frames as the handcrafted path reads them (ITU-R 601 luma, resized),
dense optical flow (u, v) from the onset frame to the apex frame in pixels of the resized frame,
optical strain from its Sobel derivatives, each channel resized to S x S and min-max normalised to
[0, 1] per sample. The apex comes from the sheet; where the sheet has none (``/``, unknown after a
fix, or equal to the onset) or with ``apex='estimate'``, it is the frame whose flow from the onset
has the largest mean magnitude. Which one was used is returned per sample, never silently.

Flow methods (``method``): ``farneback`` (default, OpenCV) or ``tvl1`` (Zach, Pock, Bischof 2007, the
field's usual choice, from OpenCV's contrib build, which meau installs). Measured: on textures
shifted by known sub-pixel displacements TV-L1 is the more accurate (0.002 against 0.027 px mean
error, ``benchmarks/flow.py``), but on the synthetic database the local AU motions give better
results with Farneback (flow + SVM 0.820 against 0.788 average F1, SSSNet 0.897 against 0.847),
which is also 30 times faster; hence the default. The apex search, which needs a flow per frame,
always uses Farneback. The onset -> apex flow field is cached by content and parameters, so
flow images of several sizes (the SVM's 16, SSSNet's 64) share one flow computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ClipError, MeauError

FLOW_METHODS = ("farneback", "tvl1")
CHANNELS = ("u", "v", "strain")


@dataclass(frozen=True)
class FlowSpec:
    """How a sample becomes a flow image; saved with every flow run, so prediction does the same."""

    size: int = 16  # S: the flow image is C x S x S (MEB uses 32 for the SVM; 16 measured better, see README)
    frame_size: int = 128  # frames resized to frame_size x frame_size before the flow
    method: str = "farneback"
    channels: tuple = CHANNELS
    apex: str = "sheet"  # 'sheet' (estimated where the sheet has none) or 'estimate'
    magnify: dict | None = None  # Eulerian magnification of the resized frames (meau.magnify), None: off

    def __post_init__(self):
        from .magnify import recorded

        object.__setattr__(self, "magnify", recorded(self.magnify))  # a Magnification or its dict: kept as the dict

    def as_dict(self) -> dict:
        values = dict(size=self.size, frame_size=self.frame_size, method=self.method, channels=list(self.channels),
                      apex=self.apex)
        if self.magnify:  # absent when off, so runs and caches from before magnification read the same
            values["magnify"] = dict(self.magnify)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "FlowSpec":
        return cls(**{**values, "channels": tuple(values.get("channels", CHANNELS))})

    def check(self) -> "FlowSpec":
        if self.method not in FLOW_METHODS:
            raise MeauError(f"flow method must be one of {', '.join(FLOW_METHODS)}, not {self.method!r}")
        if self.apex not in ("sheet", "estimate"):
            raise MeauError(f"--apex must be 'sheet' or 'estimate', not {self.apex!r}")
        unknown = [c for c in self.channels if c not in CHANNELS]
        if unknown or not self.channels:
            raise MeauError(f"flow channels must be among {', '.join(CHANNELS)} (got {', '.join(self.channels)})")
        if self.size < 4 or self.frame_size < 16:
            raise MeauError(f"flow image size {self.size} / frame size {self.frame_size} too small")
        if self.magnify:
            from .magnify import Magnification

            Magnification.from_dict(self.magnify)
        return self


def _tvl1():
    import cv2

    if not hasattr(cv2, "optflow"):
        raise MeauError("--flow tvl1 needs OpenCV's contrib build (cv2.optflow), which meau's requirements install; "
                        "another OpenCV wheel shadows it: pip uninstall opencv-python opencv-python-headless && "
                        "pip install --force-reinstall opencv-contrib-python-headless (or use --flow farneback)")
    return cv2.optflow.DualTVL1OpticalFlow_create()


def optical_flow(first: np.ndarray, second: np.ndarray, method: str = "farneback") -> np.ndarray:
    """Dense flow from ``first`` to ``second`` (uint8 grey, H x W): float32 H x W x 2, (u, v) in pixels.

    ``second[y + v, x + u] ~ first[y, x]``: u is horizontal (x), v vertical (y, downwards).
    """
    import cv2

    first = np.ascontiguousarray(first, dtype=np.uint8)
    second = np.ascontiguousarray(second, dtype=np.uint8)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(first, second, None, pyr_scale=0.5, levels=3, winsize=15, iterations=3,
                                            poly_n=5, poly_sigma=1.2, flags=0)
    if method == "tvl1":
        return _tvl1().calc(first, second, None)
    raise MeauError(f"flow method must be one of {', '.join(FLOW_METHODS)}, not {method!r}")


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """eps = sqrt(u_x^2 + v_y^2 + (u_y^2 + v_x^2) / 2), derivatives by 3 x 3 Sobel (scaled to per pixel)."""
    import cv2

    u, v = flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32)
    u_x, u_y = cv2.Sobel(u, cv2.CV_32F, 1, 0, ksize=3) / 8, cv2.Sobel(u, cv2.CV_32F, 0, 1, ksize=3) / 8
    v_x, v_y = cv2.Sobel(v, cv2.CV_32F, 1, 0, ksize=3) / 8, cv2.Sobel(v, cv2.CV_32F, 0, 1, ksize=3) / 8
    return np.sqrt(u_x**2 + v_y**2 + 0.5 * (u_y**2 + v_x**2))


def estimate_apex(frames: np.ndarray, method: str = "farneback") -> int:
    """Index (from 0 = onset) of the frame whose flow from the onset has the largest mean magnitude.

    Two corrections, measured on synthetic clips with a planted apex (95 % within 2 frames, 77 %
    without): the median flow vector is subtracted first (rigid head motion moves every pixel
    alike), and the magnitudes are averaged over 3 consecutive frames (sensor noise).
    """
    if len(frames) < 2:
        raise ClipError("the apex estimate needs at least 2 frames")
    magnitudes = [0.0]
    for frame in frames[1:]:
        flow = optical_flow(frames[0], frame, method)
        flow = flow - np.median(flow.reshape(-1, 2), axis=0)
        magnitudes.append(float(np.linalg.norm(flow, axis=2).mean()))
    window = np.ones(3)
    smoothed = np.convolve(magnitudes, window, mode="same") / np.convolve(np.ones(len(magnitudes)), window, mode="same")
    return int(np.argmax(smoothed))


def _normalise(channel: np.ndarray) -> np.ndarray:
    low, high = float(channel.min()), float(channel.max())
    return (channel - low) / (high - low) if high > low else np.zeros_like(channel)


def flow_image(onset: np.ndarray, apex: np.ndarray, spec: FlowSpec) -> np.ndarray:
    """C x S x S float32 in [0, 1] from two grey frames already resized to ``spec.frame_size``."""
    return image_of_flow(optical_flow(onset, apex, spec.method), spec)


def image_of_flow(flow: np.ndarray, spec: FlowSpec) -> np.ndarray:
    """C x S x S float32 in [0, 1] from an H x W x 2 flow field: channels resized, min-max normalised."""
    import cv2

    planes = {"u": flow[..., 0], "v": flow[..., 1]}
    if "strain" in spec.channels:
        planes["strain"] = optical_strain(flow)
    size = (spec.size, spec.size)
    return np.stack([_normalise(cv2.resize(planes[name], size, interpolation=cv2.INTER_AREA))
                     for name in spec.channels]).astype(np.float32)


def grey_frames(frames: np.ndarray, frame_size: int, magnify: dict | None = None) -> np.ndarray:
    """uint8 clip (grey, or RGB with a last axis of 3) -> grey frames resized to frame_size x frame_size
    (then magnified, with ``magnify`` settings)."""
    from .magnify import magnify_clip
    from .video import resize_clip, to_grey

    if frames.ndim == 4:
        frames = np.clip(np.rint(to_grey(frames)), 0, 255).astype(np.uint8)
    return magnify_clip(resize_clip(frames, (frame_size, frame_size)), magnify)


def sample_flow(frames: np.ndarray, apex_index: int | None, spec: FlowSpec, name: str = "clip") -> tuple[np.ndarray, int, str]:
    """(flow image, apex index used, 'sheet' or 'estimated') for one sample's frames (onset first).

    ``apex_index`` is the sheet's apex counted from the onset, or None where the sheet has none.
    """
    flow, index, source = sample_flow_field(frames, apex_index, spec, name)
    return image_of_flow(flow, spec), index, source


def sample_flow_field(frames: np.ndarray, apex_index: int | None, spec: FlowSpec,
                      name: str = "clip") -> tuple[np.ndarray, int, str]:
    """(onset -> apex flow field H x W x 2, apex index used, 'sheet' or 'estimated'): see :func:`sample_flow`."""
    grey = grey_frames(frames, spec.frame_size, spec.magnify)
    if len(grey) < 2 or all(np.array_equal(grey[0], frame) for frame in grey[1:]):
        raise ClipError(f"{name}: optical flow needs two distinct frames, the clip has one")
    if spec.apex == "sheet" and apex_index is not None and apex_index > 0:
        if apex_index >= len(grey):
            raise ClipError(f"{name}: apex {apex_index} frames after the onset lies outside the clip's "
                            f"{len(grey)} frames (use --apex estimate or --apply-fixes)")
        index, source = apex_index, "sheet"
    else:
        index, source = estimate_apex(grey), "estimated"
    if index == 0:
        index = 1  # a flow from the onset to itself says nothing: the next frame at least
    return optical_flow(grey[0], grey[index], spec.method), index, source


def _flow_one(paths, apex_index, spec_dict, cache_folder):
    from .outputs import atomic_path
    from .video import content_key, read_frames

    spec = FlowSpec.from_dict(spec_dict)
    name = str(Path(paths[0]).parent)
    path = None
    if cache_folder:  # the flow field, whatever the image size and channels made from it
        field_parameters = {"method": spec.method, "frame_size": spec.frame_size, "apex": spec.apex}
        if spec.magnify:
            field_parameters["magnify"] = dict(spec.magnify)
        key = content_key(paths, {"flow": field_parameters, "apex": apex_index, "v": 1})
        path = Path(cache_folder) / "flow" / f"{key}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as stored:
                    return image_of_flow(stored["flow"], spec), int(stored["apex"]), str(stored["source"])
            except (ValueError, OSError, KeyError):
                pass  # a damaged cache file is rebuilt
    if spec.apex == "sheet" and apex_index is not None and 0 < apex_index < len(paths) and not spec.magnify:
        # the sheet's apex is usable: the onset and apex frames are all the flow needs (magnification
        # filters over time, so it needs every frame up to the apex)
        flow, _, source = sample_flow_field(read_frames([paths[0], paths[apex_index]]), 1, spec, name)
        index = apex_index
    else:
        flow, index, source = sample_flow_field(read_frames(paths), apex_index, spec, name)
    if path is not None:
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, flow=flow, apex=index, source=source)
    return image_of_flow(flow, spec), index, source


def write_apex_used(run, apex_used) -> None:
    """``RUN/apex.csv``: the apex every sample's flow used and where it came from (written once per run)."""
    from .outputs import write_csv

    if run.main and not run.file("apex.csv").exists():
        write_csv(run.file("apex.csv"), apex_used)


def apex_position(onset, apex, frame_numbers=None) -> int | None:
    """The sheet's apex as a position in the sample's frame list (None where unknown).

    With ``frame_numbers`` (the numbers of the frames that exist; dropped frames leave gaps), the
    position of the apex frame, or of the last existing frame before it; else ``apex - onset``.
    """
    import bisect

    import pandas as pd

    if apex is None or pd.isna(apex):
        return None
    if frame_numbers is None or (not isinstance(frame_numbers, (list, tuple)) and pd.isna(frame_numbers)):
        return int(apex) - int(onset)
    return max(bisect.bisect_right(list(frame_numbers), int(apex)) - 1, 0)


def _frame_numbers(table) -> list:
    """Each sample's frame numbers (None for tables made before datasets had them)."""
    return list(table["frame_numbers"]) if "frame_numbers" in table.columns else [None] * len(table)


def dataset_apex_indices(table) -> list[int | None]:
    """The sheet's apex of every sample as a position in its frames (None where unknown)."""
    return [apex_position(onset, apex, frame_numbers)
            for onset, apex, frame_numbers in zip(table["onset"], table["apex"], _frame_numbers(table))]


def check_apex(table) -> None:
    """A sheet apex outside onset..offset is an error naming the row (use --apex estimate or --apply-fixes)."""
    import pandas as pd

    for row in table.itertuples(index=False):
        if not pd.isna(row.apex) and not int(row.onset) <= int(row.apex) <= int(row.offset):
            raise MeauError(f"row {row.row} ({row.database}/{row.subject}/{row.clip}): apex {row.apex} lies outside "
                            f"onset..offset {row.onset}..{row.offset}; use --apex estimate or --apply-fixes")


def flow_images(table, spec: FlowSpec, *, cache=None, n_jobs: int = 1, progress: bool | None = None,
                failures: dict | None = None):
    """(N x C x S x S float32 flow images, DataFrame of the apex used per sample) for a samples table.

    ``failures``: a dict that collects {index: message} of the samples whose flow cannot be made (a
    frozen clip); their images are NaN and their apex unknown. Without it the first one raises.
    """
    from .databases import KEY_COLUMNS
    from .parallel import run_guarded

    spec.check()
    apexes = dataset_apex_indices(table) if spec.apex == "sheet" else [None] * len(table)
    if spec.apex == "sheet":
        check_apex(table)
    results = run_guarded(_flow_one, ([[str(p) for p in paths], apex, spec.as_dict(), str(cache) if cache else None]
                                      for paths, apex in zip(table["frames"], apexes)),
                          n_jobs=n_jobs, progress=progress, what="optical flow", failures=failures)
    shape = next(result[0].shape for result in results if result is not None)
    images = np.stack([np.full(shape, np.nan, np.float32) if result is None else result[0] for result in results])
    used = table[KEY_COLUMNS].reset_index(drop=True).copy()
    used["apex"] = [None if result is None else
                    int(frame_numbers[result[1]]) if isinstance(frame_numbers, list) else int(onset) + result[1]
                    for onset, frame_numbers, result in zip(table["onset"], _frame_numbers(table), results)]
    used["apex"] = used["apex"].astype("Int64")
    used["apex_source"] = [None if result is None else result[2] for result in results]
    return images, used
