"""The shallow flow CNNs: shapes from their papers, flips of flow images, and the known answer."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from meau.deep.flownets import FlowBatcher, OffApexNet, SSSNet, STSTNet, flow_model_names, get_flow_model  # noqa: E402


@pytest.mark.parametrize("name", flow_model_names())
def test_every_flow_model_maps_its_images_to_one_logit_per_au(name):
    builder = get_flow_model(name)
    torch.manual_seed(0)
    model = builder(7, dropout=0.5)
    x = torch.rand(4, len(builder.channels), builder.size, builder.size)
    logits = model(x)
    assert logits.shape == (4, 7)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_layer_sizes_follow_the_papers():
    assert SSSNet.size == 64 and SSSNet(5).classifier[1].in_features == 9 * 9 * 64
    assert STSTNet.size == 28 and STSTNet(5).classifier[1].in_features == 5 * 5 * 16
    assert OffApexNet.size == 28 and OffApexNet.channels == ("u", "v")
    assert OffApexNet(5).classifier[2].in_features == 7 * 7 * 16
    assert [b[0].out_channels for b in STSTNet(5).branches] == [3, 5, 8]


def test_a_mirrored_flow_image_has_its_u_reversed_and_negated():
    rng = np.random.default_rng(0)
    images = rng.random((1, 3, 6, 6)).astype(np.float32)
    batcher = FlowBatcher(images, "cpu", ("u", "v", "strain"), flip=True)
    generator = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(20):
        x = batcher.batch([0], train=True, generator=generator)[0].numpy()
        if np.array_equal(x, images[0]):
            seen.add("same")
        else:
            np.testing.assert_allclose(x[0], 1 - images[0, 0, :, ::-1], atol=1e-6)
            np.testing.assert_array_equal(x[1:], images[0, 1:, :, ::-1])
            seen.add("mirrored")
    assert seen == {"same", "mirrored"}
    assert np.array_equal(batcher.batch([0], train=False)[0].numpy(), images[0])


@pytest.mark.slow
def test_a_flow_cnn_beats_the_constant_by_a_wide_margin(easy_dataset, constant_f1, tmp_path):
    """Known answer: STSTNet, 40 epochs from scratch on CPU (measured: 0.82 against the constant's 0.33)."""
    from meau.deep.train import FlowConfig, FlowMethod
    from meau.experiment import run_experiment
    from meau.runs import RunDir

    method = FlowMethod(FlowConfig(model="ststnet", epochs=40, device="cpu", deterministic=True),
                        cache=tmp_path / "cache", echo=lambda *_: None)
    metrics = run_experiment(method, easy_dataset, RunDir(tmp_path / "run"), echo=lambda *_: None)
    assert metrics["pooled"]["AVG"]["f1"] >= constant_f1 + 0.2, (metrics["pooled"]["AVG"]["f1"], constant_f1)
    assert (tmp_path / "run" / "apex.csv").exists()
    assert len(list((tmp_path / "run" / "checkpoints").glob("fold_*/best.pt"))) == 4
