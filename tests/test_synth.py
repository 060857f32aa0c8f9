import numpy as np
import pytest

from meau.databases import load_dataset
from meau.databases.synth import SHEET_NAME, _draw_face, displacement_fields, generate, profile, render_clip


def test_synthetic_database_reads_through_casme2_reader(tiny_db):
    dataset = load_dataset(tiny_db, "casme2", tiny_db / SHEET_NAME, aus="auto", min_count=1)
    assert dataset.layout == "cropped"
    assert len(dataset.table) == 36
    assert dataset.table["subject"].nunique() == 6
    assert dataset.table["subject"].str.len().eq(2).all()
    # the sheet carries the documented quirks: a '?' cell, a '/' apex, numbers and side prefixes
    raw = dataset.table["au_raw"].tolist()
    assert "?" in raw
    assert dataset.table["apex"].isna().sum() == 1
    for frames, onset, offset in dataset.table[["frames", "onset", "offset"]].itertuples(index=False):
        assert len(frames) == offset - onset + 1


def test_synth_is_deterministic(tmp_path):
    generate(tmp_path / "a", subjects=2, samples=3, intensity=2, seed=11)
    generate(tmp_path / "b", subjects=2, samples=3, intensity=2, seed=11)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.jpg"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.jpg"))
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    generate(tmp_path / "c", subjects=2, samples=3, intensity=2, seed=12)
    files_c = sorted(p.relative_to(tmp_path / "c") for p in (tmp_path / "c").rglob("*.jpg"))
    assert files_c != files_a or any((tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files_a)


def test_profile_rises_to_apex_and_falls():
    numbers = np.arange(8, 33)
    values = profile(numbers, 10, 20, 30)
    assert values[numbers == 10][0] == 0 and values[numbers == 20][0] == 1 and values[numbers == 30][0] == pytest.approx(0)
    assert np.all(np.diff(values[(numbers >= 10) & (numbers <= 20)]) >= 0)
    assert np.all(values[(numbers < 10) | (numbers > 30)] == 0)


REGIONS = {1: ["brow_inner_L", "brow_inner_R"], 4: ["brow_L", "brow_R"], 12: ["mouth_corner_L", "mouth_corner_R"],
           15: ["mouth_corner_L", "mouth_corner_R"], 17: ["chin", "lower_lip"], 7: ["lower_lid_L", "lower_lid_R"]}


@pytest.mark.parametrize("au", sorted(REGIONS))
def test_planted_motion_is_where_the_label_says(au):
    # Same seed with and without the AU: identical jitter, illumination and noise, so the
    # difference at apex is the planted motion alone.
    face = _draw_face(np.random.default_rng(au))
    numbers, with_au = render_clip(face, {au: None}, 1.0, 10, 15, 20, np.random.default_rng(99), frames_around=0)
    _, without = render_clip(face, {}, 1.0, 10, 15, 20, np.random.default_rng(99), frames_around=0)
    difference = np.abs(with_au.astype(np.float32) - without.astype(np.float32)).mean(axis=3)
    from scipy.ndimage import uniform_filter

    energy = uniform_filter(difference[numbers == 15][0], 15)
    y, x = np.unravel_index(np.argmax(energy), energy.shape)
    distances = [np.hypot(x - face.points[name][0], y - face.points[name][1]) for name in REGIONS[au]]
    assert min(distances) < 15, (au, (x, y), {n: face.points[n] for n in REGIONS[au]})
    # and nothing moves at the onset
    assert difference[numbers == 10].max() == 0


def test_side_prefix_moves_one_side_only():
    face = _draw_face(np.random.default_rng(0))
    field, _ = displacement_fields(face, {12: "L"})
    left_x = face.points["mouth_corner_L"][0]
    magnitude = np.hypot(*field)
    assert magnitude[:, int(left_x) - 3 : int(left_x) + 4].max() > 0.5
    right_x = face.points["mouth_corner_R"][0]
    assert magnitude[:, int(right_x) - 3 : int(right_x) + 4].max() < 0.05


def test_label_statistics_close_to_casme2(tmp_path_factory):
    from meau.databases.synth import _draw_aus

    rng = np.random.default_rng(0)
    draws = [_draw_aus(rng) for _ in range(4000)]
    share = {au: np.mean([au in d for d in draws]) for au in (1, 2, 4, 7, 9, 12, 14, 15, 17)}
    assert 0.45 <= share[4] <= 0.6
    assert all(0.06 <= share[au] <= 0.25 for au in share if au != 4)
    au1 = np.array([1 in d for d in draws]); au2 = np.array([2 in d for d in draws])
    assert np.corrcoef(au1, au2)[0, 1] > 0.5


def test_plant_draws_the_named_aus_independently():
    from meau.databases.synth import AU_MOTION, _draw_planted

    rng = np.random.default_rng(1)
    draws = [_draw_planted(rng, [4, 9, 17]) for _ in range(4000)]
    present = np.array([[au in d for au in (4, 9, 17)] for d in draws])
    assert np.allclose(present.mean(axis=0), 0.5, atol=0.03)
    # independent: no planted AU follows from the others' absence (an "at least one" rule would)
    assert np.abs(np.corrcoef(present.T)[np.triu_indices(3, 1)]).max() < 0.05
    empty = [d for d, row in zip(draws, present) if not row.any()]
    assert abs(len(empty) / len(draws) - 1 / 8) < 0.02
    assert all(len(d) == 1 and next(iter(d)) in AU_MOTION and next(iter(d)) not in (4, 9, 17) for d in empty)


def test_generate_with_plant_and_the_faces_it_drew(tmp_path):
    import cv2

    from meau.databases.synth import au_region, subject_face

    generate(tmp_path, subjects=2, samples=12, intensity=2, seed=5, plant=[4, 12])
    dataset = load_dataset(tmp_path, "casme2", tmp_path / SHEET_NAME, aus="auto", min_count=1)
    planted = dataset.table[["AU04", "AU12"]].sum(axis=1) > 0
    others = [c for c in dataset.au_columns if c not in ("AU04", "AU12")]
    # a clip holds the planted AUs, or else exactly one other AU ('?' row aside)
    coded = dataset.table["au_raw"] != "?"
    assert (planted | (dataset.table[others].sum(axis=1) == 1))[coded].all()
    assert not (planted & (dataset.table[others].sum(axis=1) > 0)).any()
    # subject_face is the face the generator drew: the first frame (before the onset, no motion)
    for subject in ("01", "02"):
        first = dataset.table[dataset.table["subject"] == subject].iloc[0]["frames"][0]
        frame = cv2.imread(str(first))[..., ::-1].astype(np.float32)
        own = np.abs(frame - subject_face(5, subject).image).mean()
        other = np.abs(frame - subject_face(5, "02" if subject == "01" else "01").image).mean()
        assert own < 4 < other, (own, other)
    mask = au_region(subject_face(5, "01"), 4)
    assert mask[:85].sum() > 0 and mask[85:].sum() == 0  # the brows lie in the upper half
    with pytest.raises(ValueError, match="cannot plant 3"):
        generate(tmp_path / "bad", subjects=1, samples=1, plant=[3])


def test_cli_synth_plant(tmp_path):
    from click.testing import CliRunner

    from meau.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["synth", str(tmp_path / "db"), "--subjects", "1", "--samples", "2", "--plant",
                                 "AU4,12"], obj={})
    assert result.exit_code == 0, result.output
    assert '"plant": [\n    4,\n    12\n  ]' in (tmp_path / "db" / "synth.json").read_text()
    for bad, message in (("4,x", "--plant must be 'auto' or AU numbers"), ("4,3", "cannot plant 3")):
        result = runner.invoke(cli, ["synth", str(tmp_path / bad.replace(",", "_")), "--plant", bad], obj={})
        assert result.exit_code == 1 and message in result.output, result.output


