import pytest

from meau.annotations import policy_from_names
from meau.databases import annotate
from meau.databases import read_sheet
from meau.errors import AUParseError, MeauError, SheetError

from .sheets import write_casme2, write_casme_xls, write_samm

CASME2_ROWS = [
    ("01", "EP02_01f", None, 46, 59, 86, None, 12, "happiness"),
    (1, "EP03_02", None, 131, 139, 161, None, "4+L10", "disgust"),  # subject stored as a number
    ("04", "EP12_01f", None, 100, "/", 140, None, "4+7", "disgust"),  # apex unknown
    ("17", "EP15_01", None, 50, 50, 80, None, "1+2", "surprise"),  # apex == onset
    ("26", "EP18_44", None, 10, 20, 30, None, 14.0, "repression"),  # Excel float
    ("19", "EP01_01f", None, 5, 9, 19, None, "?", "others"),
]


def test_casme2_sheet_quirks(tmp_path):
    for revision in (False, True):
        path = write_casme2(tmp_path / f"casme2_{revision}.xlsx", CASME2_ROWS, revision_2019=revision)
        rows = read_sheet(path, "casme2")
        assert [r["subject"] for r in rows.rows] == ["01", "01", "04", "17", "26", "19"]
        assert rows.rows[2]["apex"] is None
        assert [p.kind for p in rows.problems] == ["missing-frame-number"]
        assert rows.problems[0].row == 4
        assert [r["au_raw"] for r in rows.rows] == ["12", "4+L10", "4+7", "1+2", "14", "?"]
        first = dict(rows.rows[0])
        # the 2019 revision has an objective class column, read for --target objective
        assert ("objective" in first) == revision and (not revision or first.pop("objective") == "1")
        assert first == {"database": "casme2", "subject": "01", "clip": "EP02_01f", "onset": 46, "apex": 59,
                         "offset": 86, "emotion": "happiness", "au_raw": "12", "row": 2}
        assert len(rows.sha256) == 64


def test_casme2_labels(tmp_path):
    path = write_casme2(tmp_path / "c2.xlsx", CASME2_ROWS)
    labels = annotate(path, "casme2", aus="auto", min_count=2)
    assert labels.au_columns == ["AU04"]
    assert labels.table["AU04"].tolist() == [0, 1, 1, 0, 0, 0]
    labels = annotate(path, "casme2", aus="1,4,12")
    assert labels.positives() == {"AU01": 1, "AU04": 2, "AU12": 1}
    assert labels.table.loc[5, ["AU01", "AU04", "AU12"]].tolist() == [0, 0, 0]  # '?' row: no AU
    assert labels.sources[0]["name"] == "c2.xlsx" and len(labels.sources[0]["sha256"]) == 64


def test_unknown_au_is_refused(tmp_path):
    path = write_casme2(tmp_path / "c2.xlsx", CASME2_ROWS)
    with pytest.raises(MeauError, match="AU99 never coded"):
        annotate(path, "casme2", aus="1,99")


def test_unparseable_cell_names_row_or_is_skipped_and_reported(tmp_path):
    rows = CASME2_ROWS + [("02", "EP09_01", None, 1, 2, 3, None, "4+x9y", "others")]
    path = write_casme2(tmp_path / "bad.xlsx", rows)
    with pytest.raises(AUParseError, match=r"bad.xlsx row 8.*'4\+x9y'"):
        annotate(path, "casme2", aus="4")
    labels = annotate(path, "casme2", aus="4", skip_unparseable=True)
    assert len(labels.table) == 6
    assert [p.kind for p in labels.problems if p.kind == "unparseable-au"] == ["unparseable-au"]


