"""Emotion recognition: class sets, the MEGC2019 metrics, SVMs one-vs-rest, runs, reports, SMIC, --samples."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from meau.cli import cli
from meau.metrics import class_metrics
from meau.databases.classes import class_set


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], obj={})


# -- metrics -------------------------------------------------------------------------------------------
def test_uf1_and_uar_by_hand_with_a_class_never_predicted_and_one_without_samples():
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "a", "a"]  # c never predicted; d has no sample and no prediction
    found = class_metrics(truth, predicted, ["a", "b", "c", "d"])
    # a: TP 2, FP 2, FN 1 -> F1 4/7, recall 2/3, precision 1/2; b: TP 1, FP 1, FN 1 -> F1 1/2, recall 1/2,
    # precision 1/2; c: TP 0, FN 1 -> 0; d: 0 (counted in the means)
    assert found["uf1"] == pytest.approx((4 / 7 + 1 / 2 + 0 + 0) / 4)
    assert found["uar"] == pytest.approx((2 / 3 + 1 / 2 + 0 + 0) / 4)
    assert found["mean_precision"] == pytest.approx((1 / 2 + 1 / 2 + 0 + 0) / 4)
    assert found["accuracy"] == pytest.approx(3 / 6)
    assert found["weighted_f1"] == pytest.approx((3 * 4 / 7 + 2 * 1 / 2) / 6)
    assert found["confusion"] == [[2, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert any("d: no sample" in note for note in found["notes"]) and any("c: never predicted" in n for n in found["notes"])


def test_class_metrics_equal_scikit_learn_macro_scores_over_every_class():
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    classes = ["negative", "positive", "surprise", "others"]
    truth = rng.choice(classes[:3], 200)
    predicted = rng.choice(classes, 200, p=[0.5, 0.3, 0.2, 0.0])
    found = class_metrics(truth, predicted, classes)
    options = dict(labels=classes, average="macro", zero_division=0)
    assert found["uf1"] == pytest.approx(f1_score(truth, predicted, **options))
    assert found["uar"] == pytest.approx(recall_score(truth, predicted, **options))
    assert found["mean_precision"] == pytest.approx(precision_score(truth, predicted, **options))
    assert found["accuracy"] == pytest.approx(accuracy_score(truth, predicted))


def test_the_bootstrap_values_equal_class_metrics_on_the_counts():
    from meau.uncertainty import class_values, subject_counts

    rng = np.random.default_rng(1)
    classes = np.array(["x", "y", "z"])
    truth, predicted = rng.choice(classes, 90), rng.choice(classes, 90)
    onehot = lambda labels: (labels[:, None] == classes[None, :]).astype(int)  # noqa: E731
    counts, _ = subject_counts(onehot(truth), onehot(predicted), rng.integers(0, 9, 90))
    expected = class_metrics(truth, predicted, classes)
    values = class_values(counts.sum(axis=0))
    assert values == pytest.approx([expected["uf1"], expected["uar"], expected["accuracy"], expected["mean_precision"]])


# -- class sets ----------------------------------------------------------------------------------------
def test_class_sets_map_as_the_megc_guideline_and_the_five_class_protocols(tmp_path):
    megc = class_set("megc")
    assert [megc.class_of(x) for x in ("Repression", "anger", "Contempt", "disgust", "fear", "sadness", "happiness",
                                       "surprise", "others", "Other", "negative")] == \
        ["negative"] * 6 + ["positive", "surprise", None, None, "negative"]
    five = class_set("five", databases=["casme2"])
    assert five.classes == ("happiness", "disgust", "repression", "surprise", "others")
    assert five.class_of("Fear") is None and five.class_of("Others") == "others"
    assert class_set("five", databases=["samm"]).classes == ("anger", "contempt", "happiness", "surprise", "other")
    with pytest.raises(Exception, match="five is defined for casme2, samm"):
        class_set("five", databases=["mmew"])
    assert class_set("all", labels=["Happy", "sad ", "happy"]).classes == ("happy", "sad")
    mapping = tmp_path / "classes.toml"
    mapping.write_text('happiness = "pos"\ndisgust = "neg"\nfear = "neg"\n')
    own = class_set(str(mapping))
    assert own.classes == ("pos", "neg") and own.class_of("FEAR") == "neg" and own.class_of("others") is None


# -- runs ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emotion_runs(tiny_db, tmp_path_factory):
    """The constant and flow + SVM on the tiny database's five classes, same folds."""
    out = tmp_path_factory.mktemp("emotion_runs")
    common = ["--target", "emotion", "--classes", "five", "--cache", out / "cache"]
    first = invoke("baseline", "constant", tiny_db, "--target", "emotion", "--classes", "five", "-o", out / "constant")
    assert first.exit_code == 0, first.output
    second = invoke("baseline", "flow", tiny_db, *common, "--splits", out / "constant" / "splits.csv", "-o", out / "flow")
    assert second.exit_code == 0, second.output
    return out


