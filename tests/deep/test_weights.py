import pytest

torch = pytest.importorskip("torch")

from meau.deep.resnet3d import res3d18, res3d50  # noqa: E402
from meau.deep.weights import WeightsError, check_architecture, load_backbone, read_pretrained  # noqa: E402

TORCHVISION_NAMES = [("conv1.", "stem.0."), ("bn1.", "stem.1.")]


def _hara_file(path, model, classes):
    state = {f"module.{k}": v for k, v in model.state_dict().items()}
    state["module.fc.weight"] = torch.randn(classes, model.out_channels)
    state["module.fc.bias"] = torch.randn(classes)
    torch.save({"arch": "resnet", "state_dict": state, "epoch": 200}, path)
    return path


def _torchvision_file(path, model):
    state = {}
    for key, value in model.state_dict().items():
        if key.startswith("conv1."):
            key = "stem.0." + key[len("conv1."):]
        elif key.startswith("bn1."):
            key = "stem.1." + key[len("bn1."):]
        else:
            for ours, theirs in ((".conv1.", ".conv1.0."), (".bn1.", ".conv1.1."), (".conv2.", ".conv2.0."),
                                 (".bn2.", ".conv2.1.")):
                if ours in key and ".downsample." not in key:
                    key = key.replace(ours, theirs)
                    break
        state[key] = value
    state["fc.weight"] = torch.randn(400, model.out_channels)
    state["fc.bias"] = torch.randn(400)
    torch.save(state, path)
    return path


def _same_output(source, loaded):
    source.eval(), loaded.eval()
    x = torch.randn(1, 3, 8, 64, 64)
    torch.testing.assert_close(loaded(x), source(x))


@pytest.mark.parametrize("case", ["hara2018-A", "hara2018-B50", "hara2020", "torchvision"])
def test_checkpoints_in_each_format_load_and_reproduce_the_source(case, tmp_path):
    torch.manual_seed(0)
    w = 1 / 16
    if case == "hara2018-A":
        source = res3d18(widen_factor=w, shortcut="A")
        pretrained = read_pretrained(_hara_file(tmp_path / "resnet-18-kinetics.pth", source, 400))
        expected = ("hara2018", 18, "A", "777", 400)
    elif case == "hara2018-B50":
        source = res3d50(widen_factor=w)
        pretrained = read_pretrained(_hara_file(tmp_path / "resnet-50-kinetics.pth", source, 400))
        expected = ("hara2018", 50, "B", "777", 400)
    elif case == "hara2020":
        source = res3d18(widen_factor=w)
        pretrained = read_pretrained(_hara_file(tmp_path / "r3d18_K_200ep.pth", source, 700))
        expected = ("hara2020", 18, "B", "777", 700)
    else:
        source = res3d18(widen_factor=w, stem="377")
        pretrained = read_pretrained(_torchvision_file(tmp_path / "r3d_18.pth", source))
        expected = ("torchvision", 18, "B", "377", 400)
    assert (pretrained.format, pretrained.depth, pretrained.shortcut, pretrained.stem, pretrained.num_classes) == expected
    fresh = (res3d50 if expected[1] == 50 else res3d18)(widen_factor=pretrained.widen_factor,
                                                      shortcut=pretrained.shortcut, stem=pretrained.stem)
    load_backbone(fresh, pretrained)
    _same_output(source, fresh)


def test_wrong_architecture_and_corrupt_files_are_clear(tmp_path):
    source = res3d18(widen_factor=1 / 16)
    pretrained = read_pretrained(_hara_file(tmp_path / "r18.pth", source, 700))
    with pytest.raises(WeightsError, match="Res3D-18 checkpoint cannot initialise --backbone res3d50"):
        check_architecture(pretrained, "res3d50")
    wider = res3d18(widen_factor=1 / 8)
    with pytest.raises(WeightsError, match="does not fit the backbone.*shape mismatch"):
        load_backbone(wider, pretrained)
    (tmp_path / "corrupt.pth").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(WeightsError, match="corrupt.pth: cannot read weights"):
        read_pretrained(tmp_path / "corrupt.pth")
    with pytest.raises(WeightsError, match="no such weights file"):
        read_pretrained(tmp_path / "absent.pth")
    torch.save({"foo.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="unknown checkpoint layout"):
        read_pretrained(tmp_path / "other.pth")
