"""Bad input and system faults, one case each: exit code, one line naming the file/row/option, no
traceback, nothing half-written; data never runs code.

Every case builds its scenario in its own folder, runs one ``meau`` command through click's test
runner and checks the same four things. Cases where meau reports and goes on (a damaged frame) say
where the report is and what it must name.
"""

from __future__ import annotations

import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from click.testing import CliRunner

from meau.cli import cli
from tests.outcomes import check_outcome
from tests.sheets import write_casme2

SHEET = "CASME2-coding-synth.xlsx"
TINY_TRAIN = ["--min-count", "3", "--widen-factor", "0.0625", "--epochs", "1", "--batch-size", "8",
              "--short-side", "32", "--crop", "28", "--tim-frames", "12", "--clip-frames", "8", "--device", "cpu"]
MARKER = "payload-ran"


class Payload:
    """Unpickling this runs ``open(<marker>, 'w')``: proof that a loader executed code from a file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@dataclass
class Case:
    name: str
    setup: Callable  # (tmp, db) -> list of command-line words
    expect: str  # a substring of the error line (exit 1), or of the report named by `report`
    exit_code: int = 1
    report: str | None = None  # for exit 0: the file (relative to tmp) whose text must contain `expect`
    absent: list[str] = field(default_factory=list)  # outputs (relative to tmp) that must not exist


def _copy_db(tmp: Path, db: Path) -> Path:
    copy = tmp / "db"
    shutil.copytree(db, copy)
    return copy


def _first_frames(db: Path) -> list[Path]:
    """The frame files of the first coded sample, in order."""
    from meau.databases import load_dataset

    return list(load_dataset(db, "casme2", db / SHEET, aus="auto", min_count=3).table["frames"][0])


def _damage(kind: str):
    def setup(tmp, db):
        copy = _copy_db(tmp, db)
        frame = _first_frames(copy)[1]
        data = frame.read_bytes()
        if kind == "truncated":
            frame.write_bytes(data[: len(data) // 2])
        elif kind == "empty":
            frame.write_bytes(b"")
        elif kind == "wrong-size":
            import cv2

            frame.write_bytes(cv2.imencode(".jpg", np.zeros((50, 60, 3), np.uint8))[1].tobytes())
        elif kind == "garbage":
            frame.write_bytes(b"a text file, not an image")
        return ["baseline", "constant", str(copy), "--min-count", "3", "-o", str(tmp / "run")]
    return setup


def _strict_damage(tmp, db):
    words = _damage("truncated")(tmp, db)
    return words + ["--strict"]


def _deep_run_folder(tmp: Path, payload_in: str) -> Path:
    """A run folder whose checkpoint carries a pickle payload (what a tampered shared folder would hold)."""
    import json

    import torch

    run = tmp / "shared_run"
    (run / "checkpoints" / "fold_0").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"method": "Res3D-18+SCA", "parameters": {"model": {}}}))
    torch.save({"model": {}, "config": Payload(tmp / MARKER), "au_columns": ["AU04"]},
               run / "checkpoints" / "fold_0" / payload_in)
    return run


def _predict_payload(tmp, db):
    run = _deep_run_folder(tmp, "best.pt")
    return ["predict", str(run), str(_first_frames(db)[0].parent), "-o", str(tmp / "p.csv")]


def _explain_payload(tmp, db):
    import json

    run = _deep_run_folder(tmp, "best.pt")
    config = json.loads((run / "config.json").read_text())
    config["parameters"].update(data_root=str(db), database="casme2", aus="auto", min_count=3)
    (run / "config.json").write_text(json.dumps(config))
    folder = _first_frames(db)[0].parent
    (run / "splits.csv").write_text("database,subject,clip,onset,fold\n")

    from meau.databases import load_dataset

    table = load_dataset(db, "casme2", db / SHEET, aus="auto", min_count=3).table
    rows = table[["database", "subject", "clip", "onset"]].assign(fold=0)
    rows.to_csv(run / "splits.csv", index=False)
    key = f"{folder.parent.name[3:]}/{folder.name}"
    return ["explain", str(run), "--clips", key, "-o", str(tmp / "cam")]


def _resume_payload(tmp, db):
    import torch

    from meau.outputs import OutputFolder

    run = tmp / "resumed"
    (run / "checkpoints" / "fold_0").mkdir(parents=True)
    OutputFolder(run, "run").mark()  # a shared run folder, tampered with: meau's marker is there
    torch.save({"model": Payload(tmp / MARKER)}, run / "checkpoints" / "fold_0" / "last.pt")
    return ["train", "sca", str(db), *TINY_TRAIN, "--cache", str(tmp / "cache"), "--fold", "0", "--resume",
            "-o", str(run)]


def _handcrafted_run(tmp, db) -> Path:
    run = tmp / "lbpsip"
    result = CliRunner().invoke(cli, ["baseline", "lbpsip", str(db), "--min-count", "3", "--no-cache", "-o", str(run)],
                                obj={})
    assert result.exit_code == 0, result.output
    return run


def _old_joblib_run(tmp, db):
    run = _handcrafted_run(tmp, db)
    (run / "model.npz").unlink()
    (run / "model.json").unlink()
    with open(run / "model.joblib", "wb") as handle:
        pickle.dump(Payload(tmp / MARKER), handle)
    return ["predict", str(run), str(_first_frames(db)[0].parent), "-o", str(tmp / "p.csv")]


def _object_array_run(tmp, db):
    run = _handcrafted_run(tmp, db)
    np.savez(run / "model.npz", evil=np.array([Payload(tmp / MARKER)], dtype=object))
    return ["predict", str(run), str(_first_frames(db)[0].parent), "-o", str(tmp / "p.csv")]


def _garbage_model_json(tmp, db):
    run = _handcrafted_run(tmp, db)
    (run / "model.json").write_text("{not json")
    return ["predict", str(run), str(_first_frames(db)[0].parent), "-o", str(tmp / "p.csv")]


def _sheet(rows):
    def setup(tmp, db):
        write_casme2(tmp / "sheet.xlsx", rows)
        return ["annotate", str(tmp / "sheet.xlsx"), "--database", "casme2", "--min-count", "1",
                "-o", str(tmp / "labels.csv")]
    return setup


def _duplicate_rows(tmp, db):
    rows = [("01", "EP02_01f", None, 46, 47, 48, None, "4", "others"),
            ("01", "EP02_01f", None, 46, 47, 48, None, "4+12", "others"),
            ("02", "EP03_01", None, 5, 6, 8, None, "12", "happiness")]
    write_casme2(tmp / "sheet.xlsx", rows)
    return ["annotate", str(tmp / "sheet.xlsx"), "--database", "casme2", "--min-count", "1",
            "-o", str(tmp / "labels.csv"), "--problems", str(tmp / "problems.csv")]


def _run_in_file(tmp, db):
    (tmp / "afile").write_text("x")
    return ["baseline", "constant", str(db), "--min-count", "3", "-o", str(tmp / "afile" / "run")]


def _non_empty_run(tmp, db):
    (tmp / "run").mkdir()
    (tmp / "run" / "notes.txt").write_text("mine")
    return ["baseline", "constant", str(db), "--min-count", "3", "-o", str(tmp / "run")]


def _bad_splits(content):
    def setup(tmp, db):
        (tmp / "splits.csv").write_text(content)
        return ["baseline", "constant", str(db), "--min-count", "3", "--splits", str(tmp / "splits.csv"),
                "-o", str(tmp / "run")]
    return setup


def _several_sheets(tmp, db):
    copy = _copy_db(tmp, db)
    shutil.copy(copy / SHEET, copy / "CASME2-coding-copy.xlsx")
    return ["baseline", "constant", str(copy), "--min-count", "3", "-o", str(tmp / "run")]


def _no_sheet(tmp, db):
    (tmp / "empty_root" / "Cropped" / "sub01").mkdir(parents=True)
    return ["baseline", "constant", str(tmp / "empty_root"), "-o", str(tmp / "run")]


def _existing_output(tmp, db):
    (tmp / "labels.csv").write_text("keep me")
    return ["annotate", str(db / SHEET), "--database", "casme2", "--min-count", "3", "-o", str(tmp / "labels.csv")]


def _corrupt_pretrained(tmp, db):
    (tmp / "weights.pth").write_bytes(b"\x80\x04 definitely not weights")
    return ["train", "sca", str(db), *TINY_TRAIN, "--pretrained", str(tmp / "weights.pth"), "-o", str(tmp / "run")]


def _words(*words, db_first=True):
    def setup(tmp, db):
        return [str(tmp / w[1:]) if w.startswith("@") else (str(db) + w[2:] if w.startswith("DB") else w)
                for w in words]
    return setup


def _report_mixed(tmp, db):
    import json

    for name, aus in (("a", ["AU04"]), ("b", ["AU12"])):
        run = tmp / name
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"method": name, "parameters": {"database": "casme2"},
                                                     "dataset": {"positives": {a: 1 for a in aus}}}))
        metrics = {"aus": aus, "pooled": {**{a: {"f1": 0.5, "positives": 1} for a in aus}, "AVG": {"f1": 0.5}},
                   "per_fold": {}}
        (run / "metrics.json").write_text(json.dumps(metrics))
    return ["report", str(tmp / "a"), str(tmp / "b")]


def _apex_after_offset(tmp, db):
    import openpyxl

    copy = _copy_db(tmp, db)
    workbook = openpyxl.load_workbook(copy / SHEET)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    apex, offset = header.index("ApexFrame") + 1, header.index("OffsetFrame") + 1
    sheet.cell(row=3, column=apex).value = int(sheet.cell(row=3, column=offset).value) + 10
    workbook.save(copy / SHEET)
    return ["baseline", "flow", str(copy), "--min-count", "3", "--no-cache", "-o", str(tmp / "run")]


def _still_clip(tmp, db):
    copy = _copy_db(tmp, db)
    frames = _first_frames(copy)
    for frame in frames[1:]:
        frame.write_bytes(frames[0].read_bytes())
    return ["baseline", "flow", str(copy), "--min-count", "3", "--no-cache", "--apex", "estimate",
            "-o", str(tmp / "run")]


def _frozen_lbptop(tmp, db):
    _still_clip(tmp, db)  # the same database, run by LBP-TOP instead of flow
    return ["baseline", "lbptop", str(tmp / "db"), "--min-count", "3", "--no-cache", "-o", str(tmp / "run")]


CASES = [
    # -- coding sheets ----------------------------------------------------------------------
    Case("sheet missing", _words("annotate", "@nope.xlsx", "--database", "casme2", "-o", "@labels.csv"),
         "nope.xlsx", absent=["labels.csv"]),
    Case("sheet not a spreadsheet", lambda tmp, db: ((tmp / "s.xlsx").write_bytes(b"garbage"),
                                                     ["annotate", str(tmp / "s.xlsx"), "--database", "casme2",
                                                      "-o", str(tmp / "labels.csv")])[1],
         "s.xlsx", absent=["labels.csv"]),
    Case("sheet of unknown format", lambda tmp, db: ((tmp / "s.txt").write_text("x"),
                                                     ["annotate", str(tmp / "s.txt"), "--database", "casme2",
                                                      "-o", str(tmp / "labels.csv")])[1],
         "s.txt: no header row", absent=["labels.csv"]),
    Case("AU cell that is not an AU", _sheet([("01", "EP02_01f", None, 46, 47, 48, None, "4+12x", "others")]),
         "row 2", absent=["labels.csv"]),
    Case("AU cell with a long text", _sheet([("01", "EP02_01f", None, 46, 47, 48, None, "4+" + "x9y " * 80, "others")]),
         "…'", absent=["labels.csv"]),
    Case("frame number not a number", _sheet([("01", "EP02_01f", None, "4x6", 47, 48, None, "4", "others"),
                                              ("01", "EP02_02f", None, 46, 47, 48, None, "4", "others")]),
         "'4x6' is not a number", exit_code=0, report="labels.problems.csv"),
    Case("duplicated sample", _duplicate_rows, "duplicate-sample", exit_code=0, report="problems.csv"),
    Case("AU never coded", _words("annotate", "DB/" + SHEET, "--database", "casme2", "--aus", "99",
                                  "-o", "@labels.csv"), "AU99 never coded", absent=["labels.csv"]),
    Case("--aus not numbers", _words("annotate", "DB/" + SHEET, "--database", "casme2", "--aus", "brows",
                                     "-o", "@labels.csv"), "--aus must be 'auto' or AU numbers", absent=["labels.csv"]),
    Case("--min-count above every AU", _words("annotate", "DB/" + SHEET, "--database", "casme2", "--min-count", "999",
                                              "-o", "@labels.csv"), "lower --min-count", absent=["labels.csv"]),
    Case("output exists", _existing_output, "labels.csv: exists; use --overwrite"),
    # -- databases and frames ---------------------------------------------------------------
    Case("data root missing", _words("baseline", "constant", "@nowhere", "-o", "@run"), "nowhere", absent=["run"]),
    Case("no coding sheet in the root", _no_sheet, "no coding sheet found; pass --sheet", absent=["run"]),
    Case("several coding sheets", _several_sheets, "several coding sheets", absent=["run"]),
    Case("truncated JPEG frame", _damage("truncated"), "truncated JPEG", exit_code=0, report="run/validation.csv"),
    Case("zero-byte frame", _damage("empty"), "empty file (0 bytes)", exit_code=0, report="run/validation.csv"),
    Case("frame of the wrong size", _damage("wrong-size"), "frame size 50 x 60 differs", exit_code=0,
         report="run/validation.csv"),
    Case("unreadable frame", _damage("garbage"), "not a JPEG", exit_code=0, report="run/validation.csv"),
    Case("truncated frame with --strict", _strict_damage, "truncated JPEG", absent=["run/config.json"]),
    # -- protocol and run folders -----------------------------------------------------------
    Case("--fold out of range", _words("baseline", "constant", "DB", "--min-count", "3", "--fold", "99", "-o", "@run"),
         "--fold 99", absent=["run/metrics.json"]),
    Case("--seeds not integers", _words("baseline", "constant", "DB", "--min-count", "3", "--seeds", "a,b",
                                        "-o", "@run"), "--seeds expects integers", absent=["run/config.json"]),
    Case("--seeds with --fold", _words("baseline", "constant", "DB", "--min-count", "3", "--seeds", "0,1",
                                       "--fold", "0", "-o", "@run"), "--fold and --seeds do not combine",
         absent=["run/metrics.json"]),
    Case("splits of another database", _bad_splits("database,subject,clip,onset,fold\ncasme2,99,EPX,1,0\n"),
         "splits.csv", absent=["run/metrics.json"]),
    Case("splits file without a fold column", _bad_splits("a,b\n1,2\n"), "splits.csv", absent=["run/metrics.json"]),
    Case("run folder not empty", _non_empty_run, "run folder is not empty; use --resume"),
    Case("run folder inside a file", _run_in_file, "afile"),
    Case("--n-jobs 0 for a baseline", _words("baseline", "lbpsip", "DB", "--min-count", "3", "--n-jobs", "0",
                                             "-o", "@run"), "--n-jobs 0", absent=["run"]),
    Case("--n-jobs 0 for synth", _words("synth", "@synthdb", "--n-jobs", "0"), "--n-jobs 0", absent=["synthdb"]),
    Case("--grid malformed", _words("baseline", "lbptop", "DB", "--min-count", "3", "--grid", "5by5", "-o", "@run"),
         "--grid expects ROWSxCOLS", absent=["run/metrics.json"]),
    Case("--radii of two numbers", _words("baseline", "lbptop", "DB", "--min-count", "3", "--radii", "3,3",
                                          "-o", "@run"), "--radii expects three numbers", absent=["run/metrics.json"]),
    Case("--rho not numbers", _words("baseline", "lpqtop", "DB", "--min-count", "3", "--rho", "high",
                                     "-o", "@run"), "--rho expects two numbers", absent=["run/metrics.json"]),
    Case("--plant unknown AU", _words("synth", "@synthdb", "--plant", "4,eyes"), "--plant", absent=["synthdb"]),
    Case("report of runs with other AUs", _report_mixed, "AU"),
    Case("report of a folder that is no run", lambda tmp, db: ((tmp / "empty").mkdir(),
                                                               ["report", str(tmp / "empty")])[1],
         "not a finished run folder"),
    Case("demo method unknown", _words("demo", "--methods", "constant,magic", "--subjects", "6", "--samples", "36",
                                       "--intensity", "6", "--cache", "@cache", "-o", "@demo"),
         "demo method(s) magic not available"),
    Case("flow with an apex after the offset", _apex_after_offset, "row 3", absent=["run/metrics.json"]),
    # a frozen clip (a stalled camera, a copied frame) is listed and skipped; the run goes on
    Case("flow of a clip of one distinct frame", _still_clip, "optical flow needs two distinct frames",
         exit_code=0, report="run/validation.csv"),
    Case("LBP-TOP of a clip of one distinct frame", _frozen_lbptop, "TIM needs at least 2 distinct frames",
         exit_code=0, report="run/validation.csv"),
    Case("unknown flow model", _words("train", "flow", "DB", "--min-count", "3", "--model", "flownet9", "-o", "@run"),
         "unknown flow model 'flownet9'", absent=["run"]),
    Case("datasets file missing", _words("baseline", "flow", "--datasets", "@nope.toml", "-o", "@run"),
         "nope.toml: no such datasets file", absent=["run"]),
    # -- deep training ----------------------------------------------------------------------
    Case("pretrained file corrupt", _corrupt_pretrained, "weights.pth: cannot read weights", absent=["run"]),
    Case("unknown backbone", _words("train", "sca", "DB", *TINY_TRAIN, "--backbone", "res3d7", "-o", "@run"),
         "unknown backbone 'res3d7'", absent=["run"]),
    Case("crop larger than the short side", _words("train", "sca", "DB", *TINY_TRAIN[:-8], "--short-side", "32",
                                                   "--crop", "64", "-o", "@run"), "--crop 64 is larger",
         absent=["run"]),
    Case("temporal jitter with mean sampling", _words("train", "sca", "DB", *TINY_TRAIN, "--sampling", "mean",
                                                      "--temporal-jitter", "2", "-o", "@run"),
         "--temporal-jitter needs --sampling uniform", absent=["run"]),
    Case("resume from a checkpoint with a pickle payload", _resume_payload, "last.pt: refused"),
    # -- shared run folders: data never runs code -------------------------------------------
    Case("predict from a checkpoint with a pickle payload", _predict_payload, "best.pt: refused",
         absent=["p.csv"]),
    Case("explain from a checkpoint with a pickle payload", _explain_payload, "best.pt: refused",
         absent=["cam"]),
    Case("predict from an old pickled model.joblib", _old_joblib_run, "model.joblib: refused", absent=["p.csv"]),
    Case("predict from a model.npz holding objects", _object_array_run, "unreadable final models", absent=["p.csv"]),
    Case("predict from a damaged model.json", _garbage_model_json, "unreadable final models", absent=["p.csv"]),
    Case("predict from a folder that is no run", lambda tmp, db: ((tmp / "empty").mkdir(),
                                                                  ["predict", str(tmp / "empty"), str(db),
                                                                   "-o", str(tmp / "p.csv")])[1],
         "not a run folder (no config.json)", absent=["p.csv"]),
]
if not __import__("torch").cuda.is_available():
    CASES.append(Case("CUDA asked for where none exists", _words("train", "sca", "DB", *TINY_TRAIN[:-2],
                                                                 "--device", "cuda", "-o", "@run"),
                      "CUDA is not available", absent=["run/metrics.json"]))


def _check(result, case: Case, tmp: Path):
    check_outcome(result, case.name, case.exit_code, case.expect, tmp / case.report if case.report else None)
    for name in case.absent:
        assert not (tmp / name).exists(), (case.name, name)
    leftovers = [p for p in tmp.rglob("*.tmp")]
    assert not leftovers, (case.name, leftovers)
    assert not (tmp / MARKER).exists(), f"{case.name}: the payload ran"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault(case, tiny_db, tmp_path, monkeypatch):
    monkeypatch.setenv("MEAU_CACHE", str(tmp_path / "meau-cache"))
    words = case.setup(tmp_path, tiny_db)
    result = CliRunner().invoke(cli, words, obj={})
    _check(result, case, tmp_path)


def test_disk_full_is_one_line_and_leaves_nothing_half_written(tiny_db, tmp_path, monkeypatch):
    import errno

    import pandas as pd

    real = pd.DataFrame.to_csv

    def full(self, path=None, *args, **kwargs):
        if path is not None and "predictions" in str(getattr(path, "name", path)) or "splits" in str(path):
            Path(path).write_bytes(b"half a fi")  # what a full disk leaves behind
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    result = CliRunner().invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3",
                                      "-o", str(tmp_path / "run")], obj={})
    case = Case("disk full", None, "No space left on device", absent=["run/splits.csv", "run/metrics.json"])
    _check(result, case, tmp_path)


def test_interrupted_run_says_how_to_resume(tiny_db, tmp_path, monkeypatch):
    from meau.experiment import ConstantBaseline

    def interrupted(self, dataset, rotation, run):
        raise KeyboardInterrupt

    monkeypatch.setattr(ConstantBaseline, "run_fold", interrupted)
    result = CliRunner().invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3",
                                      "-o", str(tmp_path / "run")], obj={})
    _check(result, Case("interrupted", None, "interrupted; finished folds are kept, --resume continues",
                        absent=["run/metrics.json", "run/folds/fold_0.csv"]), tmp_path)


def test_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["--debug", "annotate", str(tmp_path / "nope.xlsx"), "--database", "casme2",
                                      "-o", str(tmp_path / "l.csv")], obj={})
    assert result.exit_code == 1 and result.exception is not None and not isinstance(result.exception, SystemExit)


def test_written_files_follow_the_umask(tiny_db, tmp_path):
    previous = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3",
                                          "-o", str(tmp_path / "run")], obj={})
        assert result.exit_code == 0, result.output
        for name in ("config.json", "splits.csv", "metrics.json", "predictions.csv", "validation.csv"):
            assert (tmp_path / "run" / name).stat().st_mode & 0o777 == 0o644, name
        os.umask(0o002)
        result = CliRunner().invoke(cli, ["baseline", "constant", str(tiny_db), "--min-count", "3",
                                          "-o", str(tmp_path / "group")], obj={})
        assert (tmp_path / "group" / "metrics.json").stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(previous)


def test_an_old_pickled_handcrafted_run_is_recreated_with_resume(tiny_db, tmp_path):
    """The refusal's advice works: the same command with --resume keeps the folds and writes model.npz/json."""
    words = _old_joblib_run(tmp_path, tiny_db)
    runner = CliRunner()
    refused = runner.invoke(cli, words, obj={})
    assert refused.exit_code == 1 and "--resume" in refused.stderr
    predictions = (tmp_path / "lbpsip" / "predictions.csv").read_text()
    again = runner.invoke(cli, ["baseline", "lbpsip", str(tiny_db), "--min-count", "3", "--no-cache", "--resume",
                                "-o", str(tmp_path / "lbpsip")], obj={})
    assert again.exit_code == 0, again.output
    assert "already done, kept" in again.output
    assert (tmp_path / "lbpsip" / "predictions.csv").read_text() == predictions
    assert runner.invoke(cli, words, obj={}).exit_code == 0
    assert not (tmp_path / MARKER).exists()