def test_an_emotion_run_writes_the_guidelines_metrics_and_its_predictions(emotion_runs):
    metrics = json.loads((emotion_runs / "flow" / "metrics.json").read_text())
    predictions = pd.read_csv(emotion_runs / "flow" / "predictions.csv", dtype=str)
    assert metrics["target"] == "emotion" and metrics["classes"] == ["happiness", "disgust", "repression",
                                                                     "surprise", "others"]
    pooled = metrics["pooled"]
    assert set(pooled) >= {"uf1", "uar", "accuracy", "mean_precision", "weighted_f1", "classes", "confusion"}
    assert pooled == {**class_metrics(predictions["emotion"], predictions["predicted"], metrics["classes"])}
    assert {f"p_{name}" for name in metrics["classes"]} <= set(predictions.columns)
    probabilities = predictions[[f"p_{name}" for name in metrics["classes"]]].astype(float).sum(axis=1)
    assert np.allclose(probabilities, 1, atol=1e-5)
    scores = predictions[[f"score_{name}" for name in metrics["classes"]]].astype(float).to_numpy()
    assert (np.asarray(metrics["classes"])[scores.argmax(axis=1)] == predictions["predicted"]).all()
    model = json.loads((emotion_runs / "flow" / "model.json").read_text())
    assert model["target"] == "emotion" and model["C"] in [10.0 ** k for k in range(-3, 4)]


def test_the_constant_predicts_each_training_folds_majority_class(emotion_runs, tiny_db):
    predictions = pd.read_csv(emotion_runs / "constant" / "predictions.csv", dtype=str)
    splits = pd.read_csv(emotion_runs / "constant" / "splits.csv", dtype=str)
    labels = pd.read_csv(emotion_runs / "flow" / "predictions.csv", dtype=str)[["subject", "clip", "onset", "emotion"]]
    table = splits.merge(labels, on=["subject", "clip", "onset"])
    for fold, rows in predictions.groupby("fold"):
        validation = str((int(fold) + 1) % 4)
        training = table[(table["fold"] != fold) & (table["fold"] != validation)]
        counts = training["emotion"].value_counts()
        majority = [name for name in ["happiness", "disgust", "repression", "surprise", "others"]
                    if counts.get(name, 0) == counts.max()][0]
        assert (rows["predicted"] == majority).all()