def _vertical_shift(first, second, mask, iterations=50):
    """Iterative Lucas-Kanade on a region: the vertical displacement d with second(y + d) ~ first(y)
    (one linearised step underestimates shifts of a pixel or more on sharp edges)."""
    import cv2

    first, second = first.astype(np.float32), second.astype(np.float32)
    gradient = np.gradient(first.astype(np.float64), axis=0)
    ys, xs = np.mgrid[0:first.shape[0], 0:first.shape[1]].astype(np.float32)
    shift = 0.0
    for _ in range(iterations):
        back = cv2.remap(second, xs, ys + np.float32(shift), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        step = -float((gradient * (back - first))[mask].sum() / (gradient**2)[mask].sum())
        shift += step
        if abs(step) < 1e-4:
            break
    return shift


def test_subtle_preset_plants_one_to_two_pixels_at_128():
    import dataclasses

    import cv2

    from meau.databases.synth import PRESETS, au_region, render_clip, subject_face

    quiet = dataclasses.replace(PRESETS["subtle"], drift=0.0, blink_rate=0.0, noise=0.0, variation=0.0, distractor_rate=0.0)
    low, high = quiet.intensity_range
    for subject, intensity in (("01", low), ("02", (low + high) / 2), ("03", high)):
        face = subject_face(0, subject)
        numbers, frames = render_clip(face, {1: None}, intensity, 10, 15, 20, np.random.default_rng(1),
                                      nuisance=quiet, nuisance_rng=np.random.default_rng(2))
        grey = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (128, 128), interpolation=cv2.INTER_AREA) for f in frames]
        region = cv2.resize(au_region(face, 1, threshold=0.8).astype(np.uint8), (128, 128),
                            interpolation=cv2.INTER_NEAREST).astype(bool)
        apex = grey[list(numbers).index(15)]
        shift = -_vertical_shift(grey[list(numbers).index(10)], apex, region)  # upwards is negative y
        # the stated range, 1-2 px at 128 x 128: the peak is intensity * 128 / 170 vertically, and
        # the region holds 80-100 % of it
        peak = intensity * 128 / 170
        assert 0.8 * peak <= shift <= 1.03 * peak and 0.8 <= shift <= 2.05, (subject, intensity, shift, peak)
        still = _vertical_shift(grey[0], grey[1], region)  # before the onset: jitter only
        assert abs(still) < 0.2


