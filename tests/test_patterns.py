"""Frame patterns: any folder layout enters through ``frames = "{subject}/{clip}/img{frame}.jpg"``."""

import os
import random

import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.databases import load_dataset
from meau.databases.layouts import FramePattern
from meau.errors import MeauError


def _jpeg():
    import cv2
    import numpy as np

    return cv2.imencode(".jpg", np.full((8, 8), 128, np.uint8))[1].tobytes()


SAMPLES = [  # subject, clip, emotion, onset, apex, offset, AUs
    ("p7", "take1", "happy", 3, 5, 7, "12"),
    ("p7", "take2", "surprise", 1, 2, 4, "1+2"),
    ("q12", "take1", "sad", 10, 11, 13, "4+15"),
]
LAYOUTS = {  # pattern -> the file of (subject, clip, emotion, frame); each layout also holds distractors
    "{subject}/{clip}/img{frame}.jpg": lambda s, c, e, n: f"{s}/{c}/img{n}.jpg",
    "{subject}/{clip}/{clip}-{frame:03d}.jpg": lambda s, c, e, n: f"{s}/{c}/{c}-{n:03d}.jpg",
    "Micro_Expression/{emotion}/{clip}_{subject}/{frame}.jpg": lambda s, c, e, n: f"Micro_Expression/{e}/{c}_{s}/{n}.jpg",
    # two samples' files in one subject folder: each keeps its own numbers
    "faces/{subject}/{clip}_{frame:04d}.png": lambda s, c, e, n: f"faces/{s}/{c}_{n:04d}.png",
}


def _database(root, pattern, extra_frames=2):
    jpeg = _jpeg()
    writer = LAYOUTS[pattern]
    for subject, clip, emotion, onset, _, offset, _ in SAMPLES:
        for number in range(max(onset - extra_frames, 0), offset + extra_frames + 1):
            path = root / writer(subject, clip, emotion, number)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(jpeg)
        (path.parent / "Thumbs.db").write_bytes(b"x")  # a stray file the pattern must ignore
    pd.DataFrame(SAMPLES, columns=["who", "video", "feeling", "start", "peak", "end", "aus"]).to_csv(
        root / "sheet.csv", index=False)
    return root / "sheet.csv"


COLUMNS = {"subject": "who", "clip": "video", "emotion": "feeling", "onset": "start", "apex": "peak", "offset": "end",
           "au_raw": "aus"}


@pytest.mark.parametrize("pattern", list(LAYOUTS))
def test_every_sample_finds_exactly_its_frames(tmp_path, pattern):
    sheet = _database(tmp_path, pattern)
    dataset = load_dataset(tmp_path, "csv", sheet, frames=pattern, columns=COLUMNS, aus="auto", min_count=1)
    assert len(dataset.table) == len(SAMPLES)
    writer = LAYOUTS[pattern]
    for row, (subject, clip, emotion, onset, _, offset, _) in zip(dataset.table.itertuples(), SAMPLES):
        assert row.frame_numbers == list(range(onset, offset + 1))
        assert [str(p.relative_to(tmp_path)) for p in row.frames] == \
            [writer(subject, clip, emotion, n) for n in range(onset, offset + 1)]
    assert dataset.layout == f"pattern {pattern}"


def test_subject_field_keeps_foreign_names_and_format_specs_pad(tmp_path):
    # a numeric subject cell '7' read as '07' (meau pads digit subjects) is written unpadded by {subject:d}
    jpeg = _jpeg()
    for n in range(1, 4):
        (tmp_path / "7" / "a").mkdir(parents=True, exist_ok=True)
        (tmp_path / "7" / "a" / f"a-{n:03d}.jpg").write_bytes(jpeg)
    pd.DataFrame([("7", "a", 1, 2, 3, "4")], columns=["subject", "clip", "onset", "apex", "offset", "au"]).to_csv(
        tmp_path / "s.csv", index=False)
    dataset = load_dataset(tmp_path, "csv", tmp_path / "s.csv", frames="{subject:d}/{clip}/{clip}-{frame:03d}.jpg",
                           aus="4", min_count=1)
    assert dataset.table["subject"][0] == "07" and dataset.table["frame_numbers"][0] == [1, 2, 3]


def test_shuffled_directory_listing_changes_nothing(tmp_path, monkeypatch):
    pattern = "{subject}/{clip}/{clip}-{frame:03d}.jpg"
    sheet = _database(tmp_path, pattern, extra_frames=20)
    first = load_dataset(tmp_path, "csv", sheet, frames=pattern, columns=COLUMNS, aus="auto", min_count=1)
    real_scandir = os.scandir

    class Shuffled:
        def __init__(self, path):
            self.entries = list(real_scandir(path))
            random.Random(3).shuffle(self.entries)

        def __enter__(self):
            return iter(self.entries)

        def __exit__(self, *args):
            return False

        def __iter__(self):
            return iter(self.entries)

    monkeypatch.setattr(os, "scandir", Shuffled)
    second = load_dataset(tmp_path, "csv", sheet, frames=pattern, columns=COLUMNS, aus="auto", min_count=1)
    assert first.table["frames"].tolist() == second.table["frames"].tolist()


