"""Eulerian motion magnification, linear (Wu, Rubinstein, Shih, Guttag, Durand, Freeman, SIGGRAPH 2012).

A clip -> clip step beside TIM: per frame (after crop and resize, before TIM) a Laplacian pyramid
(OpenCV ``pyrDown``/``pyrUp``); per level and pixel two first-order IIR low-passes over time,
``low1 = (1 - r1) low1 + r1 x`` and ``low2 = (1 - r2) low2 + r2 x`` (r1 > r2, both starting at the
first frame); the band ``low1 - low2`` is multiplied by the level's α_l and added back; the pyramid
is collapsed and values clipped to [0, 255].

α_l = min(α, λ_l / (8 δ) − 1) (never below 0), with δ = λ_c / (8 (1 + α)), λ_c the cut-off
wavelength (``cutoff``, pixels) and λ_l = λ_0 2^l the level's wavelength, λ_0 = √(H² + W²) / 3 at the
finest level, as in the paper's code; every level, the low-pass residual included, is magnified
with its α_l. At 128 × 128 and λ_c = 16 no level is attenuated for α ≤ 70.

For a displacement δ(t) = a sin(ωt) the output moves by about |1 + α H(ω)| δ(t) once the filters
have settled (about 1/r2 frames), with the band's response
H(ω) = r1 / (1 − (1 − r1) e^{−iω}) − r2 / (1 − (1 − r2) e^{−iω}) (:func:`band_response`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import MeauError


@dataclass(frozen=True)
class Magnification:
    """The settings of one magnification, recorded in runs (``alpha = 0``: off)."""

    alpha: float = 0.0
    r1: float = 0.4
    r2: float = 0.05
    levels: int = 4
    cutoff: float = 16.0

    def check(self) -> "Magnification":
        """The settings, or a :class:`~meau.errors.SettingError` naming the first that cannot be used."""
        import math

        from .errors import SettingError

        for name in ("alpha", "r1", "r2", "cutoff"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SettingError(f"magnification.{name}", f"{value}", "must be a finite number")
        if not self.alpha >= 0:
            raise SettingError("magnification.alpha", f"{self.alpha:g}", "the magnification factor must be 0 (off) "
                               "or positive")
        if not 0 < self.r2 < self.r1 <= 1:
            raise SettingError("magnification.band", f"{self.r1:g},{self.r2:g}", "give r1,r2 with 0 < r2 < r1 <= 1 "
                               "(r1 the faster low-pass, e.g. 0.4,0.05)")
        if self.levels < 1:
            raise SettingError("magnification.levels", self.levels, "at least 1 pyramid level")
        if not self.cutoff > 0:
            raise SettingError("magnification.cutoff", f"{self.cutoff:g}", "the cut-off wavelength must be positive")
        return self

    @property
    def on(self) -> bool:
        return self.alpha > 0

    def as_dict(self) -> dict:
        return {"alpha": self.alpha, "r1": self.r1, "r2": self.r2, "levels": self.levels, "cutoff": self.cutoff}

    @classmethod
    def from_dict(cls, values) -> "Magnification | None":
        """None for no magnification (a missing or α = 0 setting), else the checked settings."""
        if not values:
            return None
        settings = cls(**values).check()
        return settings if settings.on else None


def band_response(omega, r1: float = 0.4, r2: float = 0.05):
    """H(ω) of the band ``low1 - low2`` at ω radians per frame (complex)."""
    decay = np.exp(-1j * np.asarray(omega, dtype=np.float64))
    return r1 / (1 - (1 - r1) * decay) - r2 / (1 - (1 - r2) * decay)


def _level_alphas(shape, alpha: float, levels: int, cutoff: float) -> list[float]:
    height, width = shape
    wavelength = np.hypot(height, width) / 3
    delta = cutoff / 8 / (1 + alpha)
    alphas = []
    for _ in range(levels + 1):  # the Laplacian levels, then the residual
        alphas.append(float(np.clip(wavelength / (8 * delta) - 1, 0, alpha)))
        wavelength *= 2
    return alphas


def _pyramid(frame: np.ndarray, levels: int) -> list[np.ndarray]:
    import cv2

    pyramid, current = [], frame
    for _ in range(levels):
        if min(current.shape[:2]) < 2:
            break
        smaller = cv2.pyrDown(current)
        pyramid.append(current - cv2.pyrUp(smaller, dstsize=(current.shape[1], current.shape[0])))
        current = smaller
    pyramid.append(current)
    return pyramid


def _collapse(pyramid: list[np.ndarray]) -> np.ndarray:
    import cv2

    current = pyramid[-1]
    for level in reversed(pyramid[:-1]):
        current = cv2.pyrUp(current, dstsize=(level.shape[1], level.shape[0])) + level
    return current


def magnify(clip: np.ndarray, alpha: float, r1: float = 0.4, r2: float = 0.05, levels: int = 4,
            cutoff: float = 16.0) -> np.ndarray:
    """Linear Eulerian magnification of a clip.

    Parameters
    ----------
    clip : uint8 or float array (T, H, W) or (T, H, W, 3)
        Grey frames on the 0-255 scale (colour frames are magnified per channel).
    alpha : float
        Magnification factor (0 returns the clip unchanged).
    r1, r2 : float
        Rates of the two temporal low-passes, 0 < r2 < r1 <= 1 (MEB's defaults 0.4, 0.05).
    levels : int
        Laplacian pyramid levels (the residual below them is magnified too).
    cutoff : float
        λ_c in pixels: levels of shorter wavelength get a smaller α (see the module).

    Returns
    -------
    An array of the clip's shape: uint8 for a uint8 clip (rounded), float32 otherwise; clipped to [0, 255].
    """
    Magnification(alpha, r1, r2, levels, cutoff).check()
    clip = np.asarray(clip)
    if clip.ndim not in (3, 4) or not (clip.dtype == np.uint8 or np.issubdtype(clip.dtype, np.floating)
                                       or np.issubdtype(clip.dtype, np.integer)):
        raise MeauError(f"magnify takes a clip (T, H, W[, 3]) of numbers on the 0-255 scale, got {clip.dtype} "
                        f"{clip.shape}")
    if clip.dtype != np.uint8:
        if not np.isfinite(clip).all():
            raise MeauError("magnify: the clip holds NaN or infinite values")
        clip = clip.astype(np.float32)
    if alpha == 0 or len(clip) < 2:
        return clip.copy()
    if clip.ndim == 4:
        return np.stack([magnify(clip[..., c], alpha, r1, r2, levels, cutoff) for c in range(clip.shape[3])], axis=3)
    pyramids = [_pyramid(frame.astype(np.float32), levels) for frame in clip]
    alphas = _level_alphas(clip.shape[1:], alpha, len(pyramids[0]) - 1, cutoff)
    low1 = [level.copy() for level in pyramids[0]]
    low2 = [level.copy() for level in pyramids[0]]
    integer = clip.dtype == np.uint8
    out = np.empty(clip.shape, np.uint8 if integer else np.float32)
    out[0] = clip[0]
    for index in range(1, len(clip)):
        magnified = []
        for level, (band_in, a) in enumerate(zip(pyramids[index], alphas)):
            low1[level] += r1 * (band_in - low1[level])
            low2[level] += r2 * (band_in - low2[level])
            magnified.append(band_in + a * (low1[level] - low2[level]))
        collapsed = np.clip(_collapse(magnified), 0, 255)
        out[index] = np.rint(collapsed) if integer else collapsed
    return out


def recorded(settings: "Magnification | dict | None") -> dict | None:
    """Magnification settings as a run records them (a checked dict), None when off."""
    if isinstance(settings, Magnification):
        settings = settings.check()
        return settings.as_dict() if settings.on else None
    if not settings:
        return None
    checked = Magnification.from_dict(settings)
    return checked.as_dict() if checked is not None else None


def magnify_clip(clip: np.ndarray, settings: "Magnification | dict | None") -> np.ndarray:
    """``clip`` magnified with recorded settings (unchanged for None or α = 0)."""
    if isinstance(settings, dict):
        settings = Magnification.from_dict(settings)
    if settings is None or not settings.on:
        return clip
    return magnify(clip, settings.alpha, settings.r1, settings.r2, settings.levels, settings.cutoff)
