"""Every AU-coded database: CAS(ME)^3 A and C, MMEW, 4DME (and the older three) through their readers."""

import json
from collections import Counter

import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.databases import annotate, find_sheet, load_dataset
from meau.databases.database import get, with_synth
from meau.databases.synth import generate
from meau.errors import SheetError

# the readers of AU-coded databases that synth writes (SMIC codes no AUs: tests/test_recognition.py reads it)
AU_CODED = [name for name in with_synth("clips") if get(name).codes_aus]

from .sheets import (CASME3_A_COUNTS, CASME3_C_COUNTS, casme3_a_rows, casme3_c_rows, write_casme2, write_casme3_a,
                     write_casme3_c)


def test_casme3_a_counts_equal_the_published_table(tmp_path):
    sheet = write_casme3_a(tmp_path / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", casme3_a_rows())
    labels = annotate(sheet, "casme3", aus="auto", min_count=1)
    assert len(labels.table) == 860 and labels.table["subject"].nunique() >= 94
    positives = labels.positives()
    for au, count in CASME3_A_COUNTS.items():
        assert positives[f"AU{au:02d}"] == count, au
    assert labels.sources[0]["sheet"] == "label"


def test_casme3_a_errors_are_reported_by_key_and_fixed_only_when_asked(tmp_path):
    sheet = write_casme3_a(tmp_path / "label.xlsx", casme3_a_rows())
    labels = annotate(sheet, "casme3", aus="auto", min_count=1)
    reported = {(p.key, p.kind) for p in labels.problems}
    for key in ("casme3/spNO.149/d/112", "casme3/spNO.216/d/3647", "casme3/spNO.40/e/1812", "casme3/spNO.40/e/2327",
                "casme3/spNO.214/c/5", "casme3/spNO.216/e/0"):
        assert any(k == key and kind == "impossible-frames" or k == key and kind == "implausible-frames"
                   for k, kind in reported), key
    fixed = annotate(sheet, "casme3", aus="auto", min_count=1, fixes=True)
    table = fixed.table.set_index(["subject", "clip", "onset"])
    assert table.loc[("spNO.149", "d", 112), "apex"] == 160
    assert ("spNO.216", "d", 2647) in table.index
    assert table.loc[("spNO.40", "e", 1812), "offset"] == 1845 and table.loc[("spNO.40", "e", 2327), "offset"] == 2403
    assert table.loc[("spNO.214", "c", 5), "offset"] == 34
    assert table.loc[("spNO.216", "e", 1), "apex"] == 1
    assert len(fixed.fixes_applied) == 7 and all("source:" in line for line in fixed.fixes_applied)
    assert not [p for p in fixed.problems if p.kind in ("impossible-frames", "implausible-frames")]


def test_casme3_full_sheet_selects_expression_types(tmp_path):
    micro = casme3_a_rows(40, 8)
    rows = [row + ["Micro-expression"] for row in micro] + \
           [[f"spNO.{i % 8 + 1}", "a", 5000 + 30 * i, 5010 + 30 * i, 5020 + 30 * i, "12", 1, "happy", "Macro-expression"]
            for i in range(25)]
    sheet = write_casme3_a(tmp_path / "CAS(ME)3_part_A_v2.xlsx", rows, full=True)
    sizes = {which: len(annotate(sheet, "casme3", min_count=1, expressions=which).table) for which in ("micro", "macro", "all")}
    assert sizes == {"micro": 40, "macro": 25, "all": 65}
    label = write_casme3_a(tmp_path / "label.xlsx", micro)
    with pytest.raises(SheetError, match="expressions macro needs a sheet that codes the expression type"):
        annotate(label, "casme3", min_count=1, expressions="macro")
    assert find_sheet(tmp_path, "casme3", expressions="macro").name == "CAS(ME)3_part_A_v2.xlsx"


def test_casme3_c_counts_and_quirks(tmp_path):
    sheet = write_casme3_c(tmp_path / "CAS(ME)3_part_C_ME.xlsx", casme3_c_rows())
    labels = annotate(sheet, "casme3c", aus="auto", min_count=1)
    assert len(labels.table) == 165 and labels.table["apex"].isna().all()
    assert labels.table["subject"].str.len().eq(2).all()
    positives = labels.positives()
    for au, count in CASME3_C_COUNTS.items():
        assert positives[f"AU{au:02d}"] == count, au
    assert "AU13" not in positives  # 13? is uncertain: reported, not counted
    assert Counter(p.kind for p in labels.problems)["uncertain-au"] == 6
    from meau.annotations import policy_from_names

    counted = annotate(sheet, "casme3c", aus="auto", min_count=1, policy=policy_from_names(["uncertain-keep"]))
    assert counted.positives()["AU13"] == 6


def test_a_sheet_of_another_database_is_named(tmp_path):
    sheet = write_casme3_c(tmp_path / "c.xlsx", casme3_c_rows(20, 4))
    with pytest.raises(SheetError, match=r"it reads as a sheet of CAS\(ME\)\^3 part C \(--database casme3c\)"):
        annotate(sheet, "mmew", min_count=1)
    own = write_casme2(tmp_path / "own.xlsx", [("01", "S01-05-001", None, 1, 2, 3, None, "4", "others"),
                                               ("01", "take_2", None, 1, 2, 3, None, "4", "others")])
    assert len(annotate(own, "casme2", min_count=1).table) == 2  # half its clips named otherwise: not refused
    other = write_casme2(tmp_path / "casme2.xlsx", [("01", "EP01", None, 1, 2, 3, None, "4", "others")])
    with pytest.raises(SheetError, match="casme2"):
        annotate(other, "4dme", min_count=1)


@pytest.mark.parametrize("like", AU_CODED)
def test_synth_like_reads_back_through_its_reader(tmp_path, like):
    generate(tmp_path / like, subjects=4, samples=24, intensity=6.0, seed=5, like=like)
    root = tmp_path / like
    dataset = load_dataset(root, like, find_sheet(root, like), aus="auto", min_count=1)
    plan = json.loads((root / "synth.json").read_text())
    assert len(dataset.table) == plan["samples"]
    kinds = Counter(p.kind for p in dataset.problems)
    expected = {"casme3": "dropped-frames", "casme": "offset-estimated", "casme3c": "uncertain-au",
                "mmew": "missing-frame-number", "casme2": "missing-frame-number"}
    if like in expected:
        assert kinds[expected[like]] >= 1, kinds
    # read as the next database of the list (the sheet, then the folder), the error names this one
    wrong = AU_CODED[(AU_CODED.index(like) + 1) % len(AU_CODED)]
    with pytest.raises(SheetError, match=rf"reads as a sheet of .* \(--database {like}\)"):
        annotate(find_sheet(root, like), wrong, aus="auto", min_count=1)
    from meau.databases.lookalike import root_lookalike

    assert root_lookalike(root, wrong) == like and root_lookalike(root, like) is None
    if like == "mmew":  # its columns are CASME II's: the clip cells (S01-05-001) tell them apart
        with pytest.raises(SheetError, match="named as MMEW's, not CASME II's.*--database mmew"):
            annotate(find_sheet(root, like), "casme2", aus="auto", min_count=1)
    # the same planted AUs whatever the layout
    reference = load_dataset(tmp_path / like, like, find_sheet(root, like), aus="auto", min_count=1)
    assert dataset.au_columns == reference.au_columns
    if like == "casme2":
        return
    casme2 = tmp_path / "casme2_ref"
    if not casme2.exists():
        generate(casme2, subjects=4, samples=24, intensity=6.0, seed=5)
    base = load_dataset(casme2, "casme2", find_sheet(casme2, "casme2"), aus="auto", min_count=1)
    common = [c for c in base.au_columns if c in dataset.au_columns]
    assert common and (dataset.table[common].sum() == base.table[common].sum()).all()


def test_synth_like_cli_and_a_wrong_database(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["synth", str(tmp_path / "db"), "--like", "4dme", "--subjects", "3", "--samples", "9",
                                 "--intensity", "6"], obj={})
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "db"), "--database", "4dme", "--min-count", "1",
                                 "--protocol", "loso", "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 0 and "9 samples kept" in result.output, result.output
    result = runner.invoke(cli, ["baseline", "constant", str(tmp_path / "db"), "--database", "mmew",
                                 "--sheet", str(next((tmp_path / "db").glob("*.xlsx"))), "-o", str(tmp_path / "bad")],
                           obj={})
    assert result.exit_code == 1 and "(--database 4dme)" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def six_databases(tmp_path_factory):
    """MEB's six databases, synthetic, each in its own layout and sheet format, from meau template cd6me."""
    from meau.databases import get
    from meau.databases.composite import template_text
    from meau.databases.database import suite

    root = tmp_path_factory.mktemp("cd6me")
    text = template_text(["cd6me"])
    for seed, name in enumerate(suite("cd6me")):
        generate(root / name, subjects=3, samples=12, intensity=8.0, seed=seed, like=name)
        text = text.replace(f'root = "{get(name).template.root}"', f'root = "{name}"', 1)
    (root / "cd6me.toml").write_text(text)
    return root


