import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from meau.cli import cli  # noqa: E402
from meau.deep.data import ClipSpec  # noqa: E402
from meau.deep.train import DeepMethod, TrainConfig  # noqa: E402
from meau.errors import MeauError  # noqa: E402
from meau.experiment import run_experiment  # noqa: E402
from meau.runs import RunDir  # noqa: E402

TINY = dict(backbone="res3d18", fusion="learn", widen_factor=1 / 16, reduced=8, batch_size=8, device="cpu",
            deterministic=True, clip=ClipSpec(frames=8, tim_frames=12, short_side=32, crop=28))


class Interrupt(Exception):
    pass


def _run(dataset, path, epochs, *, stop_after=None, resume=False, cache=None):
    def hook(fold, epoch):
        if stop_after is not None and epoch == stop_after:
            raise Interrupt()

    method = DeepMethod(TrainConfig(epochs=epochs, **TINY), cache=cache, echo=lambda *_: None, on_epoch_end=hook)
    return run_experiment(method, dataset, RunDir(path, resume=resume), fold=0, echo=lambda *_: None)


def test_resume_after_interruption_gives_the_same_result(tiny_dataset, tmp_path):
    _run(tiny_dataset, tmp_path / "straight", 4, cache=tmp_path / "cache")
    with pytest.raises(Interrupt):
        _run(tiny_dataset, tmp_path / "resumed", 4, stop_after=2, cache=tmp_path / "cache")
    assert (tmp_path / "resumed" / "checkpoints" / "fold_0" / "last.pt").exists()
    assert not (tmp_path / "resumed" / "folds" / "fold_0.csv").exists()
    _run(tiny_dataset, tmp_path / "resumed", 4, resume=True, cache=tmp_path / "cache")
    straight = json.loads((tmp_path / "straight" / "folds" / "fold_0.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "folds" / "fold_0.json").read_text())
    assert [h["loss"] for h in resumed["history"]] == [h["loss"] for h in straight["history"]]
    assert resumed["best_epoch"] == straight["best_epoch"]
    assert (tmp_path / "straight" / "folds" / "fold_0.csv").read_text() == \
           (tmp_path / "resumed" / "folds" / "fold_0.csv").read_text()


def test_cuda_asked_for_where_none_exists():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(MeauError, match="CUDA is not available"):
        DeepMethod(TrainConfig(device="cuda", **{k: v for k, v in TINY.items() if k != "device"}))
    with pytest.raises(MeauError, match="not a device"):
        DeepMethod(TrainConfig(device="gpu7", **{k: v for k, v in TINY.items() if k != "device"}))


def test_cli_train_sca_tiny_end_to_end_and_bad_inputs(tiny_db, tmp_path):
    runner = CliRunner()
    common = [str(tiny_db), "--min-count", "3", "--widen-factor", "0.0625", "--epochs", "2", "--batch-size", "8",
              "--short-side", "32", "--crop", "28", "--tim-frames", "12", "--clip-frames", "8", "--device", "cpu",
              "--cache", str(tmp_path / "cache")]
    result = runner.invoke(cli, ["train", "sca", *common, "--fold", "1", "-o", str(tmp_path / "run")], obj={})
    assert result.exit_code == 0, result.output
    assert "fold 1 epoch 2/2" in result.output
    assert (tmp_path / "run" / "checkpoints" / "fold_1" / "best.pt").exists()
    log = (tmp_path / "run" / "run.log").read_text()
    assert "validation F1" in log
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["method"] == "Res3D-18+SCA" and config["parameters"]["model"]["fusion"] == "learn"
    import torch

    assert config["cpu_capability"] == torch.backends.cpu.get_cpu_capability()  # what moves a network's last digits
    # bad inputs: one line, exit 1
    (tmp_path / "corrupt.pth").write_bytes(b"not a checkpoint")
    bad = runner.invoke(cli, ["train", "sca", *common, "--pretrained", str(tmp_path / "corrupt.pth"), "-o",
                              str(tmp_path / "bad1")], obj={})
    assert bad.exit_code == 1 and "corrupt.pth: cannot read weights" in bad.output
    from meau.deep.resnet3d import res3d18

    torch.save({"arch": "resnet-18", "state_dict": res3d18(widen_factor=1 / 16).state_dict()}, tmp_path / "r18.pth")
    wrong = runner.invoke(cli, ["train", "sca", *common, "--backbone", "res3d50", "--pretrained",
                                str(tmp_path / "r18.pth"), "-o", str(tmp_path / "bad2")], obj={})
    assert wrong.exit_code == 1 and "cannot initialise --backbone res3d50" in wrong.output
    no_fold = runner.invoke(cli, ["train", "sca", *common, "--fold", "9", "-o", str(tmp_path / "bad3")], obj={})
    assert no_fold.exit_code == 1 and "--fold 9" in no_fold.output
    unknown = runner.invoke(cli, ["train", "sca", *common, "--backbone", "res3d7", "-o", str(tmp_path / "bad5")], obj={})
    assert unknown.exit_code == 1 and "unknown backbone 'res3d7'; available: res3d101" in unknown.output
    assert not (tmp_path / "bad5").exists()
    if not torch.cuda.is_available():
        cuda = runner.invoke(cli, ["train", "sca", *common, "--device", "cuda", "-o", str(tmp_path / "bad4")], obj={})
        assert cuda.exit_code == 1 and "CUDA is not available" in cuda.output
    assert all(r.output.strip().count("\n") <= 1 for r in (bad, wrong))


@pytest.fixture(scope="module")
def trained_run(easy_db, easy_dataset, tmp_path_factory):
    """Fold 0 of the demo's quarter-width Res3D-18 + SCA (its defaults: onset-difference input, flips,
    15 epochs) trained from scratch on the easy database (160 samples, intensity 10). One fold, not
    four: measured, every fold gives the same answer (mean per-AU test ROC AUC 0.93, 0.94, 0.95, 0.93),
    at a quarter of the time."""
    from meau.deep.train import small_cpu_config

    folder = tmp_path_factory.mktemp("trained")
    method = DeepMethod(small_cpu_config("learn"), cache=folder / "cache", echo=lambda *_: None)
    parameters = {"data_root": str(easy_db), "database": "casme2", "aus": "auto", "min_count": 20}
    run_experiment(method, easy_dataset, RunDir(folder / "run"), parameters=parameters, fold=0, echo=lambda *_: None)
    return easy_dataset, folder / "run", folder / "cache"


@pytest.mark.slow
def test_small_model_learns_the_planted_aus(trained_run):
    """Known answer: planted AU motion is learnt, measured on the test fold.
    Measured: mean per-AU ROC AUC 0.93, average F1 well above the constant's on the same samples."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from meau.metrics import evaluate

    dataset, run, _ = trained_run
    predictions = pd.read_csv(run / "folds" / "fold_0.csv")
    assert 0 < len(predictions) < len(dataset.table)
    columns = [c for c in dataset.au_columns if predictions[c].nunique() == 2]
    aucs = [roc_auc_score(predictions[c], predictions[f"{c}_p"]) for c in columns]
    assert np.mean(aucs) >= 0.85, aucs
    truth = predictions[columns].to_numpy()
    learnt = evaluate(truth, predictions[[f"{c}_c" for c in columns]].to_numpy(), predictions["fold"], columns)
    constant = evaluate(truth, np.ones_like(truth), predictions["fold"], columns)
    assert learnt["pooled"]["AVG"]["f1"] > constant["pooled"]["AVG"]["f1"] + 0.1, (learnt["pooled"]["AVG"]["f1"],
                                                                                   constant["pooled"]["AVG"]["f1"])


def test_cam_mean_plus_bias_is_the_logit():
    from meau.deep.model import build_model

    torch.manual_seed(4)
    model = build_model("res3d18", 3, fusion="learn", widen_factor=1 / 16, reduced=8, stem="377",
                        input_shape=(8, 64, 64)).eval()
    clips = torch.randn(2, 3, 8, 64, 64)
    fused = model.head.fused(model.backbone(clips))
    maps = torch.einsum("kc,nchw->nkhw", model.head.classifier.weight, fused)
    logits = model(clips)
    torch.testing.assert_close(maps.mean(dim=(2, 3)) + model.head.classifier.bias, logits)
    upsampled = model.class_activation_maps(clips)
    assert upsampled.shape == (2, 3, 64, 64)
    # bilinear upsampling stays within the map's range
    assert (upsampled.amax(dim=(2, 3)) <= maps.amax(dim=(2, 3)) + 1e-5).all()
    assert (upsampled.amin(dim=(2, 3)) >= maps.amin(dim=(2, 3)) - 1e-5).all()


@pytest.mark.slow
def test_explain_draws_one_row_per_run(trained_run, tmp_path):
    import matplotlib.image as mpimg
    import pandas as pd

    from meau.deep.cam import explain

    dataset, run, cache = trained_run
    splits = pd.read_csv(run / "splits.csv", dtype={"subject": str, "clip": str})
    first = int(np.flatnonzero(splits["fold"].to_numpy() == 0)[0])
    key = f"{dataset.table['subject'][first]}/{dataset.table['clip'][first]}"
    written = explain([run, run], [key], tmp_path / "cam", cache=cache, echo=lambda *_: None)
    assert [p.suffix for p in written] == [".png", ".pdf"]
    height, width = mpimg.imread(written[0]).shape[:2]
    assert width > height > 150  # two rows of eight panels
    from meau.errors import MeauError

    with pytest.raises(MeauError, match="exists; use --overwrite"):
        explain([run], [key], tmp_path / "cam", cache=cache, echo=lambda *_: None)
    with pytest.raises(MeauError, match="not among the run's") as error:
        explain([run], ["99/NOPE"], tmp_path / "cam", cache=cache, echo=lambda *_: None)
    example = str(error.value).split("such as ")[1].split(" or ")[0].rstrip(")")
    assert example != "99/NOPE" and example in set(dataset.table["subject"] + "/" + dataset.table["clip"])
    rejected = dataset.table["subject"][0] + "/" + dataset.table["clip"][0]
    with pytest.raises(MeauError) as error:  # a clip of another run's database: the example is never the rejected one
        from meau.deep.cam import find_samples

        find_samples(dataset.table.iloc[1:], [rejected])
    assert f"such as {rejected}" not in str(error.value)


@pytest.mark.slow
def test_torchrun_data_parallel_on_cpu(tiny_db, tmp_path):
    """Two processes (gloo) train one fold; rank 0 alone writes the run folder."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
               "-m", "meau", "train", "sca", str(tiny_db), "--min-count", "3", "--widen-factor", "0.0625",
               "--epochs", "2", "--batch-size", "8", "--short-side", "32", "--crop", "28", "--tim-frames", "12",
               "--clip-frames", "8", "--device", "cpu", "--fold", "0", "--cache", str(tmp_path / "cache"),
               "-o", str(tmp_path / "ddp")]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    config = json.loads((tmp_path / "ddp" / "config.json").read_text())
    assert config["parameters"]["world_size"] == 2
    assert (tmp_path / "ddp" / "folds" / "fold_0.csv").exists()
    assert result.stdout.count("fold 0 epoch 2/2") == 1  # only rank 0 reports
