import numpy as np

from meau.handcrafted.svm import fold_svms, make_svm


def test_row_space_training_gives_the_plain_pipelines_decisions():
    rng = np.random.default_rng(0)
    n, d = 60, 800
    features = rng.normal(size=(n + 40, d)) * rng.uniform(0.1, 5, size=d) + rng.normal(size=d)
    labels = (features[:, :5].sum(axis=1) + rng.normal(0, 1, n + 40) > 0).astype(int)
    train, val, test = np.arange(40), np.arange(40, 60), np.arange(60, 100)
    scores, chosen, validation = fold_svms(features[train], labels[train, None], features[val], labels[val, None],
                                           features[test], c_grid=(0.01, 1.0))
    C = chosen[0]
    plain = make_svm(C).fit(features[train], labels[train])
    expected = plain.decision_function(features[test])
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    assert set(validation[0]) == {0.01, 1.0}


def test_ties_choose_the_smaller_c_and_single_class_is_constant():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(30, 20))
    labels = np.zeros((30, 2), int)
    labels[:, 1] = (features[:, 0] > 0).astype(int)
    labels[20:, 1] = 0  # validation has no positive: every C scores F1 = 0 -> smallest C
    scores, chosen, _ = fold_svms(features[:15], labels[:15], features[15:25], labels[15:25], features[25:],
                                  c_grid=(10.0, 0.1, 1.0))
    assert chosen[0] is None and (scores[:, 0] == -1).all()  # AU absent from training: constant "absent"
    assert chosen[1] == 0.1


def test_parallel_fits_give_the_serial_fits_results():
    """Every (AU, C) fit in its own worker process: the same weights as one after another, hence the
    same chosen C, validation F1 and test scores, bit for bit."""
    rng = np.random.default_rng(3)
    features = rng.normal(size=(140, 60))
    labels = np.stack([(features[:, k] + rng.normal(0, 0.8, 140) > 0.3).astype(int) for k in range(3)], axis=1)
    parts = (features[:80], labels[:80], features[80:110], labels[80:110], features[110:])
    serial = fold_svms(*parts, n_jobs=1)
    parallel = fold_svms(*parts, n_jobs=2)
    np.testing.assert_array_equal(parallel[0], serial[0])
    assert parallel[1] == serial[1] and parallel[2] == serial[2]
    assert None not in serial[1]  # every AU was fitted (each has both classes in training)