def test_six_database_lodo(six_databases, tmp_path):
    from meau.report import collect

    runner = CliRunner()
    run = tmp_path / "lodo"
    aus = "1,2,4,7,12"  # the synthetic faces plant no AU5, AU6 or AU10 of MEB's 12
    result = runner.invoke(cli, ["baseline", "constant", "--datasets", str(six_databases / "cd6me.toml"), "--aus", aus,
                                 "--protocol", "lodo", "-o", str(run)], obj={})
    assert result.exit_code == 0, result.output
    splits = pd.read_csv(run / "splits.csv", dtype={"subject": str})
    assert splits["fold"].nunique() == 6 and splits.groupby("fold")["database"].nunique().eq(1).all()
    roles = splits.groupby(["database", "subject"])["fold"].nunique()
    assert roles.eq(1).all()  # no subject in two roles
    tables = collect([run], by_database=True)
    pooled, per_database = tables[0], tables[1:]
    assert len(per_database) == 6
    for column, count in zip(pooled.columns, pooled.counts):
        assert sum(table.counts[table.columns.index(column)] for table in per_database if column in table.columns) == count
    # the file's 12 AUs are refused with the ones never coded named
    result = runner.invoke(cli, ["baseline", "constant", "--datasets", str(six_databases / "cd6me.toml"),
                                 "--protocol", "lodo", "-o", str(tmp_path / "all12")], obj={})
    assert result.exit_code == 1 and "AU05" in result.output


