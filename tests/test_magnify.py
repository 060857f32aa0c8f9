"""Eulerian magnification: a known sub-pixel sinusoidal translation comes out |1 + α H(ω)| times larger."""

import numpy as np
import pytest

from meau.errors import MeauError
from meau.magnify import band_response, magnify


def _texture(size=128, seed=0):
    import cv2

    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.normal(0, 1, (size + 64, size + 64)).astype(np.float32), (0, 0), 6)


def _translated(texture, shifts, size=128):
    """Frames of ``texture`` moved by ``shifts`` pixels along x, scaled to about 40..215.

    Shifted by the Fourier shift theorem: exact at any sub-pixel shift (OpenCV's warpAffine rounds
    positions to 1/32 pixel, which turns a 0.05 px shift into 0.0625).
    """
    spectrum = np.fft.fft2(texture)
    frequencies = np.fft.fftfreq(texture.shape[1])[None, :]
    frames = []
    for shift in shifts:
        moved = np.real(np.fft.ifft2(spectrum * np.exp(-2j * np.pi * frequencies * shift)))[32:-32, 32:-32]
        frames.append(moved)
    frames = np.array(frames)
    scale = 80 / np.abs(frames[0] - frames[0].mean()).max()
    return np.clip(np.rint(127.5 + scale * (frames - frames[0].mean())), 0, 255).astype(np.uint8)


def _global_shift(reference, frame):
    """Lucas-Kanade on the whole frame: d minimising sum (frame - reference + grad(reference) . d)^2 (x only)."""
    reference = reference.astype(np.float64)
    gradient = np.gradient(reference, axis=1)
    difference = frame.astype(np.float64) - reference
    inner = (slice(8, -8), slice(8, -8))
    return -float((gradient[inner] * difference[inner]).sum() / (gradient[inner] ** 2).sum())


@pytest.mark.parametrize("alpha", [5.0, 10.0])
def test_sinusoidal_translation_is_amplified_by_the_band_response(alpha):
    omega, amplitude, count = 0.2, 0.05, 140
    t = np.arange(count)
    shifts = amplitude * np.sin(omega * t)
    clip = _translated(_texture(), shifts)
    out = magnify(clip, alpha, 0.4, 0.05, 4)
    measured = np.array([_global_shift(out[0], frame) for frame in out])
    settled = t >= 60  # about 3 / r2 frames
    basis = np.stack([np.sin(omega * t[settled]), np.cos(omega * t[settled]), np.ones(settled.sum())], 1)
    coefficients = np.linalg.lstsq(basis, measured[settled], rcond=None)[0]
    gain = np.hypot(*coefficients[:2]) / amplitude
    expected = abs(1 + alpha * band_response(omega))
    assert gain == pytest.approx(expected, rel=0.10), (gain, expected)
    assert (1 + alpha) * amplitude <= 1.0


def test_still_clip_unchanged_and_out_of_band_not_amplified():
    texture = _texture(seed=1)
    still = _translated(texture, np.zeros(30))
    assert np.abs(magnify(still, 20).astype(int) - still.astype(int)).max() <= 1
    # a constant offset (from the second frame on): the band forgets it, no lasting amplification
    offset = _translated(texture, np.r_[0, np.full(199, 0.05)])
    out = magnify(offset, 10)
    assert _global_shift(out[0], out[-1]) == pytest.approx(0.05, abs=0.01)
    # ω = π (frame-to-frame flicker): the first-order band rolls off slowly, H(π) = 0.22 against
    # H(0.2) = 0.81, and the measured gain follows H there too
    t = np.arange(140)
    omega = 3.0
    fast = _translated(texture, 0.05 * np.sin(omega * t + 0.3))
    out = magnify(fast, 10)
    measured = np.array([_global_shift(out[0], frame) for frame in out])
    basis = np.stack([np.sin(omega * t[60:]), np.cos(omega * t[60:]), np.ones(80)], 1)
    gain = np.hypot(*np.linalg.lstsq(basis, measured[60:], rcond=None)[0][:2]) / 0.05
    assert gain == pytest.approx(abs(1 + 10 * band_response(omega)), rel=0.10)
    assert gain < 0.4 * abs(1 + 10 * band_response(0.2))