def test_selected_by_number_with_gaps_listed(tmp_path):
    pattern = "{subject}/{clip}/img{frame}.jpg"
    sheet = _database(tmp_path, pattern)
    (tmp_path / "p7" / "take1" / "img5.jpg").unlink()  # a dropped frame inside 3..7 (the apex)
    (tmp_path / "q12" / "take1" / "img13.jpg").unlink()  # the offset frame
    dataset = load_dataset(tmp_path, "csv", sheet, frames=pattern, columns=COLUMNS, aus="auto", min_count=1)
    assert dataset.table["frame_numbers"].tolist() == [[3, 4, 6, 7], [1, 2, 3, 4]]
    kinds = {problem.kind: problem for problem in dataset.problems}
    assert "1 dropped frame(s): 5" in kinds["dropped-frames"].message
    missing = kinds["missing-frames"]
    assert missing.key == "csv/q12/take1/10" and "offset frame(s) 13" in missing.message
    from meau.flow import dataset_apex_indices

    assert dataset_apex_indices(dataset.table)[0] == 1  # apex 5 dropped: the frame before it (number 4)


def test_no_file_matches_lists_the_first_path_tried(tmp_path):
    sheet = _database(tmp_path, "{subject}/{clip}/img{frame}.jpg")
    with pytest.raises(MeauError, match="no sample of the sheet has its frames"):
        load_dataset(tmp_path, "csv", sheet, frames="{subject}/{clip}/frame_{frame}.png", columns=COLUMNS,
                     aus="auto", min_count=1)
    # one sample without its files, the others found
    for path in (tmp_path / "q12" / "take1").glob("img*.jpg"):
        path.rename(path.with_name(path.name.replace("img", "pic")))
    dataset = load_dataset(tmp_path, "csv", sheet, frames="{subject}/{clip}/img{frame}.jpg", columns=COLUMNS,
                           aus="auto", min_count=1)
    problem = next(p for p in dataset.problems if p.kind == "missing-frames")
    assert f"{tmp_path}/q12/take1/img10.jpg: no frame file matches" in problem.message


@pytest.mark.parametrize("pattern, message", [
    ("{subject}/{clip}/img.jpg", "no {frame} field"),
    ("{subject}/{frame}/img.jpg", "must be in the file name"),
    ("{subject}/{clip}/{frame}_{frame}.jpg", "exactly once"),
    ("{subject}/{take}/img{frame}.jpg", r"names \{take\}"),
])
def test_bad_patterns_name_the_field(tmp_path, pattern, message):
    sheet = _database(tmp_path, "{subject}/{clip}/img{frame}.jpg")
    with pytest.raises(MeauError, match=message):
        load_dataset(tmp_path, "csv", sheet, frames=pattern, columns=COLUMNS, aus="auto", min_count=1)


def test_a_pattern_field_may_name_any_sheet_column(tmp_path):
    jpeg = _jpeg()
    for n in (1, 2, 3):
        (tmp_path / "lab_a" / "s1" / "c1").mkdir(parents=True, exist_ok=True)
        (tmp_path / "lab_a" / "s1" / "c1" / f"{n}.jpg").write_bytes(jpeg)
    pd.DataFrame([("s1", "c1", "lab_a", 1, 2, 3, "4")],
                 columns=["subject", "clip", "site", "onset", "apex", "offset", "au"]).to_csv(tmp_path / "s.csv", index=False)
    dataset = load_dataset(tmp_path, "csv", tmp_path / "s.csv", frames="{site}/{subject}/{clip}/{frame}.jpg",
                           aus="4", min_count=1)
    assert dataset.table["frame_numbers"][0] == [1, 2, 3]


def test_pattern_writes_the_paths_it_reads():
    pattern = FramePattern("{subject}/{clip}/{clip}-{frame:03d}.jpg")
    row = {"subject": "s1", "clip": "c2"}
    assert pattern.path(row, 7) == "s1/c2/c2-007.jpg"
    assert pattern.regex(row).match("c2-007.jpg")["n"] == "007"
    assert not pattern.regex(row).match("c3-007.jpg")


def test_cli_and_datasets_file_take_a_pattern(tmp_path):
    pattern = "{subject}/{clip}/{clip}-{frame:03d}.jpg"
    sheet = _database(tmp_path / "db", pattern)
    columns = [item for field, name in COLUMNS.items() for item in ("--column", f"{field}={name}")]
    runner = CliRunner()
    result = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "db"), "--database", "csv", "--sheet", str(sheet),
                                 "--frames", pattern, *columns, "--aus", "12", "--min-count", "1",
                                 "--protocol", "loso", "-o", str(tmp_path / "run")], obj={})
    assert "3 samples kept" in result.output, result.output
    (tmp_path / "d.toml").write_text(
        f'[[database]]\nname = "csv"\nroot = "db"\nsheet = "sheet.csv"\nframes = "{pattern}"\n'
        'columns = { subject = "who", clip = "video", onset = "start", apex = "peak", offset = "end", au_raw = "aus" }\n')
    result = runner.invoke(cli, ["baseline", "constant", "--datasets", str(tmp_path / "d.toml"), "--aus", "12",
                                 "--min-count", "1", "--protocol", "loso", "-o", str(tmp_path / "run2")], obj={})
    assert "3 samples kept" in result.output, result.output
    bad = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "db"), "--database", "csv", "--frames",
                              "{subject}/img.jpg", "-o", str(tmp_path / "run3")], obj={})
    assert bad.exit_code == 1 and "--frames" in bad.output and "{frame}" in bad.output
    old = runner.invoke(cli, ["train", "sca", str(tmp_path / "db"), "--frames", "8", "-o", str(tmp_path / "run4")], obj={})
    assert old.exit_code == 1 and "--clip-frames" in old.output