def test_report_tables_emotion_runs_and_refuses_to_mix_them_with_au_runs(emotion_runs, tiny_db, tmp_path):
    result = invoke("report", emotion_runs / "constant", emotion_runs / "flow", "--ci", "95", "--paired",
                    "--resamples", "500", "--format", "csv", "-o", tmp_path / "table.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "table.csv")
    assert list(table.columns[1:5]) == ["UF1", "UAR", "Accuracy", "Mean precision"]
    flow = json.loads((emotion_runs / "flow" / "metrics.json").read_text())["pooled"]
    row = table[table.iloc[:, 0] == "Flow 16x16+SVM"].iloc[0]
    assert row["UF1"] == pytest.approx(flow["uf1"], abs=1e-4) and row["UAR"] == pytest.approx(flow["uar"], abs=1e-4)
    assert row["UF1_ci_low"] <= row["UF1"] <= row["UF1_ci_high"]
    aus = invoke("baseline", "constant", tiny_db, "--min-count", "3", "--splits", emotion_runs / "constant" /
                 "splits.csv", "-o", tmp_path / "au-constant")
    assert aus.exit_code == 0, aus.output
    mixed = invoke("report", emotion_runs / "flow", tmp_path / "au-constant")
    assert mixed.exit_code == 1 and "AU runs and emotion runs cannot share a table" in mixed.output
    assert mixed.output.strip().count("\n") == 0


def test_emotions_score_gives_the_runs_metrics_and_names_missing_rows(emotion_runs, tmp_path):
    predictions = pd.read_csv(emotion_runs / "flow" / "predictions.csv", dtype=str)
    predictions[["database", "subject", "clip", "predicted"]].rename(columns={"predicted": "emotion"}).to_csv(
        tmp_path / "guess.csv", index=False)
    truth = predictions[["database", "subject", "clip", "emotion"]].copy()
    truth["subject"] = "sub" + truth["subject"]  # as CASME II's folders name them
    truth.to_csv(tmp_path / "truth.csv", index=False)
    result = invoke("emotions", "score", tmp_path / "guess.csv", "--truth", tmp_path / "truth.csv", "-o",
                    tmp_path / "scores")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "scores" / "metrics.json").read_text())
    expected = json.loads((emotion_runs / "flow" / "metrics.json").read_text())["pooled"]
    assert written["pooled"]["uf1"] == pytest.approx(expected["uf1"])
    assert written["pooled"]["uar"] == pytest.approx(expected["uar"])
    truth.iloc[:-2].to_csv(tmp_path / "short.csv", index=False)
    missing = invoke("emotions", "score", tmp_path / "guess.csv", "--truth", tmp_path / "short.csv")
    assert missing.exit_code == 1 and "2 prediction(s) without truth" in missing.output
    again = invoke("emotions", "score", tmp_path / "guess.csv", "--truth", tmp_path / "truth.csv", "-o",
                   tmp_path / "scores")
    assert again.exit_code == 1 and "--overwrite" in again.output  # written once, replaced only when asked
    inside = invoke("emotions", "score", tmp_path / "guess.csv", "--truth", tmp_path / "truth.csv", "-o", tmp_path)
    assert inside.exit_code == 1 and not (tmp_path / "metrics.json").exists()  # -o holds the inputs: refused


def test_a_test_folds_labels_never_move_its_predictions(tiny_db, tmp_path):
    """Relabel every test sample of fold 0: the fold's scores and chosen C stay; the folds that train on
    those samples see the new labels."""
    from meau.databases import DatasetSelection, LabelSettings
    from meau.experiment import run_experiment
    from meau.handcrafted.pipeline import FlowSVMMethod
    from meau.runs import RunDir
    from .relabel import fold_rows, relabel_test_fold

    dataset = DatasetSelection(root=tiny_db, labels=LabelSettings(target="emotion", classes="five")).check().load()
    first = run_experiment(FlowSVMMethod(cache=tmp_path / "cache"), dataset, RunDir(tmp_path / "a"),
                           echo=lambda *_: None)
    relabelled = relabel_test_fold(dataset, tmp_path / "a" / "splits.csv")
    run_experiment(FlowSVMMethod(cache=tmp_path / "cache"), relabelled, RunDir(tmp_path / "b"),
                   splits=tmp_path / "a" / "splits.csv", echo=lambda *_: None)
    fold = lambda run, k: fold_rows(tmp_path / run, k)  # noqa: E731
    scores = [c for c in fold("a", 0).columns if c.startswith("score_")]
    pd.testing.assert_frame_equal(fold("a", 0)[scores], fold("b", 0)[scores])
    assert json.loads((tmp_path / "a/folds/fold_0.json").read_text())["C"] == \
        json.loads((tmp_path / "b/folds/fold_0.json").read_text())["C"]
    assert any(not fold("a", k)[scores].equals(fold("b", k)[scores]) for k in (2, 3))  # they train on fold 0
    assert first is not None


