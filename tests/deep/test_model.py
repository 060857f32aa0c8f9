import pytest

torch = pytest.importorskip("torch")

from meau.deep.model import build_model, count_parameters  # noqa: E402
from meau.deep.resnet3d import ShortcutA, res3d18, res3d50, res3d101  # noqa: E402
from meau.deep.sca import FUSIONS, ChannelAttention, SpatialAttention, channel_covariance, spatial_covariance  # noqa: E402


@pytest.mark.parametrize("builder, expected", [(res3d18, 33_203_904), (res3d50, 46_198_976), (res3d101, 85_245_120)])
def test_full_width_parameter_counts(builder, expected):
    model = builder()
    assert count_parameters(model) == expected
    assert model.output_shape((10, 112, 112)) == (1, 4, 4)


@pytest.mark.parametrize("backbone", ["res3d18", "res3d50", "res3d101"])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_shapes_for_every_backbone_and_fusion(backbone, fusion):
    torch.manual_seed(0)
    model = build_model(backbone, 5, fusion=fusion, widen_factor=1 / 32, reduced=8)
    clips = torch.randn(2, 3, 10, 112, 112)
    features = model.backbone(clips)
    channels = model.backbone.out_channels
    assert features.shape == (2, channels, 1, 4, 4)
    assert model(clips).shape == (2, 5)
    assert model.class_activation_maps(clips[:1]).shape == (1, 5, 112, 112)


def test_head_parameter_counts_match_the_paper():
    assert abs(count_parameters(build_model("res3d18", 8).head) - 0.47e6) < 0.01e6
    assert abs(count_parameters(build_model("res3d50", 8).head) - 1.66e6) < 0.01e6


def test_covariances_equal_torch_cov():
    torch.manual_seed(1)
    x = torch.randn(3, 6, 16)  # N x c' x d
    channel, spatial = channel_covariance(x), spatial_covariance(x)
    for n in range(3):
        torch.testing.assert_close(channel[n], torch.cov(x[n], correction=0))
        torch.testing.assert_close(spatial[n], torch.cov(x[n].T, correction=0))
    assert channel_covariance(x.to(torch.bfloat16)).dtype == torch.float32


def test_attention_weights_lie_in_zero_one():
    torch.manual_seed(2)
    features = torch.randn(4, 32, 4, 4) * 10
    channel = ChannelAttention(32, 8).eval()(features)
    spatial = SpatialAttention(32, 16, 8).eval()(features)
    assert channel.shape == (4, 32, 1, 1) and spatial.shape == (4, 1, 4, 4)
    for weights in (channel, spatial):
        assert (weights > 0).all() and (weights < 1).all()


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_every_parameter_receives_a_gradient(shortcut):
    torch.manual_seed(3)
    model = build_model("res3d18", 3, fusion="learn", widen_factor=1 / 16, reduced=8, shortcut=shortcut, dropout=0.0)
    loss = model(torch.randn(2, 3, 10, 112, 112)).pow(2).sum()
    loss.backward()
    without = [name for name, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()
               or p.grad.abs().sum() == 0]
    assert without == []


def test_shortcut_a_keeps_the_identity_gradient_on_any_dtype():
    shortcut = ShortcutA(8, 2)
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        x = torch.randn(1, 4, 4, 6, 6, dtype=dtype, requires_grad=True)
        out = shortcut(x)
        assert out.shape == (1, 8, 2, 3, 3) and out.dtype == dtype
        out.sum().backward()
        assert x.grad[:, :, ::2, ::2, ::2].eq(1).all() and x.grad.sum() == out[:, :4].numel()


def test_learned_fusion_weights_start_at_one_half():
    model = build_model("res3d18", 2, fusion="learn", widen_factor=1 / 16, reduced=8)
    assert model.head.weight_spatial.item() == 0.5 and model.head.weight_channel.item() == 0.5


@pytest.mark.parametrize("fusion", FUSIONS)
def test_bf16_autocast_keeps_covariances_in_float32(fusion, monkeypatch):
    from meau.deep import sca

    seen = []
    original = sca.channel_covariance, sca.spatial_covariance

    def spy(function):
        def wrapped(x):
            result = function(x)
            seen.append(result.dtype)
            return result

        return wrapped

    monkeypatch.setattr(sca, "channel_covariance", spy(original[0]))
    monkeypatch.setattr(sca, "spatial_covariance", spy(original[1]))
    model = build_model("res3d18", 3, fusion=fusion, widen_factor=1 / 16, reduced=8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(torch.randn(2, 3, 10, 112, 112))
    logits.float().sum().backward()
    assert logits.shape == (2, 3)
    assert all(dtype == torch.float32 for dtype in seen)
    assert len(seen) == {"learn": 2, "max": 2, "avg": 2, "concat": 2, "sa": 1, "ca": 1, "none": 0}[fusion]
