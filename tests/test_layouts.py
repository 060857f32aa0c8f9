import pytest

from meau.databases import load_dataset
from meau.databases import get
from meau.databases.layouts import detect_layout, list_frames, resolve_frames


def _names(found):
    return [p.name for p in found.paths]
from meau.errors import FrameError, MeauError

from .sheets import write_casme2, write_samm


def _touch(folder, names):
    """Frame files holding a real 8 x 8 JPEG (frames are checked for damage when a dataset loads)."""
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    jpeg = cv2.imencode(".jpg", np.full((8, 8), 128, np.uint8))[1].tobytes()
    for name in names:
        (folder / name).write_bytes(jpeg)


def test_frames_sort_numerically_and_ignore_strays(tmp_path):
    folder = tmp_path / "Cropped" / "sub01" / "EP02_01f"
    _touch(folder, ["reg_img100.jpg", "reg_img46.jpg", "reg_img99.jpg", "Desktop - Shortcut.lnk", "reg_img47.jpg"])
    layout = get("casme2").layouts[0]
    frames = list_frames(folder, layout.pattern.regex({"subject": "01", "clip": "EP02_01f"}))
    assert list(frames) == [46, 47, 99, 100]


def test_missing_frames_and_folders_name_the_path(tmp_path):
    _touch(tmp_path / "Cropped" / "sub01" / "EP02_01f", [f"reg_img{n}.jpg" for n in (46, 47, 49)])
    layout, bases = detect_layout(tmp_path, "casme2")
    assert layout.name == "cropped"
    row = {"subject": "01", "clip": "EP02_01f"}
    assert _names(resolve_frames(layout, bases, row, 46, 47)) == ["reg_img46.jpg", "reg_img47.jpg"]
    # a frame dropped inside onset..offset: the clip is kept, the gap listed
    found = resolve_frames(layout, bases, row, 46, 49)
    assert found.numbers == [46, 47, 49] and found.gaps == [48]
    with pytest.raises(FrameError, match=r"EP02_01f: offset frame\(s\) 50 of 46..50 missing"):
        resolve_frames(layout, bases, row, 46, 50)
    with pytest.raises(FrameError, match="sub01/EP09_09: frame folder missing"):
        resolve_frames(layout, bases, {"subject": "01", "clip": "EP09_09"}, 1, 2)


def test_layout_variants(tmp_path):
    _touch(tmp_path / "CASME2-RAW" / "sub03" / "EP01_1", ["img1.jpg", "img2.jpg"])
    layout, bases = detect_layout(tmp_path, "casme2")
    assert layout.name == "raw"
    _touch(tmp_path / "casme" / "CASME_B" / "Section B" / "sub11" / "EP01_5", ["EP01_5-009.jpg", "EP01_5-010.jpg"])
    layout, bases = detect_layout(tmp_path / "casme", "casme")
    assert _names(resolve_frames(layout, bases, {"subject": "11", "clip": "EP01_5"}, 9, 10)) == \
        ["EP01_5-009.jpg", "EP01_5-010.jpg"]
    _touch(tmp_path / "samm" / "SAMM" / "006" / "006_1_2", ["006_05562.jpg", "006_05563.jpg"])
    layout, bases = detect_layout(tmp_path / "samm", "samm")
    assert len(resolve_frames(layout, bases, {"subject": "006", "clip": "006_1_2"}, 5562, 5563).paths) == 2
    # pointing at the variant folder itself works too
    layout, bases = detect_layout(tmp_path / "CASME2-RAW", "casme2", "raw")
    assert bases == [tmp_path / "CASME2-RAW"]
    with pytest.raises(FrameError, match="no casme2 frame folders"):
        detect_layout(tmp_path / "samm", "casme2")


def test_dataset_reports_missing_samples_and_goes_on(tmp_path):
    rows = [("01", "EP02_01f", None, 46, 47, 48, None, "4", "others"),
            ("01", "EP02_02", None, 10, 11, 12, None, "4+12", "happiness"),   # folder missing
            ("02", "EP03_01", None, 5, 6, 8, None, "12", "happiness"),        # frame 7 dropped: kept
            ("02", "EP03_02", None, 5, 6, 8, None, "9", "disgust")]           # offset frame 8 missing
    write_casme2(tmp_path / "CASME2-coding-20140508.xlsx", rows)
    _touch(tmp_path / "Cropped" / "sub01" / "EP02_01f", [f"reg_img{n}.jpg" for n in (45, 46, 47, 48, 49)])
    _touch(tmp_path / "Cropped" / "sub02" / "EP03_01", [f"reg_img{n}.jpg" for n in (5, 6, 8)])
    _touch(tmp_path / "Cropped" / "sub02" / "EP03_02", [f"reg_img{n}.jpg" for n in (5, 6, 7)])
    dataset = load_dataset(tmp_path, "casme2", tmp_path / "CASME2-coding-20140508.xlsx", aus="4", min_count=1)
    assert dataset.table["clip"].tolist() == ["EP02_01f", "EP03_01"]
    assert [p.name for p in dataset.table["frames"][0]] == ["reg_img46.jpg", "reg_img47.jpg", "reg_img48.jpg"]
    assert dataset.table["frame_numbers"][1] == [5, 6, 8]
    assert sorted(p.kind for p in dataset.problems) == ["dropped-frames", "missing-frames", "missing-frames"]
    dropped = next(p for p in dataset.problems if p.kind == "dropped-frames")
    assert dropped.key.endswith("EP03_01/5") and "1 dropped frame(s): 7" in dropped.message
    with pytest.raises(FrameError, match="row 3"):
        load_dataset(tmp_path, "casme2", tmp_path / "CASME2-coding-20140508.xlsx", aus="4", strict=True)
    with pytest.raises(MeauError, match="AU09 never coded among the 2 samples found"):
        load_dataset(tmp_path, "casme2", tmp_path / "CASME2-coding-20140508.xlsx", aus="9")


def test_samm_dataset(tmp_path):
    write_samm(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx",
               [("006", "006_1_2", "006_1", 5562, 5563, 5564, 3, "Micro", "A/L12", "Happiness", 1, None)])
    _touch(tmp_path / "SAMM" / "006" / "006_1_2", [f"006_{n:05d}.jpg" for n in range(5560, 5566)])
    dataset = load_dataset(tmp_path, "samm", tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", aus="12")
    assert len(dataset.table["frames"][0]) == 3 and dataset.table["subject"][0] == "006"
