"""meau crop on raw clips built from a real face photograph (known pose, drift, clutter)."""

import os
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("dlib")

from meau.cli import cli  # noqa: E402
from meau.crop import CropSettings, crop_inputs  # noqa: E402
from meau.errors import MeauError  # noqa: E402
from meau.faces import Similarity, eye_targets, landmark_model_path  # noqa: E402

from .faces_fixtures import apply, astronaut_head, cluttered_background, head_eyes, paste, paste_matrix  # noqa: E402
from .sheets import write_casme2  # noqa: E402


@pytest.fixture(scope="module")
def head():
    return astronaut_head()


@pytest.fixture(scope="module")
def eyes():
    return head_eyes()


def _write_folder(folder, frames, suffix=".jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, start=1):
        image = frame if frame.ndim == 2 else frame[..., ::-1]
        cv2.imwrite(str(folder / f"img{number}{suffix}"), image, [cv2.IMWRITE_JPEG_QUALITY, 98] if suffix == ".jpg" else [])


def test_model_file_is_found_without_importing_its_package():
    sys.modules.pop("face_recognition_models", None)
    assert landmark_model_path().name == "shape_predictor_68_face_landmarks.dat"
    assert "face_recognition_models" not in sys.modules


def test_each_thread_has_its_own_dlib_models():
    """dlib's detector crashed the process now and then when threads shared it (``crop --backend threading``)."""
    import threading

    import meau.faces

    here, there = meau.faces._models(), []
    thread = threading.Thread(target=lambda: there.append(meau.faces._models()))
    thread.start()
    thread.join()
    assert there[0][0] is not here[0] and there[0][1] is not here[1]
    assert all(a is b for a, b in zip(meau.faces._models(), here))  # loaded once per thread


POSES = [(-15, 0.6, (300, 260)), (15, 1.5, (330, 230)), (-7, 1.0, (250, 200)), (9, 0.8, (400, 280)), (0, 1.2, (320, 240))]


def test_eyes_land_where_documented_and_one_transform_per_clip(tmp_path, head, eyes):
    inputs, truths = [], []
    for number, (angle, scale, centre) in enumerate(POSES):
        background = cluttered_background((480, 640), seed=number)
        frames, matrices = [], []
        for k in range(3):  # the head moves by half a pixel a frame: the crop must not follow it
            matrix = paste_matrix(angle, scale, (centre[0] + 0.5 * k, centre[1]), head.shape)
            frames.append(paste(background, head, matrix))
            matrices.append(matrix)
        _write_folder(tmp_path / "raw" / f"pose{number}", frames, suffix=".png")
        inputs.append(tmp_path / "raw" / f"pose{number}")
        truths.append((frames, matrices[0]))
    summary = crop_inputs(inputs, tmp_path / "out", settings=CropSettings(size=160))
    assert summary["ok"] == len(POSES)
    table = pd.read_csv(tmp_path / "out" / "crop.csv")
    landmarks = pd.read_csv(tmp_path / "out" / "landmarks.csv")
    targets = eye_targets(160)
    for (frames, paste_m), row in zip(truths, table.itertuples()):
        similarity = Similarity(row.scale, row.angle_deg, row.tx, row.ty)
        true_eyes = [similarity.apply(apply(paste_m, eye)[None])[0] for eye in eyes]
        errors = [float(np.hypot(*(true - target))) for true, target in zip(true_eyes, targets)]
        # dlib's points move by about half a source pixel: at scale 0.6 that is about a pixel here
        assert max(errors) < 1.5, (row.sample, errors)
        midpoint = (true_eyes[0] + true_eyes[1]) / 2 - (targets[0] + targets[1]) / 2
        assert np.hypot(*midpoint) < 1.0, (row.sample, midpoint)
        points = landmarks[landmarks["sample"] == row.sample][["x", "y"]].to_numpy()
        assert len(points) == 68 and np.allclose(points[36:42].mean(0), targets[0], atol=0.01)
        assert points[17:27, 1].min() > 0.1 * 160 and points[8, 1] < 160  # brows and chin inside
        # every frame through the reference frame's transform (the written JPEGs differ by compression only)
        written = sorted((tmp_path / "out" / row.folder).iterdir())
        for frame, path in zip(frames, written):
            expected = cv2.warpAffine(frame, similarity.matrix, (160, 160), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE).astype(float)
            assert np.abs(cv2.imread(str(path))[..., ::-1] - expected).mean() < 2.0


def test_ecc_recovers_known_drift(tmp_path, head):
    base = paste(cluttered_background((480, 640), seed=9), head, paste_matrix(4, 1.1, (320, 240), head.shape))
    centre = np.array([319.5, 239.5])
    known, frames = [], []
    for k in range(6):
        shift = np.array([0.37 * k, -0.23 * k + 0.1 * (k % 2)])
        angle = 0.15 * k  # degrees
        rotation = cv2.getRotationMatrix2D(tuple(centre), angle, 1.0)
        rotation[:, 2] += shift
        frames.append(cv2.warpAffine(base, rotation, (640, 480), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT))
        known.append(rotation)
    _write_folder(tmp_path / "drift", frames, suffix=".png")
    crop_inputs([tmp_path / "drift"], tmp_path / "out", settings=CropSettings(size=160, stabilize="ecc"))
    motion = pd.read_csv(tmp_path / "out" / "motion.csv")
    assert len(motion) == 6
    for row, truth in zip(motion.itertuples(), known):
        assert abs(row.dx - truth[0, 2]) < 0.1 and abs(row.dy - truth[1, 2]) < 0.1, (row, truth)
        assert abs(abs(row.angle_deg) - abs(np.degrees(np.arctan2(truth[1, 0], truth[0, 0])))) < 0.05
    aligned = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).astype(float) for p in sorted((tmp_path / "out" / "drift").iterdir())]
    still = np.mean([np.abs(frame - aligned[0])[20:-20, 20:-20].mean() for frame in aligned[1:]])
    crop_inputs([tmp_path / "drift"], tmp_path / "plain", settings=CropSettings(size=160))
    plain = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).astype(float) for p in sorted((tmp_path / "plain" / "drift").iterdir())]
    moving = np.mean([np.abs(frame - plain[0])[20:-20, 20:-20].mean() for frame in plain[1:]])
    assert still < moving / 2


