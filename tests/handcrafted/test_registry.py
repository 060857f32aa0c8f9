import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from meau.handcrafted import DescriptorTransformer, create_descriptor, descriptor_names, register_descriptor
from meau.handcrafted import registry

EXPECTED_LENGTH = {"lbptop": 4425, "lpqtop": 19200, "lbpsip": 500, "hog3d": 500}


@pytest.mark.parametrize("name", sorted(EXPECTED_LENGTH))
def test_every_registered_descriptor(name):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (10, 64, 64)).astype(np.uint8)
    features = create_descriptor(name)(clip)
    assert features.dtype == np.float32 and features.shape == (EXPECTED_LENGTH[name],)
    assert np.isfinite(features).all()
    np.testing.assert_array_equal(features, create_descriptor(name)(clip))


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_descriptor("lbptop")(lambda clip: clip)
    with pytest.raises(ValueError, match="unknown descriptor 'nope'"):
        create_descriptor("nope")


def test_plugin_through_entry_point_group(tmp_path, monkeypatch):
    # a dummy plug-in distribution "installed" on sys.path: package + dist-info with entry points
    package = tmp_path / "meau_dummy_plugin"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import numpy as np\n"
        "def mean_intensity(clip, scale=1.0):\n"
        "    return np.array([np.asarray(clip, float).mean() * scale], dtype=np.float32)\n")
    info = tmp_path / "meau_dummy_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: meau-dummy-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[meau.descriptors]\nmeanint = meau_dummy_plugin:mean_intensity\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_REGISTRY", registry._REGISTRY.fresh())
    assert "meanint" in descriptor_names()
    clip = np.full((5, 8, 8), 4, np.uint8)
    assert create_descriptor("meanint", scale=2.0)(clip).tolist() == [8.0]
    sys.modules.pop("meau_dummy_plugin", None)


def test_scikit_learn_transformer_contract():
    rng = np.random.default_rng(1)
    clips = [rng.integers(0, 256, (8, 40, 40)).astype(np.uint8) for _ in range(3)]
    transformer = DescriptorTransformer("lbpsip", params={"grid": (2, 2)})
    assert clone(transformer).get_params() == transformer.get_params()
    assert not hasattr(transformer, "n_features_out_")
    features = make_pipeline(transformer, StandardScaler()).fit_transform(clips)
    assert features.shape == (3, 80)
    assert transformer.n_features_out_ == 80