# -- readers, lists and the composite ------------------------------------------------------------------
@pytest.fixture(scope="module")
def megc_composite(tmp_path_factory):
    """SMIC-HS, CASME II and SAMM written by synth --like, in the MEGC2019 template."""
    root = tmp_path_factory.mktemp("megc")
    for seed, name in enumerate(("smic", "casme2", "samm")):
        result = invoke("synth", root / name, "--like", name, "--subjects", 4, "--samples", 32, "--intensity", 8,
                        "--seed", seed + 1)
        assert result.exit_code == 0, result.output
    assert invoke("template", "megc2019", "-o", root / "megc.toml").exit_code == 0
    text = (root / "megc.toml").read_text()
    for name, path in (("SMIC", "smic"), ("CASME2", "casme2"), ("SAMM", "samm")):
        text = text.replace(f'"/path/to/{name}"', f'"{root / path}"')
    (root / "megc.toml").write_text(text)
    return root


def test_smic_reads_its_folders_and_has_no_aus(megc_composite, tmp_path):
    from meau.databases import DatasetSelection, LabelSettings

    root = megc_composite / "smic"
    dataset = DatasetSelection(database="smic", root=root, labels=LabelSettings(target="emotion")).check().load()
    assert set(dataset.table["subject"]) <= {"s01", "s02", "s03", "s04"} and len(dataset.table)
    assert set(dataset.table["emotion_class"]) <= {"negative", "positive", "surprise"}
    non_micro = {path.name for path in root.glob("HS/*/non_micro/*")}
    assert non_micro and not non_micro & set(dataset.table["clip"])  # non_micro folders are not samples
    first = dataset.table.iloc[0]
    assert first["onset"] == first["frame_numbers"][0] and pd.isna(first["apex"])
    import meau

    assert len(meau.load_dataset(root, "smic", target="emotion")) == len(dataset)  # the Python API reads the same
    result = invoke("baseline", "constant", root, "--database", "smic", "-o", tmp_path / "aus")
    assert result.exit_code == 1 and "SMIC codes no AUs" in result.output and not (tmp_path / "aus").exists()