def test_no_face_two_faces_and_grey(tmp_path, head):
    rng = np.random.default_rng(0)
    _write_folder(tmp_path / "noise", [rng.integers(0, 256, (240, 320, 3)).astype(np.uint8) for _ in range(3)])
    background = cluttered_background((480, 640), seed=1)
    two = paste(paste(background, head, paste_matrix(0, 0.8, (170, 240), head.shape)), head,
                paste_matrix(0, 1.3, (460, 240), head.shape))
    _write_folder(tmp_path / "two", [two, two])
    grey = cv2.cvtColor(paste(background, head, paste_matrix(5, 1.0, (320, 240), head.shape)), cv2.COLOR_RGB2GRAY)
    _write_folder(tmp_path / "grey", [grey, grey])
    summary = crop_inputs([tmp_path / "noise", tmp_path / "two", tmp_path / "grey"], tmp_path / "out")
    assert summary["ok"] == 2 and summary["failed"] == 1
    table = pd.read_csv(tmp_path / "out" / "crop.csv").set_index("sample")
    assert table.loc["noise", "status"] == "no-face"
    assert table.loc["two", "faces"] == 2 and table.loc["two", "box_left"] > 320  # the larger face, on the right
    assert (tmp_path / "out" / "grey").is_dir()
    assert cv2.imread(str(next((tmp_path / "out" / "grey").iterdir())), cv2.IMREAD_UNCHANGED).ndim == 2
    validation = pd.read_csv(tmp_path / "out" / "validation.csv")
    assert validation["kind"].tolist() == ["no-face"] and validation["key"].tolist() == ["noise"]
    with pytest.raises(MeauError, match="noise: no face"):
        crop_inputs([tmp_path / "noise"], tmp_path / "strict", strict=True)


def _raw_casme2(root, head, samples=3):
    rows = []
    for index in range(samples):
        folder = root / "CASME2-RAW" / f"sub0{index + 1}" / f"EP0{index + 1}_01"
        background = cluttered_background((480, 640), seed=20 + index)
        matrix = paste_matrix(-6 + 6 * index, 0.9 + 0.2 * index, (300 + 20 * index, 240), head.shape)
        folder.mkdir(parents=True)
        for number in range(10, 19):
            cv2.imwrite(str(folder / f"img{number}.jpg"), paste(background, head, matrix)[..., ::-1])
        rows.append((f"0{index + 1}", f"EP0{index + 1}_01", None, 11, 13, 16, None, "4" if index else "4+12", "others"))
    write_casme2(root / "CASME2-coding-20140508.xlsx", rows)
    return root