def test_subtle_nuisances_never_change_labels(tmp_path):
    from meau.databases import annotate

    generate(tmp_path / "classic", subjects=3, samples=9, intensity=2, seed=4)
    from meau.databases.synth import PRESETS

    generate(tmp_path / "subtle", subjects=3, samples=9, seed=4, nuisance=PRESETS["subtle"])
    classic = annotate(tmp_path / "classic" / SHEET_NAME, "casme2", min_count=1).table.drop(columns=["row"])
    subtle = annotate(tmp_path / "subtle" / SHEET_NAME, "casme2", min_count=1).table.drop(columns=["row"])
    assert classic.equals(subtle)
    assert "AU45" not in " ".join(subtle.columns)
    import json

    assert json.loads((tmp_path / "subtle" / "synth.json").read_text())["preset"] == "subtle"
    # the frames differ (drift, noise, blinks, JPEG) but the clips keep their lengths
    first = sorted((tmp_path / "classic" / "Cropped").rglob("*.jpg"))
    second = sorted((tmp_path / "subtle" / "Cropped").rglob("*.jpg"))
    assert [p.relative_to(tmp_path / "classic") for p in first] == [p.relative_to(tmp_path / "subtle") for p in second]
    assert first[0].read_bytes() != second[0].read_bytes()


def test_drift_stays_within_its_bound_and_blinks_close_the_eyes():
    import dataclasses

    from meau.databases.synth import HEIGHT, PRESETS, RESIZED, WIDTH, _blink_profile, _closed_eyes, _drift_path, \
        subject_face

    for seed in range(50):
        path = _drift_path(20, 2.0, np.random.default_rng(seed))
        at_128 = path * np.array([RESIZED / WIDTH, RESIZED / HEIGHT])
        assert np.hypot(*at_128.T).max() <= 2.0 + 1e-6 and np.allclose(path[0], 0)
    always = dataclasses.replace(PRESETS["subtle"], blink_rate=1.0)
    closure = _blink_profile(20, always, np.random.default_rng(0))
    assert 0.9 < closure.max() <= 1 and (closure > 0).sum() == always.blink_frames
    face = subject_face(0, "01")
    eye = face.landmarks[36:42].mean(axis=0).round().astype(int)
    shut = _closed_eyes(face, 1.0)
    assert abs(shut[eye[1], eye[0]] - face.image[eye[1], eye[0]]).max() > 40  # the dark pupil is covered


def test_synth_cli_presets(tmp_path):
    from click.testing import CliRunner

    from meau.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["synth", str(tmp_path / "a"), "--subjects", "2", "--samples", "2", "--preset", "subtle",
                                 "--drift", "1", "--intensity", "1,2"], obj={})
    assert result.exit_code == 0, result.output
    import json

    settings = json.loads((tmp_path / "a" / "synth.json").read_text())["nuisance"]
    assert settings["drift"] == 1 and settings["intensity_range"] == [1, 2]
    result = runner.invoke(cli, ["synth", str(tmp_path / "b"), "--drift", "1"], obj={})
    assert result.exit_code == 1 and "--drift is a setting of --preset subtle" in result.output
    result = runner.invoke(cli, ["synth", str(tmp_path / "c"), "--intensity", "2,1", "--preset", "subtle"], obj={})
    assert result.exit_code == 1 and "--intensity 2,1" in result.output
