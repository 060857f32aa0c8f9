import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from meau.metrics import evaluate


def test_f1_is_scikit_learns_binary_f1_pooled_and_per_fold():
    rng = np.random.default_rng(0)
    truth = (rng.random((120, 3)) < [0.5, 0.1, 0.3]).astype(int)
    decision = (rng.random((120, 3)) < 0.4).astype(int)
    decision[:, 1] = 0  # an AU never predicted: F1 is 0, not an error
    folds = np.repeat(np.arange(4), 30)
    metrics = evaluate(truth, decision, folds, ["AU01", "AU02", "AU04"])
    for j, name in enumerate(["AU01", "AU02", "AU04"]):
        assert metrics["pooled"][name]["f1"] == pytest.approx(f1_score(truth[:, j], decision[:, j], zero_division=0))
        assert metrics["pooled"][name]["accuracy"] == pytest.approx(accuracy_score(truth[:, j], decision[:, j]))
        per_fold = [f1_score(truth[folds == f, j], decision[folds == f, j], zero_division=0) for f in range(4)]
        assert metrics["per_fold"][name]["f1"]["mean"] == pytest.approx(np.mean(per_fold))
        assert metrics["per_fold"][name]["f1"]["std"] == pytest.approx(np.std(per_fold))
    assert metrics["pooled"]["AU02"]["f1"] == 0
    assert metrics["pooled"]["AVG"]["f1"] == pytest.approx(np.mean([metrics["pooled"][n]["f1"] for n in ["AU01", "AU02", "AU04"]]))
    # macro F1 is a different number and is labelled as such
    macro = f1_score(truth[:, 0], decision[:, 0], average="macro")
    assert metrics["pooled"]["AU01"]["macro_f1"] == pytest.approx(macro)
    assert metrics["pooled"]["AU01"]["macro_f1"] != pytest.approx(metrics["pooled"]["AU01"]["f1"])
    assert "macro" in metrics["definitions"]["macro_f1"]