def test_database_crop_writes_the_cropped_layout_and_resumes(tmp_path, head, monkeypatch):
    raw = _raw_casme2(tmp_path / "raw", head)
    runner = CliRunner()
    # an interrupted crop leaves no half-written sample folder
    import meau.crop as crop_module

    calls = {"n": 0}
    real_write = crop_module._write_image

    def failing_write(path, frame, quality):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        real_write(path, frame, quality)

    monkeypatch.setattr(crop_module, "_write_image", failing_write)  # in this process: one worker
    result = runner.invoke(cli, ["crop", str(raw), "--database", "casme2", "-o", str(tmp_path / "out"), "--n-jobs", "1"],
                           obj={})
    assert result.exit_code == 1 and "interrupted" in result.output
    folders = sorted(p.name for p in (tmp_path / "out" / "Cropped").rglob("*") if p.is_dir() and p.name.startswith("EP"))
    assert folders == ["EP01_01"]  # the second sample's folder is only a hidden .partial
    monkeypatch.setattr(crop_module, "_write_image", real_write)
    result = runner.invoke(cli, ["crop", str(raw), "--database", "casme2", "-o", str(tmp_path / "out"), "--resume"], obj={})
    assert result.exit_code == 0, result.output
    assert "3 of 3 cropped, 18 frames (1 kept from before)" in result.output
    assert not list((tmp_path / "out").rglob(".*.partial"))
    names = sorted(p.name for p in (tmp_path / "out" / "Cropped" / "sub02" / "EP02_01").iterdir())
    assert names == [f"reg_img{n}.jpg" for n in (11, 12, 13, 14, 15, 16)]
    assert (tmp_path / "out" / "CASME2-coding-20140508.xlsx").exists()
    crop_table = pd.read_csv(tmp_path / "out" / "crop.csv")
    assert crop_table["sample"].tolist() == ["casme2/01/EP01_01/11", "casme2/02/EP02_01/11", "casme2/03/EP03_01/11"]
    assert (crop_table["reference_frame"] == 11).all()
    # the samples the resumed crop did on every core (the default) are those one worker writes, byte for byte
    serial = runner.invoke(cli, ["crop", str(raw), "--database", "casme2", "-o", str(tmp_path / "serial"), "--n-jobs",
                                 "1"], obj={})
    assert serial.exit_code == 0, serial.output
    written = sorted((tmp_path / "out" / "Cropped").rglob("*.jpg"))
    assert len(written) == 18 and all(path.read_bytes() == (tmp_path / "serial" / path.relative_to(tmp_path / "out"))
                                      .read_bytes() for path in written)
    # every meau command takes the output root as a distributed cropped database
    result = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "out"), "--database", "casme2", "--aus", "4",
                                 "--min-count", "1", "--protocol", "loso", "-o", str(tmp_path / "run")], obj={})
    assert "3 samples kept" in result.output, result.output
    again = runner.invoke(cli, ["crop", str(raw), "--database", "casme2", "-o", str(tmp_path / "out")], obj={})
    assert again.exit_code == 1 and "--resume" in again.output


@pytest.mark.parametrize("arguments, message", [
    (["--size", "16"], "--size 16"),
    (["--stabilize", "wobble"], "wobble"),
])
def test_bad_options_name_the_option(tmp_path, arguments, message):
    result = CliRunner().invoke(cli, ["crop", str(tmp_path), "-o", str(tmp_path / "out"), *arguments], obj={})
    assert result.exit_code in (1, 2) and message in result.output


def test_unreadable_inputs_are_listed_and_others_go_on(tmp_path, head):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "nothing").mkdir()
    grey = cv2.cvtColor(paste(cluttered_background((480, 640), 3), head, paste_matrix(0, 1, (320, 240), head.shape)),
                        cv2.COLOR_RGB2GRAY)
    _write_folder(tmp_path / "good", [grey, grey])
    result = CliRunner().invoke(cli, ["crop", str(tmp_path / "empty.mp4"), str(tmp_path / "nothing"), str(tmp_path / "good"),
                                      "-o", str(tmp_path / "out")], obj={})
    assert result.exit_code == 0, result.output
    assert "1 of 3 cropped" in result.output and "zero-length" in result.output and "no frame images" in result.output


def test_missing_face_extra_is_one_line_with_the_install_command(tmp_path, monkeypatch):
    import importlib.util
    import threading

    import meau.faces as faces

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "face_recognition_models" else real(name, *a))
    monkeypatch.setattr(faces, "_PER_THREAD", threading.local())  # no models loaded yet (restored after)
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(cli, ["crop", str(tmp_path / "in"), "-o", str(tmp_path / "out")], obj={})
    assert result.exit_code == 1 and "pip install 'meau[face]'" in result.output and "Traceback" not in result.output