def test_template_subsets_and_unknown_names(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["template", "casme2", "mmew", "-o", str(tmp_path / "two.toml")], obj={})
    assert result.exit_code == 0
    text = (tmp_path / "two.toml").read_text()
    assert text.count("[[database]]") == 2 and 'name = "mmew"' in text and "aus =" not in text
    result = runner.invoke(cli, ["template", "nosuchdb", "-o", str(tmp_path / "x.toml")], obj={})
    assert result.exit_code == 1 and "unknown database 'nosuchdb'" in result.output


@pytest.mark.parametrize("like", AU_CODED)
def test_every_reader_goes_through_the_fault_paths(tmp_path, like):
    """An unparseable AU cell names the sheet and row; a missing frame folder is listed and the run goes on."""
    import shutil

    import openpyxl

    root = tmp_path / like
    generate(root, subjects=3, samples=9, intensity=6.0, seed=9, like=like)
    sheet = find_sheet(root, like)
    dataset = load_dataset(root, like, sheet, aus="auto", min_count=1)
    first = dataset.table["frames"].iloc[0][0].parent
    shutil.rmtree(first)  # a sample's frames are gone (several rows may share the folder)
    after = load_dataset(root, like, sheet, aus="auto", min_count=1)
    assert len(after) < len(dataset)
    assert any(p.kind == "missing-frames" and str(first.name) in p.message for p in after.problems)
    runner = CliRunner()
    result = runner.invoke(cli, ["baseline", "constant", str(root), "--database", like, "--min-count", "1",
                                 "--protocol", "loso", "--strict", "-o", str(tmp_path / "strict")], obj={})
    assert result.exit_code == 1 and "frame" in result.output and "Traceback" not in result.output
    # an AU cell that is no AU string
    book = openpyxl.load_workbook(sheet)
    worksheet = book[book.sheetnames[0]] if like not in ("samm",) else book["MICRO_ONLY"]
    header_row = next(i for i, row in enumerate(worksheet.iter_rows(values_only=True), start=1) if row and row[0] in
                      ("Subject", "sub", "sub_ID"))
    header = [cell.value for cell in worksheet[header_row]]
    au_column = next(i for i, name in enumerate(header, start=1) if str(name).lower() in ("action units", "au", "aus"))
    worksheet.cell(row=header_row + 2, column=au_column, value="4+12x9")
    book.save(sheet)
    result = runner.invoke(cli, ["annotate", str(sheet), "--database", like, "-o", str(tmp_path / "labels.csv")], obj={})
    assert result.exit_code == 1 and f"row {header_row + 2}" in result.output and "12x9" in result.output


def test_the_real_mmew_sheet_with_sides_after_the_number_is_read(tmp_path):
    """MMEW writes the side after the AU number in 7 cells (12L, 4R+7, 10R, 20L): every row is read."""
    import openpyxl

    cells = ["12L", "4R+7", "10R", "20L", "12L+14", "4R", "L1+L2+10R", "4+7", "12", 9, "1+2"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
                  "Estimated Emotion", "remarks"])
    for index, cell in enumerate(cells):
        sheet.append([index % 3 + 1, f"S0{index % 3 + 1}-01-{index + 1:03d}", 1, 5, 12, cell, "others", None])
    book.save(tmp_path / "MMEW_Micro_Exp.xlsx")
    labels = annotate(tmp_path / "MMEW_Micro_Exp.xlsx", "mmew", aus="auto", min_count=1)
    assert len(labels.table) == len(cells) and not [p for p in labels.problems if p.kind == "unparseable-au"]
    assert labels.positives() == {"AU01": 2, "AU02": 2, "AU04": 3, "AU07": 2, "AU09": 1, "AU10": 2, "AU12": 3,
                                  "AU14": 1, "AU20": 1}