def test_the_composites_per_database_scores_are_its_pooled_predictions_split(megc_composite, tmp_path):
    from meau.metrics import class_metrics

    result = invoke("baseline", "flow", "--datasets", megc_composite / "megc.toml", "--protocol", "loso",
                    "--cache", tmp_path / "cache", "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    predictions = pd.read_csv(tmp_path / "run" / "predictions.csv", dtype=str)
    assert metrics["classes"] == ["negative", "positive", "surprise"]
    assert set(metrics["by_database"]) == {"SMIC-HS", "CASME II", "SAMM"}
    for name, found in metrics["by_database"].items():
        rows = predictions[predictions["database"] == name]
        assert found == class_metrics(rows["emotion"], rows["predicted"], metrics["classes"])
    splits = pd.read_csv(tmp_path / "run" / "splits.csv", dtype=str)
    assert splits.groupby("fold").apply(lambda rows: (rows["database"] + rows["subject"]).nunique()).eq(1).all()
    report = invoke("report", tmp_path / "run", "--by-database")
    assert report.exit_code == 0 and "SMIC-HS" in report.output


def test_samples_lists_match_subjects_as_published_and_name_what_is_missing(megc_composite, tmp_path):
    from meau.databases import DatasetSelection, LabelSettings

    full = DatasetSelection(database="smic", root=megc_composite / "smic",
                            labels=LabelSettings(target="emotion")).check().load()
    chosen = full.table.iloc[:3]
    listing = tmp_path / "list.csv"
    rows = [{"subject": f"s{int(s[1:])}", "clip": c, "database": "smic"} for s, c in
            zip(chosen["subject"], chosen["clip"])]  # s1, as the folders write it
    rows += [{"subject": "s01", "clip": "s1_ne_99", "database": "smic"},
             {"subject": "sub01", "clip": "EP01_01", "database": "casme2"}]  # another database's row: ignored
    pd.DataFrame(rows).to_csv(listing, index=False)
    kept = DatasetSelection(database="smic", root=megc_composite / "smic", samples=listing,
                            labels=LabelSettings(target="emotion")).check().load()
    assert list(kept.table["clip"]) == list(chosen["clip"])
    missing = [p for p in kept.problems if p.kind == "listed-not-found"]
    assert len(missing) == 1 and "s1_ne_99" in missing[0].message
    assert sum(p.kind == "not-listed" for p in kept.problems) == len(full.table) - 3
    from meau.databases.samples import subject_key

    assert subject_key("sub01") == subject_key("01") and subject_key("6") == subject_key("006")
    assert subject_key("s1") == subject_key("s01") != subject_key("01")


def test_annotate_writes_each_samples_class_and_counts_what_it_leaves_out(tiny_db, tmp_path):
    result = invoke("annotate", tiny_db / "CASME2-coding-synth.xlsx", "--database", "casme2", "--target", "emotion",
                    "--classes", "megc", "-o", tmp_path / "emotions.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "emotions.csv", dtype=str)
    assert list(table.columns[:4]) == ["database", "subject", "clip", "emotion"]
    assert set(table["emotion"]) <= {"negative", "positive", "surprise"}
    problems = pd.read_csv(tmp_path / "emotions.problems.csv", dtype=str)
    left_out = problems[problems["kind"] == "outside-classes"]
    assert len(left_out) and left_out["message"].str.contains("'others'").all()
    assert "Samples" in result.output
    alone = invoke("baseline", "constant", tiny_db, "--classes", "five", "-o", tmp_path / "run")
    assert alone.exit_code == 1 and "--classes chooses classes" in alone.output and not (tmp_path / "run").exists()


def test_predict_and_seeds_on_an_svm_emotion_run(emotion_runs, tiny_db, tmp_path):
    clip = next((tiny_db / "Cropped").glob("sub*/*"))
    result = invoke("predict", emotion_runs / "flow", clip, "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p.csv")
    classes = ["happiness", "disgust", "repression", "surprise", "others"]
    assert table.loc[0, "emotion"] in classes
    assert table.loc[0, [f"p_{name}" for name in classes]].sum() == pytest.approx(1, abs=1e-5)
    traces = invoke("predict", emotion_runs / "flow", clip, "--window", 6, "--stride", 3, "--figure",
                    tmp_path / "traces.png", "-o", tmp_path / "w.csv")
    assert traces.exit_code == 0, traces.output
    windows = pd.read_csv(tmp_path / "w.csv")
    assert len(windows) > 1 and windows["emotion"].isin(classes).all() and (tmp_path / "traces.png").stat().st_size
    seeds = invoke("baseline", "constant", tiny_db, "--target", "emotion", "--classes", "five", "--seeds", "0,1",
                   "-o", tmp_path / "seeds")
    assert seeds.exit_code == 0 and "over seeds [0, 1]: UF1" in seeds.output, seeds.output
    metrics = json.loads((tmp_path / "seeds" / "metrics.json").read_text())
    per_seed = [json.loads((tmp_path / "seeds" / f"seed_{s}" / "metrics.json").read_text()) for s in (0, 1)]
    assert metrics["pooled"]["uf1"] == pytest.approx(np.mean([m["pooled"]["uf1"] for m in per_seed]))
    assert invoke("report", tmp_path / "seeds").exit_code == 0


def test_the_objective_classes_of_a_samm_sheet_are_a_target(megc_composite, tmp_path):
    """SAMM's ``Objective Classes`` (synth writes them from the planted AUs: I for AU12 … VII for the rest)."""
    from meau.databases.likes import objective_class

    root = megc_composite / "samm"
    result = invoke("annotate", root / "SAMM_Micro_FACS_Codes_v2.xlsx", "--database", "samm", "--target", "objective",
                    "-o", tmp_path / "objective.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "objective.csv", dtype=str)
    aus = invoke("annotate", root / "SAMM_Micro_FACS_Codes_v2.xlsx", "--database", "samm", "--min-count", "1",
                 "-o", tmp_path / "aus.csv")
    assert aus.exit_code == 0, aus.output
    coded = pd.read_csv(tmp_path / "aus.csv", dtype=str)
    au_columns = [column for column in coded.columns if column.startswith("AU")]
    expected = [str(objective_class({int(c[2:]) for c in au_columns if row[c] == "1"})) for _, row in coded.iterrows()]
    assert list(table["emotion"]) == expected
    run = invoke("baseline", "constant", root, "--database", "samm", "--target", "objective", "-o", tmp_path / "run")
    assert run.exit_code == 0, run.output
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["classes"] == sorted(set(expected))