def test_known_landmarks_replace_detection(tmp_path):
    from meau.databases import load_dataset
    from meau.databases.synth import generate

    generate(tmp_path / "db", subjects=2, samples=4, intensity=4.0, seed=1)
    result = CliRunner().invoke(cli, ["crop", str(tmp_path / "db"), "--database", "casme2", "--layout", "cropped",
                                      "--landmarks", str(tmp_path / "db" / "landmarks.csv"), "--stabilize", "ecc",
                                      "--size", "128", "-o", str(tmp_path / "out")], obj={})
    assert result.exit_code == 0, result.output
    assert "4 of 4 cropped" in result.output
    landmarks = pd.read_csv(tmp_path / "out" / "landmarks.csv")
    targets = eye_targets(128)
    for _, group in landmarks.groupby("sample"):
        points = group.sort_values("point")[["x", "y"]].to_numpy()
        assert np.allclose(points[36:42].mean(0), targets[0], atol=0.01)
        assert np.allclose(points[42:48].mean(0), targets[1], atol=0.01)
    assert len(pd.read_csv(tmp_path / "out" / "motion.csv")) > 0
    dataset = load_dataset(tmp_path / "out", "casme2", tmp_path / "out" / "CASME2-coding-synth.xlsx", aus="auto",
                           min_count=1)
    assert len(dataset.table) == 4 and dataset.layout == "cropped"


def test_datasets_file_crop_writes_a_datasets_file_of_the_cropped_roots(tmp_path, head):
    from meau.databases.composite import load_composite

    _raw_casme2(tmp_path / "one", head, samples=2)
    _raw_casme2(tmp_path / "two", head, samples=2)
    (tmp_path / "raw.toml").write_text('[[database]]\nname = "casme2"\nroot = "one"\nlabel = "first"\n\n'
                                       '[[database]]\nname = "casme2"\nroot = "two"\nlabel = "second"\n')
    result = CliRunner().invoke(cli, ["crop", "--datasets", str(tmp_path / "raw.toml"), "-o", str(tmp_path / "out")],
                                obj={})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "first" / "Cropped").is_dir() and (tmp_path / "out" / "second" / "crop.csv").exists()
    dataset = load_composite(tmp_path / "out" / "datasets.toml", aus="4", min_count=1)
    assert len(dataset.table) == 4 and set(dataset.table["database"]) == {"first", "second"}
    assert all("Cropped" in str(frames[0]) for frames in dataset.table["frames"])


@pytest.mark.parametrize("appears", [13, 16, 47])
def test_the_reference_is_exactly_the_first_frame_with_a_face(tmp_path, head, appears, monkeypatch):
    """A recording that starts on an empty scene: the face appears at a known frame. The search looks
    at one frame in eight (a quarter second at 30 fps), then refines back: the reference is that frame,
    and far fewer frames than the empty stretch are searched."""
    import meau.faces

    background = cluttered_background((480, 640), seed=4)
    frames = [background] * appears + [paste(background, head, paste_matrix(3, 1.1, (320 + 0.2 * k, 240), head.shape))
                                       for k in range(48 - appears)]
    _write_folder(tmp_path / "take", frames)
    searched = []
    real = meau.faces.detect_faces

    def counting(frame):
        searched.append(1)
        return real(frame)

    monkeypatch.setattr(meau.faces, "detect_faces", counting)
    summary = crop_inputs([tmp_path / "take"], tmp_path / "out")
    assert summary["ok"] == 1
    table = pd.read_csv(tmp_path / "out" / "crop.csv")
    assert table["reference_frame"].iloc[0] == appears + 1  # frames are numbered from 1 in the folder
    # one coarse step in 8 and the refinement back, each a few frames per core at once, and the reference again
    chunk = 2 * (os.cpu_count() or 1)
    assert len(searched) <= appears // 8 + 1 + 8 + 2 * (chunk - 1) + 1, len(searched)


def test_a_short_recording_without_a_face_is_rejected_after_every_frame_was_searched(tmp_path, monkeypatch):
    """40 frames (under 10 s at a search every 8 frames): the coarse search (frames 0, 8, 16, 24, 32 and the
    last) finds nothing, then every other frame is searched before the recording is called faceless."""
    import meau.faces

    background = cluttered_background((480, 640), seed=5)
    _write_folder(tmp_path / "empty", [background] * 40)
    searched = []
    real = meau.faces.detect_faces
    monkeypatch.setattr(meau.faces, "detect_faces", lambda frame: searched.append(1) or real(frame))
    summary = crop_inputs([tmp_path / "empty"], tmp_path / "out")
    assert summary["failed"] == 1 and "no face found in any of its 40 frames (every frame searched)" in \
        summary["messages"][0]
    assert len(searched) == 40