def test_missing_column_is_named(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Subject", "Filename", "OnsetFrame", "OffsetFrame", "Estimated Emotion"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(SheetError, match="no column 'ApexFrame'"):
        read_sheet(tmp_path / "x.xlsx", "casme2")


def test_corrupt_sheet_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(SheetError, match="broken.xlsx: cannot read"):
        read_sheet(path, "casme2")
    with pytest.raises(SheetError, match="no such file"):
        read_sheet(tmp_path / "absent.xlsx", "casme2")


CASME_ROWS = [
    # Subject, Filename, blank, OnsetF, ApexF1, ApexF2, OffsetF, blank, Onset(ms), Total(ms), AU, Emotion
    ("1", "EP01_5", None, 113, 120, None, 140, None, 117, 467, "4+L10", "disgust"),
    ("1", "EP01_5", None, 200, 210, None, 228, None, 150, 483, "12", "happiness"),  # same folder, other onset
    (2.0, "EP03_1", None, 50, 60, None, "\\", None, 200, 400, "14", "comtempt"),  # offset missing
    ("19", "EP07_2", None, 10, "\\", None, 30, None, 100, 350, 4.0, "repression"),
]


def test_casme_xls_quirks(tmp_path):
    path = write_casme_xls(tmp_path / "Section A.xls", CASME_ROWS)
    labels = annotate(path, "casme", aus="4,12,14")
    table = labels.table
    assert table["subject"].tolist() == ["01", "01", "02", "19"]
    assert table["onset"].tolist() == [113, 200, 50, 10]
    assert table["emotion"].tolist() == ["disgust", "happiness", "contempt", "repression"]
    # OffsetF '\' -> estimated from Total at 60 fps: 50 + round(400 * 60 / 1000) - 1 = 73
    assert table["offset"].tolist() == [140, 228, 73, 30]
    assert table["apex"].isna().tolist() == [False, False, False, True]
    kinds = sorted(p.kind for p in labels.problems)
    assert kinds == ["missing-frame-number", "missing-frame-number", "offset-estimated"]
    assert table["AU04"].tolist() == [1, 0, 0, 1]


SAMM_ROWS = [
    ("006", "006_1_2", "006_1", 5562, 5588, 5619, 58, "Micro - 1/2", "A/L12", "Happiness", 1, None),
    (6, "006_1_5", "006_1", 1000, 1010, 1020, 21, "Micro - 1/2", "R14A or 17A or 24A", "Contempt", 4, None),
    ("028", "028_4_1", "028_4", 1100, 1143, 1134, 35, "Micro - 1/2", "4", "Anger", 2, None),
    ("032", "032_3_1", "032_3", 4896, 1930, 4950, 55, "Micro - 1/2", "ref(7B)+43", "Other", 7, None),
]


def test_samm_preamble_and_fixes(tmp_path):
    path = write_samm(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", SAMM_ROWS)
    labels = annotate(path, "samm", aus="4,12,17")
    assert labels.table["subject"].tolist() == ["006", "006", "028", "032"]
    impossible = [p for p in labels.problems if p.kind == "impossible-frames"]
    assert [(p.key.split("/")[2], p.message) for p in impossible] == [
        ("028_4_1", "apex 1143 > offset 1134"), ("032_3_1", "apex 1930 < onset 4896")]
    assert labels.table["apex"].tolist()[2:] == [1143, 1930]  # not silently edited
    fixed = annotate(path, "samm", aus="4,12,17", fixes=True)
    assert fixed.table["apex"].isna().tolist() == [False, False, True, True]
    assert len(fixed.fixes_applied) == 2
    assert not [p for p in fixed.problems if p.kind == "impossible-frames"]
    assert labels.table["AU17"].tolist() == [0, 1, 0, 0]  # union of the alternatives
    first = annotate(path, "samm", aus="4,12,14", policy=policy_from_names(["alternatives-first"]))
    assert first.table["AU14"].tolist() == [0, 1, 0, 0]
    with pytest.raises(MeauError, match="AU17 never coded"):
        annotate(path, "samm", aus="17", policy=policy_from_names(["alternatives-first"]))


def test_generic_csv_with_column_mapping(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Subj,File,Start,Peak,End,Codes\n3,clipA,1,5,9,1+2\n4,clipB,2,3,8,L2\n")
    labels = annotate(path, "csv", aus="1,2", columns={"subject": "Subj", "clip": "File", "onset": "Start",
                                                       "apex": "Peak", "offset": "End", "au_raw": "Codes"})
    assert labels.table[["subject", "clip", "AU01", "AU02"]].values.tolist() == [["03", "clipA", 1, 1], ["04", "clipB", 0, 1]]
