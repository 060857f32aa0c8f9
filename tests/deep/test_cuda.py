"""The CUDA path: bf16 autocast, channels_last_3d, cuDNN, torch.compile, CUDA-trained runs read on a CPU.

Marked ``gpu`` and skipped where CUDA is not available (run them with ``pytest -m gpu``).
"""

import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from meau.cli import cli  # noqa: E402
from meau.deep.model import build_model  # noqa: E402
from meau.deep.sca import FUSIONS  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


@pytest.mark.parametrize("backbone", ["res3d18", "res3d50"])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_bf16_channels_last_forward_and_backward(backbone, fusion):
    torch.manual_seed(0)
    model = build_model(backbone, 6, fusion=fusion, widen_factor=0.25, reduced=32).cuda()
    model = model.to(memory_format=torch.channels_last_3d).train()
    clips = torch.randn(4, 3, 10, 112, 112, device="cuda").contiguous(memory_format=torch.channels_last_3d)
    targets = (torch.rand(4, 6, device="cuda") < 0.4).float()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(clips)
    assert logits.dtype == torch.bfloat16 and logits.shape == (4, 6)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), targets, reduction="none").sum(1).mean()
    loss.backward()
    assert torch.isfinite(loss)
    missing = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("fusion", ["learn", "none"])
def test_cpu_and_cuda_fp32_outputs_agree(fusion):
    """Same weights, eval mode, TF32 off: logits agree within rtol 1e-3, atol 1e-4."""
    torch.manual_seed(1)
    model = build_model("res3d18", 5, fusion=fusion, widen_factor=0.25, reduced=32).eval()
    clips = torch.randn(3, 3, 10, 112, 112)
    with torch.no_grad():
        expected = model(clips)
    allow_cudnn, allow_matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            got = model.cuda()(clips.cuda()).cpu()
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = allow_cudnn, allow_matmul
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-4)


def _common(db, cache):
    return [str(db), "--min-count", "3", "--widen-factor", "0.125", "--batch-size", "8", "--short-side", "32",
            "--crop", "28", "--tim-frames", "12", "--clip-frames", "8", "--device", "cuda", "--cache", str(cache)]


@pytest.fixture(scope="module")
def cuda_run(tiny_db, tmp_path_factory):
    """A 2-epoch CUDA run: fold 0 first, then the others with --resume (fold 0 kept)."""
    folder = tmp_path_factory.mktemp("cuda_run")
    runner = CliRunner()
    first = runner.invoke(cli, ["train", "sca", *_common(tiny_db, folder / "cache"), "--epochs", "2", "--fold", "0",
                                "-o", str(folder / "run")], obj={})
    assert first.exit_code == 0, first.output
    rest = runner.invoke(cli, ["train", "sca", *_common(tiny_db, folder / "cache"), "--epochs", "2", "--resume",
                               "-o", str(folder / "run")], obj={})
    assert rest.exit_code == 0, rest.output
    assert "fold 0: already done, kept" in rest.output
    return folder / "run", folder / "cache"


def test_train_sca_on_cuda_end_to_end_with_resume(cuda_run):
    run, _ = cuda_run
    config = json.loads((run / "config.json").read_text())
    assert config["parameters"]["device"].startswith("cuda") and config["parameters"]["amp"] == "bf16"
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0 <= metrics["pooled"]["AVG"]["f1"] <= 1
    assert len(list(run.glob("checkpoints/fold_*/best.pt"))) == 4


def test_train_sca_with_compile(tiny_db, tmp_path):
    result = CliRunner().invoke(cli, ["train", "sca", *_common(tiny_db, tmp_path / "cache"), "--epochs", "1",
                                      "--fold", "0", "--compile", "-o", str(tmp_path / "compiled")], obj={})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "compiled" / "folds" / "fold_0.csv").exists()


def test_cuda_trained_run_predicts_and_explains_in_a_cpu_only_process(cuda_run, tiny_db, tmp_path):
    run, cache = cuda_run
    folder = sorted((tiny_db / "Cropped").glob("sub0*/EP*"))[0]
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    predict = subprocess.run([sys.executable, "-m", "meau", "predict", str(run), str(folder), "--device", "cpu",
                              "-o", str(tmp_path / "p.csv")], capture_output=True, text=True, env=environment)
    assert predict.returncode == 0, predict.stderr
    key = f"{folder.parent.name.replace('sub', '')}/{folder.name}"
    explain = subprocess.run([sys.executable, "-m", "meau", "explain", str(run), "--clips", key,
                              "-o", str(tmp_path / "cam")], capture_output=True, text=True, env=environment)
    assert explain.returncode == 0, explain.stderr
    assert list((tmp_path / "cam").glob("cam_*.png"))
