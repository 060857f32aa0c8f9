"""Emotion recognition with the networks: a softmax head trained by cross-entropy, the best epoch by
validation UF1, the test fold's labels never used, and predict on the run."""

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from meau.cli import cli  # noqa: E402


@pytest.fixture(scope="module")
def emotion_dataset(tiny_db):
    from meau.databases import DatasetSelection, LabelSettings

    return DatasetSelection(root=tiny_db, labels=LabelSettings(target="emotion", classes="five")).check().load()


def _flow_method(tmp_path, **settings):
    from meau.deep.train import FlowConfig, FlowMethod

    config = FlowConfig(model="ststnet", epochs=3, batch_size=8, device="cpu", deterministic=True, **settings)
    return FlowMethod(config, cache=tmp_path / "cache", echo=lambda *_: None)


def test_a_test_folds_labels_never_move_a_networks_predictions(emotion_dataset, tmp_path):
    """Relabel fold 0's test samples: fold 0's probabilities and best epoch stay, bit for bit (deterministic
    CPU training); a fold that trains on those samples changes."""
    from meau.experiment import run_experiment
    from meau.runs import RunDir
    from ..relabel import fold_rows, relabel_test_fold

    run_experiment(_flow_method(tmp_path), emotion_dataset, RunDir(tmp_path / "a"), echo=lambda *_: None)
    relabelled = relabel_test_fold(emotion_dataset, tmp_path / "a" / "splits.csv")
    run_experiment(_flow_method(tmp_path), relabelled, RunDir(tmp_path / "b"), splits=tmp_path / "a" / "splits.csv",
                   echo=lambda *_: None)
    fold = lambda run, k: fold_rows(tmp_path / run, k)  # noqa: E731
    probabilities = [c for c in fold("a", 0).columns if c.startswith("p_")]
    assert len(probabilities) == len(emotion_dataset.classes)
    pd.testing.assert_frame_equal(fold("a", 0)[probabilities], fold("b", 0)[probabilities])
    extras = lambda run: json.loads((tmp_path / run / "folds" / "fold_0.json").read_text())  # noqa: E731
    assert extras("a")["best_epoch"] == extras("b")["best_epoch"]
    assert any(not fold("a", k)[probabilities].equals(fold("b", k)[probabilities]) for k in (2, 3))
    values = fold("a", 1)[probabilities].astype(float)
    assert np.allclose(values.sum(axis=1), 1, atol=1e-5)  # a softmax over the classes
    assert (np.asarray(emotion_dataset.classes)[values.to_numpy().argmax(axis=1)] == fold("a", 1)["predicted"]).all()


def test_predict_on_an_emotion_run_writes_the_class_and_its_probabilities(emotion_dataset, tiny_db, tmp_path):
    from meau.experiment import run_experiment
    from meau.runs import RunDir

    run_experiment(_flow_method(tmp_path, class_weight="balanced"), emotion_dataset, RunDir(tmp_path / "run"),
                   echo=lambda *_: None)
    checkpoint = torch.load(next((tmp_path / "run" / "checkpoints").glob("fold_*/best.pt")), weights_only=True)
    assert checkpoint["target"] == "emotion" and checkpoint["au_columns"] == emotion_dataset.classes
    clip = emotion_dataset.table["frames"].iloc[0][0].parent
    result = CliRunner().invoke(cli, ["predict", str(tmp_path / "run"), str(clip), "-o", str(tmp_path / "p.csv")],
                                obj={})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p.csv")
    columns = [f"p_{name}" for name in emotion_dataset.classes]
    assert list(table.columns[-len(columns) - 1:]) == ["emotion", *columns]
    row = table.iloc[0]
    assert row["emotion"] == emotion_dataset.classes[int(np.argmax(row[columns].to_numpy(float)))]
    assert row[columns].sum() == pytest.approx(1, abs=1e-5)


def test_class_weights_are_for_emotions_only(tiny_db, tmp_path):
    result = CliRunner().invoke(cli, ["train", "flow", str(tiny_db), "--min-count", "3", "--class-weight", "balanced",
                                      "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 1 and "--class-weight weighs emotion classes" in result.output
    assert not (tmp_path / "run").exists()
