"""The output guard: meau deletes or overwrites only what it wrote, writes only inside its output
folder, never overlaps input and output, and turns every bad input into one line.

Each case runs one ``meau`` command in a folder of its own and checks: the exit code; one
``Error:`` line naming the file, row or option (or, where meau reports and goes on, the report);
no traceback; every file outside the declared output folders unchanged byte for byte (inputs
included); nothing written outside them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from click.testing import CliRunner

from meau.cli import cli

from .outcomes import check_outcome

SHEET = "CASME2-coding-synth.xlsx"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """4 subjects, 8 samples (with the synthetic faces' landmarks.csv): crops in well under a second."""
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("small_db")
    generate(root, subjects=4, samples=8, intensity=6.0, seed=5)
    return root


def snapshot(root: Path, skip=()) -> dict:
    """Every entry below ``root`` (links as links) -> its content hash, 'dir' or the link's target;
    entries below the ``skip`` folders are left out."""
    skip = [Path(s) for s in skip]
    found = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in dirnames + filenames:
            path = here / name
            relative = path.relative_to(root)
            if any(relative == s or s in relative.parents for s in skip):
                continue
            if path.is_symlink():
                found[str(relative)] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                found[str(relative)] = "dir"
            else:
                found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@dataclass
class Case:
    name: str
    setup: Callable  # (tmp, db) -> (words, outputs): outputs are the folders/files (relative to tmp) it may write
    expect: str  # a substring of the error line (exit 1), or of the report (exit 0)
    exit_code: int = 1
    report: str | None = None  # for exit 0: the file (relative to tmp) whose text holds `expect`
    cwd: str | None = None  # run from this folder (relative to tmp)
    check: Callable | None = None  # (tmp) -> None: further assertions


def _copy(tmp: Path, db: Path, name: str = "data") -> Path:
    shutil.copytree(db, tmp / name, symlinks=True)
    return tmp / name


def _crop_words(data, out, *extra):
    return ["crop", str(data), "--database", "casme2", "--landmarks", str(Path(data) / "landmarks.csv"),
            "-o", str(out), *extra]


def _crop_once(tmp, db, *extra) -> Path:
    data = _copy(tmp, db)
    result = CliRunner().invoke(cli, _crop_words(data, tmp / "out", *extra), obj={})
    assert result.exit_code == 0, result.output
    return data


# -- 1. data deleted ----------------------------------------------------------------------------
def _crop_parent_from_inside(tmp, db):
    _copy(tmp, db)
    return ["crop", "..", "--database", "casme2", "--landmarks", "../landmarks.csv", "-o", "out"], []


def _resume_into_foreign_folder(tmp, db):
    data = _copy(tmp, db)
    (tmp / "out" / "Cropped").mkdir(parents=True)
    (tmp / "out" / "Cropped" / "my-notes.txt").write_text("the only copy")
    return _crop_words(data, tmp / "out", "--resume"), []


def _overwrite_foreign_folder(tmp, db):
    data = _copy(tmp, db)
    (tmp / "out").mkdir()
    (tmp / "out" / "recordings.txt").write_text("the only copy")
    return _crop_words(data, tmp / "out", "--overwrite"), []


def _run_overwrite_foreign(tmp, db):
    data = _copy(tmp, db)
    (tmp / "run" / "folds").mkdir(parents=True)
    (tmp / "run" / "folds" / "mine.csv").write_text("a,b\n1,2\n")
    return ["baseline", "constant", str(data), "--min-count", "1", "--overwrite", "-o", str(tmp / "run")], []


def _run_resume_foreign(tmp, db):
    data = _copy(tmp, db)
    (tmp / "run").mkdir()
    (tmp / "run" / "config.json").write_text('{"mine": true}')
    return ["baseline", "constant", str(data), "--min-count", "1", "--resume", "-o", str(tmp / "run")], []


def _absolute_pattern(tmp, db):
    data = _copy(tmp, db)
    pattern = str(data / "Cropped" / "sub{subject}" / "{clip}" / "reg_img{frame}.jpg")
    return ["crop", str(data), "--database", "csv", "--sheet", str(data / "labels.csv"), "--frames", pattern,
            "-o", str(tmp / "out")], []


def _output_is_input(tmp, db):
    data = _copy(tmp, db)
    return ["baseline", "constant", str(data), "--min-count", "1", "-o", str(data)], []


def _input_inside_output(tmp, db):
    data = _copy(tmp, db)
    return _crop_words(data, tmp, "--overwrite"), []


def _output_through_a_link_into_the_input(tmp, db):
    data = _copy(tmp, db)
    (tmp / "link").symlink_to(data, target_is_directory=True)
    return ["baseline", "constant", str(data), "--min-count", "1", "-o", str(tmp / "link" / "runs")], []


def _annotate_into_the_database_root(tmp, db):
    data = _copy(tmp, db)  # the sheet sits at the root, beside the frames, as the databases ship it
    return ["annotate", str(data / SHEET), "--database", "casme2", "-o", str(data / "labels.csv")], []


def _annotate_beside_a_sheet_alone(tmp, db):
    (tmp / "sheets").mkdir()
    shutil.copy(db / SHEET, tmp / "sheets" / SHEET)  # no frames here: writing beside the sheet is fine
    return ["annotate", str(tmp / "sheets" / SHEET), "--database", "casme2", "--min-count", "1",
            "-o", str(tmp / "sheets" / "labels.csv")], ["sheets/labels.csv", "sheets/labels.problems.csv"]


def _predict_into_an_input(tmp, db):
    data = _copy(tmp, db)
    folder = next((data / "Cropped").glob("sub*/*"))
    (tmp / "run").mkdir()
    (tmp / "run" / "config.json").write_text("{}")
    return ["predict", str(tmp / "run"), str(folder), "-o", str(folder / "predictions.csv")], []


# -- 2. overwritten without asking ----------------------------------------------------------------
def _figure_exists(tmp, db):
    data = _copy(tmp, db)
    (tmp / "fig.png").write_bytes(b"my figure")
    return _crop_words(data, tmp / "out", "--figure", str(tmp / "fig.png")), []


def _datasets_into_dot(tmp, db):
    data = _copy(tmp, db)
    (tmp / "datasets.toml").write_text(f'[[database]]\nname = "casme2"\nroot = "{data.name}"\n')
    return ["crop", "--datasets", "datasets.toml", "-o", "."], []


def _datasets_over_foreign_file(tmp, db):
    data = _copy(tmp, db)
    (tmp / "mine.toml").write_text(f'[[database]]\nname = "casme2"\nroot = "{data}"\n')
    (tmp / "out").mkdir()
    (tmp / "out" / "datasets.toml").write_text("# my own datasets file\n")
    return ["crop", "--datasets", str(tmp / "mine.toml"), "-o", str(tmp / "out")], []


# -- 3. writes and reads outside the given folders --------------------------------------------------
def _dotdot_pattern(tmp, db):
    data = _copy(tmp, db)
    return ["baseline", "constant", str(data), "--database", "csv", "--sheet", str(data / SHEET),
            "--frames", "../{subject}/{clip}/img{frame}.jpg", "-o", str(tmp / "run")], []


def _climbing_cell(tmp, db):
    """A sheet row whose Filename climbs out of the root, where frames really are: never followed."""
    import openpyxl

    data = _copy(tmp, db)
    book = openpyxl.load_workbook(data / SHEET)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    clip_column = header.index("Filename") + 1
    original = sheet.cell(row=2, column=clip_column).value
    subject = sheet.cell(row=2, column=header.index("Subject") + 1).value
    sheet.cell(row=2, column=clip_column).value = "../../../outside"
    book.save(data / SHEET)
    shutil.copytree(data / "Cropped" / f"sub{subject}" / original, tmp / "outside")  # bait outside the root
    return _crop_words(data, tmp / "out"), ["out"]


def _climbing_cell_run(tmp, db):
    words, _ = _climbing_cell(tmp, db)
    return ["baseline", "constant", str(tmp / "data"), "--min-count", "1", "--folds", "3", "-o", str(tmp / "run")], \
        ["run"]


def _climbing_label(tmp, db):
    data = _copy(tmp, db)
    (tmp / "d.toml").write_text(f'[[database]]\nname = "casme2"\nlabel = "../x"\nroot = "{data}"\n')
    return ["crop", "--datasets", str(tmp / "d.toml"), "-o", str(tmp / "out")], ["out"]


def _link_out_of_the_output(tmp, db):
    """A finished crop whose clip folder the user replaced by a link to their own data: --overwrite
    removes the link, never what it points to."""
    data = _crop_once(tmp, db)
    clip = next((tmp / "out" / "Cropped").glob("sub*/*"))
    (tmp / "precious").mkdir()
    (tmp / "precious" / "only-copy.jpg").write_bytes(b"frame")
    shutil.rmtree(clip)
    clip.symlink_to(tmp / "precious", target_is_directory=True)
    return _crop_words(data, tmp / "out", "--overwrite"), ["out"]


# -- 4. tracebacks instead of one line --------------------------------------------------------------
def _pattern_words(pattern):
    def setup(tmp, db):
        data = _copy(tmp, db)
        return ["baseline", "constant", str(data), "--database", "csv", "--sheet", str(data / SHEET),
                "--frames", pattern, "-o", str(tmp / "run")], []
    return setup


def _huge_size(tmp, db):
    data = _copy(tmp, db)
    return _crop_words(data, tmp / "out", "--size", "1000000"), []


# -- 5. options silently ignored or accepted --------------------------------------------------------
def _landmarks_with_videos(tmp, db):
    data = _copy(tmp, db)
    folder = next((data / "Cropped").glob("sub*/*"))
    return ["crop", str(folder), "--landmarks", str(data / "landmarks.csv"), "-o", str(tmp / "out")], []


def _misspelt_column(tmp, db):
    data = _copy(tmp, db)
    return ["baseline", "constant", str(data), "--database", "csv", "--sheet", str(data / SHEET),
            "--frames", "Cropped/sub{subject}/{clip}/reg_img{frame}.jpg", "--column", "subject=Subject",
            "--column", "clip=Filename", "--column", "onset=OnsetFrame", "--column", "offset=OffsetFrame",
            "--column", "apx=ApexFrame", "--column", "au_raw=Action Units", "-o", str(tmp / "run")], []


def _column_for_a_named_reader(tmp, db):
    data = _copy(tmp, db)
    return ["baseline", "constant", str(data), "--column", "apex=ApexFrame", "-o", str(tmp / "run")], []


def _magnify(value):
    def setup(tmp, db):
        data = _copy(tmp, db)
        return ["baseline", "lbpsip", str(data), "--min-count", "1", "--no-cache", "--magnify", value,
                "-o", str(tmp / "run")], []
    return setup


# -- 6. resume that mixes settings, states that block the next command ------------------------------
def _resume_other_size(tmp, db):
    data = _crop_once(tmp, db, "--size", "96")
    return _crop_words(data, tmp / "out", "--size", "128", "--resume"), []


def _landmarks_missing_a_sample(tmp, db):
    import pandas as pd

    data = _copy(tmp, db)
    table = pd.read_csv(data / "landmarks.csv")
    table[table["sample"] != table["sample"].iloc[-1]].to_csv(tmp / "partial.csv", index=False)
    return ["crop", str(data), "--database", "casme2", "--landmarks", str(tmp / "partial.csv"),
            "-o", str(tmp / "out")], []


def _no_out_left(tmp):
    assert not (tmp / "out").exists(), "a refused crop left its folder"


# -- 7. inputs treated as sound when they are not ----------------------------------------------------
def _folder_of_mixed_sizes(tmp, db):
    import cv2

    pytest.importorskip("dlib")
    (tmp / "clip").mkdir()
    for number, size in enumerate(((120, 100), (120, 100), (90, 80)), start=1):
        cv2.imwrite(str(tmp / "clip" / f"img{number}.png"), np.full((*size, 3), 100, np.uint8))
    return ["crop", str(tmp / "clip"), "-o", str(tmp / "out")], ["out"]


CASES = [
    # 1. data deleted
    Case("crop of the parent folder from inside it", _crop_parent_from_inside, "lies inside the input ..",
         cwd="data/Cropped"),
    Case("--resume into a folder meau did not write", _resume_into_foreign_folder, "not written by meau"),
    Case("--overwrite of a folder meau did not write", _overwrite_foreign_folder, "not written by meau"),
    Case("run --overwrite of a folder meau did not write", _run_overwrite_foreign, "not written by meau"),
    Case("run --resume into a folder meau did not write", _run_resume_foreign, "not written by meau"),
    Case("absolute frame pattern", _absolute_pattern, "must be a relative path"),
    Case("-o equal to the input", _output_is_input, "is the input"),
    Case("input inside -o", _input_inside_output, "lies inside -o"),
    Case("-o through a link into the input", _output_through_a_link_into_the_input, "lies inside the input"),
    Case("predict -o inside an input folder", _predict_into_an_input, "lies inside the input"),
    Case("a CASME II root read as SAMM's", lambda tmp, db: (["baseline", "constant", str(_copy(tmp, db)), "--database",
                                                             "samm", "-o", str(tmp / "run")], []),
         "reads as a sheet of CASME II (--database casme2)"),
    Case("a CASME II root read as SMIC's folders", lambda tmp, db: (["baseline", "constant", str(_copy(tmp, db)),
                                                                     "--database", "smic", "--target", "emotion",
                                                                     "-o", str(tmp / "run")], []),
         "holds the frames of CASME II (--database casme2)"),
    Case("annotate -o into the database root", _annotate_into_the_database_root,
         "lies inside the database root"),
    Case("annotate -o beside a sheet without frames", _annotate_beside_a_sheet_alone, "", exit_code=0,
         report="sheets/labels.csv"),
    # 2. overwritten without asking
    Case("crop --figure over an existing file", _figure_exists, "fig.png: exists; use --overwrite"),
    Case("crop --datasets -o . over the user's datasets file", _datasets_into_dot, "lies inside -o .", cwd="."),
    Case("crop --datasets into a folder with the user's datasets.toml", _datasets_over_foreign_file,
         "not written by meau"),
    # 3. writes and reads outside the given folders
    Case("'..' in a frame pattern", _dotdot_pattern, "no '..'"),
    Case("a sheet cell that climbs out of the root (crop)", _climbing_cell, "field {clip}", exit_code=0,
         report="out/validation.csv"),
    Case("a sheet cell that climbs out of the root (run)", _climbing_cell_run, "field {clip}", exit_code=0,
         report="run/validation.csv"),
    Case("a datasets label that climbs", _climbing_label, "", exit_code=0, report="out/datasets.toml",
         check=lambda tmp: (tmp / "out" / "x" / "crop.csv").is_file() or pytest.fail("no out/x")),
    Case("a link inside the output to the user's data", _link_out_of_the_output, "", exit_code=0,
         report="out/crop.csv", check=lambda tmp: (tmp / "precious" / "only-copy.jpg").is_file()
         or pytest.fail("the link's target was deleted")),
    # 4. tracebacks instead of one line
    Case("crop --size 1000000", _huge_size, "--size 1000000", check=_no_out_left),
    Case("format spec {frame:03q}", _pattern_words("Cropped/sub{subject}/{clip}/reg_img{frame:03q}.jpg"),
         "{frame:03q} is not a format spec"),
    Case("format spec {subject:>>>}", _pattern_words("Cropped/sub{subject:>>>}/{clip}/reg_img{frame}.jpg"),
         "{subject:>>>} is not a format spec"),
    Case("conversion in a pattern", _pattern_words("Cropped/sub{subject!r}/{clip}/reg_img{frame}.jpg"),
         "no conversions"),
    # 5. options silently ignored or accepted
    Case("--landmarks with video inputs", _landmarks_with_videos, "--landmarks", check=_no_out_left),
    Case("misspelt --column field", _misspelt_column, "apx"),
    Case("--column with a named reader", _column_for_a_named_reader, "--database csv"),
    Case("--magnify inf", _magnify("inf"), "--magnify inf"),
    Case("--magnify nan", _magnify("nan"), "--magnify nan"),
    # 6. resume that mixes settings; states that block the next command
    Case("crop --resume with another --size", _resume_other_size, "size: 96 before, 128 now"),
    Case("a crop refused for a missing landmark leaves nothing", _landmarks_missing_a_sample,
         "no landmarks for sample", check=_no_out_left),
    # 7. inputs treated as sound when they are not
    Case("a frame folder whose frames differ in size", _folder_of_mixed_sizes, "frame size", exit_code=0,
         report="out/validation.csv"),
]


def _check(result, case: Case, tmp: Path, before: dict, outputs):
    check_outcome(result, case.name, case.exit_code, case.expect, tmp / case.report if case.report else None)
    after = snapshot(tmp, skip=outputs)
    assert after == before, (case.name, {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                                         if before.get(k) != after.get(k)})
    if case.check is not None:
        case.check(tmp)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_guard(case, small_db, tmp_path, monkeypatch):
    monkeypatch.setenv("MEAU_CACHE", str(tmp_path.parent / f"{tmp_path.name}-cache"))
    words, outputs = case.setup(tmp_path, small_db)
    before = snapshot(tmp_path, skip=outputs)
    if case.cwd:
        monkeypatch.chdir(tmp_path / case.cwd)
    result = CliRunner().invoke(cli, words, obj={})
    _check(result, case, tmp_path, before, outputs)


# -- cases with a second step or an API call -----------------------------------------------------------
def test_crop_of_dot_names_the_folder_and_keeps_earlier_results(tmp_path, monkeypatch):
    """``crop ../take1.mp4 . -o ../faces``: the '.' input is named after its folder, never the output itself."""
    pytest.importorskip("dlib")
    import cv2

    from .faces_fixtures import astronaut_head, cluttered_background, paste, paste_matrix

    head = astronaut_head()
    for name in ("work", "other"):
        folder = tmp_path / name
        folder.mkdir()
        background = cluttered_background((240, 320), seed=1)
        for number in range(1, 4):
            frame = paste(background, head, paste_matrix(0, 0.7, (160 + number, 120), head.shape))
            cv2.imwrite(str(folder / f"img{number}.jpg"), frame[..., ::-1])
    runner = CliRunner()
    first = runner.invoke(cli, ["crop", str(tmp_path / "other"), "-o", str(tmp_path / "faces")], obj={})
    assert first.exit_code == 0, first.output
    earlier = snapshot(tmp_path / "faces" / "other")
    before = snapshot(tmp_path, skip=["faces"])
    monkeypatch.chdir(tmp_path / "work")
    second = runner.invoke(cli, ["crop", ".", "-o", "../faces", "--resume"], obj={})
    assert second.exit_code == 0, second.output
    assert (tmp_path / "faces" / "work" / "frame000001.jpg").is_file()
    assert snapshot(tmp_path / "faces" / "other") == earlier
    assert snapshot(tmp_path, skip=["faces"]) == before


def test_disk_full_mid_crop_leaves_no_half_folder_and_resume_finishes(small_db, tmp_path, monkeypatch):
    import errno

    import meau.crop as crop_module

    data = _copy(tmp_path, small_db)
    real = crop_module._write_image
    written = []

    def full(path, frame, quality):
        if len(written) == 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        real(path, frame, quality)

    monkeypatch.setattr(crop_module, "_write_image", full)
    before = snapshot(tmp_path, skip=["out"])
    result = CliRunner().invoke(cli, _crop_words(data, tmp_path / "out", "--n-jobs", "1"), obj={})  # patched here
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert not list((tmp_path / "out").rglob("*.partial")), "a half-written clip folder was left"
    assert snapshot(tmp_path, skip=["out"]) == before
    monkeypatch.setattr(crop_module, "_write_image", real)
    again = CliRunner().invoke(cli, _crop_words(data, tmp_path / "out", "--resume"), obj={})
    assert again.exit_code == 0, again.output
    assert "kept from before" in again.output
    assert snapshot(tmp_path, skip=["out"]) == before


def test_read_only_output_is_one_line(small_db, tmp_path, monkeypatch):
    """A folder that refuses writes (simulated: the tests may run as root, which ignores permissions)."""
    import errno
    import tempfile

    data = _copy(tmp_path, small_db)
    real = tempfile.mkstemp

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and str(tmp_path / "run") in str(dir):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    before = snapshot(tmp_path, skip=["run"])
    result = CliRunner().invoke(cli, ["baseline", "constant", str(data), "--min-count", "1",
                                      "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "Permission denied" in errors[0] and "run" in errors[0]
    assert snapshot(tmp_path, skip=["run"]) == before


def test_a_datasets_file_meau_wrote_reads_back_with_quotes_in_labels(small_db, tmp_path):
    data = _copy(tmp_path, small_db)
    (tmp_path / "d.toml").write_text(f'[[database]]\nname = "casme2"\nlabel = \'CASME "II" \\\\ 2\'\n'
                                     f'root = "{data}"\n')
    runner = CliRunner()
    cropped = runner.invoke(cli, ["crop", "--datasets", str(tmp_path / "d.toml"), "--landmarks", "x", "-o",
                                  str(tmp_path / "out")], obj={})
    assert cropped.exit_code == 1 and "--landmarks" in cropped.stderr  # landmarks need --database
    cropped = runner.invoke(cli, ["crop", "--datasets", str(tmp_path / "d.toml"), "-o", str(tmp_path / "out")],
                            obj={}) if _has_dlib() else None
    if cropped is None:
        pytest.skip("dlib is not installed")
    assert cropped.exit_code == 0, cropped.output
    assert (tmp_path / "out" / "CASME_II_2").is_dir()  # a safe folder name for the label
    from meau.databases.composite import read_datasets_file

    entries = read_datasets_file(tmp_path / "out" / "datasets.toml")
    assert entries[0]["label"] == read_datasets_file(tmp_path / "d.toml")[0]["label"] == 'CASME "II" \\\\ 2'


def _has_dlib() -> bool:
    try:
        import dlib  # noqa: F401
    except ImportError:
        return False
    return True


# -- the API ---------------------------------------------------------------------------------------------
def test_load_dataset_names_a_misspelt_keyword_and_a_missing_root(small_db, tmp_path):
    import meau
    from meau.errors import MeauError

    with pytest.raises(TypeError, match="apply_fix.*did you mean 'apply_fixes'"):
        meau.load_dataset(small_db, apply_fix=True)
    with pytest.raises(MeauError, match="nowhere: database root is not a folder"):
        meau.load_dataset(tmp_path / "nowhere", sheet=small_db / SHEET)


def test_clip_dataset_refuses_bad_indices_and_empty_clips(small_db):
    pytest.importorskip("torch")
    import meau
    from meau.deep import ClipDataset, ClipSpec

    dataset = meau.load_dataset(small_db, min_count=1)
    with pytest.raises(IndexError, match="sample index 99 is outside the dataset's 8 samples"):
        ClipDataset(dataset, ClipSpec(short_side=32, crop=28), indices=[0, 99])
    served = ClipDataset(dataset, ClipSpec(short_side=32, crop=28))
    with pytest.raises(IndexError, match="item 8 is outside its 8 samples"):
        served[8]
    for spec in (ClipSpec(frames=0), ClipSpec(crop=0), ClipSpec(short_side=32, crop=64)):
        with pytest.raises(ValueError, match="ClipSpec"):
            ClipDataset(dataset, spec)


def test_magnify_takes_float_frames_on_the_0_255_scale():
    from meau.magnify import magnify

    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (8, 32, 32)).astype(np.uint8)
    as_uint8 = magnify(clip, 10.0)
    as_float = magnify(clip.astype(np.float64), 10.0)
    assert as_float.dtype == np.float32 and as_float.min() >= 0 and as_float.max() <= 255
    assert np.abs(np.rint(as_float) - as_uint8).max() <= 1  # the same magnification, not rounded
    with pytest.raises(Exception, match="NaN"):
        magnify(np.full((4, 8, 8), np.nan), 5.0)


def test_window_bounds_stay_integers_when_an_input_fails(small_db, tmp_path):
    from meau.prediction import predict_inputs

    runner = CliRunner()
    result = runner.invoke(cli, ["baseline", "lbpsip", str(small_db), "--min-count", "1", "--no-cache",
                                 "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 0, result.output
    folder = next((small_db / "Cropped").glob("sub*/*"))
    table = predict_inputs(tmp_path / "run", [folder, tmp_path / "missing"], window=4, stride=2, echo=lambda *_: None)
    assert str(table["window_start"].dtype) == "Int64" and str(table["window_end"].dtype) == "Int64"
    import pandas as pd

    table.to_csv(tmp_path / "out.csv", index=False)
    written = pd.read_csv(tmp_path / "out.csv", dtype=str)
    bounds = written[["window_start", "window_end"]].dropna().to_numpy().ravel()
    assert len(bounds) and all(value.isdigit() for value in bounds), bounds  # 12, never 12.0