@pytest.mark.parametrize("arguments, message, flag", [
    (dict(alpha=-1), "magnification.alpha -1", ["--magnify", "-1"]),
    (dict(alpha=5, r1=0.05, r2=0.4), "magnification.band 0.05,0.4", ["--magnify", "5", "--magnify-band", "0.05,0.4"]),
    (dict(alpha=5, levels=0), "magnification.levels 0", ["--magnify", "5", "--magnify-levels", "0"]),
])
def test_bad_settings_name_the_setting_and_the_command_its_option(arguments, message, flag, tmp_path):
    """The library names its setting; the command line names the option the user typed."""
    from click.testing import CliRunner

    from meau.cli import cli

    clip = np.zeros((3, 16, 16), np.uint8)
    with pytest.raises(MeauError, match=message):
        magnify(clip, **arguments)
    result = CliRunner().invoke(cli, ["baseline", "lbpsip", str(tmp_path / "db"), *flag, "-o", str(tmp_path / "r")],
                                obj={})
    expected = " ".join(flag[-2:])
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {expected}:"), result.stderr


def test_colour_clips_magnify_per_channel():
    texture = _texture(seed=2)
    grey = _translated(texture, 0.05 * np.sin(0.2 * np.arange(20)))
    colour = np.repeat(grey[..., None], 3, axis=3)
    out = magnify(colour, 10)
    assert out.shape == colour.shape and np.array_equal(out[..., 0], magnify(grey, 10))


@pytest.mark.parametrize("arguments, message", [
    (["--magnify", "-1"], "--magnify -1"),
    (["--magnify", "5", "--magnify-band", "0.05,0.4"], "--magnify-band 0.05,0.4"),
    (["--magnify", "5", "--magnify-levels", "0"], "--magnify-levels 0"),
])
@pytest.mark.parametrize("command", [["baseline", "lbptop"], ["baseline", "flow"], ["train", "flow"]])
def test_bad_options_are_one_line_naming_the_option(tiny_db, tmp_path, command, arguments, message):
    from click.testing import CliRunner

    from meau.cli import cli

    result = CliRunner().invoke(cli, [*command, str(tiny_db), *arguments, "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()


def test_a_run_records_its_magnification_and_predict_applies_it(tiny_db, tmp_path):
    import json

    import pandas as pd
    from click.testing import CliRunner

    from meau.cli import cli
    from meau.prediction import load_predictor
    from meau.video import read_frames

    runner = CliRunner()
    runs = {}
    for alpha in ("0", "10"):
        runs[alpha] = tmp_path / f"flow{alpha}"
        result = runner.invoke(cli, ["baseline", "flow", str(tiny_db), "--min-count", "3", "--magnify", alpha,
                                     "--cache", str(tmp_path / "cache"), "-o", str(runs[alpha])], obj={})
        assert result.exit_code == 0, result.output
    config = json.loads((runs["10"] / "config.json").read_text())
    assert config["parameters"]["flow"]["magnify"] == {"alpha": 10.0, "r1": 0.4, "r2": 0.05, "levels": 4, "cutoff": 16.0}
    assert "magnify" not in json.loads((runs["0"] / "config.json").read_text())["parameters"]["flow"]
    assert json.loads((runs["10"] / "model.json").read_text())["flow"]["magnify"]["alpha"] == 10.0
    # the magnified run's features are the magnified flow: predicting a training clip with the run's
    # own pipeline gives the score its final SVM gives the cached training feature
    from meau.databases import load_dataset
    from meau.flow import FlowSpec, flow_images

    dataset = load_dataset(tiny_db, "casme2", tiny_db / "CASME2-coding-synth.xlsx", aus="auto", min_count=3)
    spec = FlowSpec.from_dict({**config["parameters"]["flow"], "apex": "estimate"})
    images, _ = flow_images(dataset.table.iloc[:1], spec)
    plain, _ = flow_images(dataset.table.iloc[:1], FlowSpec.from_dict({**config["parameters"]["flow"], "apex": "estimate",
                                                                         "magnify": None}))
    assert not np.allclose(images, plain)
    predictor = load_predictor(runs["10"])
    frames = read_frames(dataset.table["frames"][0])
    from meau.flow import sample_flow

    assert np.allclose(sample_flow(frames, None, FlowSpec.from_dict(predictor.meta["flow"] | {"apex": "estimate"}))[0],
                       images[0])
    table = pd.read_csv(runs["10"] / "predictions.csv")
    assert len(table) == len(dataset.table)
