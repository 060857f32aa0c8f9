"""Model inputs, augmentation and validation thresholds of the deep pipeline."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from meau.deep.data import Augment, ClipBatcher, ClipSpec, get_input, jittered_indices  # noqa: E402
from meau.metrics import best_f1_thresholds  # noqa: E402


def _moving_clip(frames=6, size=20, seed=0):
    rng = np.random.default_rng(seed)
    clip = np.repeat(rng.integers(0, 256, (1, size, size, 3), dtype=np.uint8), frames, axis=0)
    clip[3:, 5:9, 5:9] = 255 - clip[3:, 5:9, 5:9]  # a patch that changes from frame 3 on
    return clip


def test_diff_input_of_a_still_clip_is_all_zeros():
    still = np.repeat(_moving_clip()[:1], 6, axis=0)
    spec = ClipSpec(frames=6, crop=16, input="diff")
    x = ClipBatcher([still], "cpu", "hara2020", spec).batch([0], train=False)
    assert x.shape == (1, 3, 6, 16, 16)
    assert torch.count_nonzero(x) == 0
    rgb = ClipBatcher([still], "cpu", "hara2020", ClipSpec(frames=6, crop=16, input="rgb")).batch([0], train=False)
    assert torch.count_nonzero(rgb) > 0  # the difference, not the normalisation, makes the zeros


def test_diff_input_is_the_change_from_the_onset_frame():
    clip = _moving_clip()
    x = ClipBatcher([clip], "cpu", "hara2020", ClipSpec(frames=6, crop=20, input="diff")).batch([0], train=False)
    expected = (clip.astype(np.float32) - clip[:1].astype(np.float32)) / 255.0 / get_input("diff").std
    np.testing.assert_allclose(x[0].permute(1, 2, 3, 0).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert torch.count_nonzero(x[0, :, :3]) == 0 and torch.count_nonzero(x[0, :, 3:]) > 0


def test_unknown_input_is_refused():
    with pytest.raises(ValueError, match="unknown input 'flow'; available: rgb, diff"):
        get_input("flow")


def test_flip_mirrors_and_keeps_the_crop():
    clip = _moving_clip(size=16)
    spec = ClipSpec(frames=6, crop=16, input="rgb")
    plain = ClipBatcher([clip], "cpu", "hara2020", spec).batch([0], train=True)
    flipping = ClipBatcher([clip], "cpu", "hara2020", spec, augment=Augment(flip=True, crop=False))
    generator = torch.Generator().manual_seed(0)
    batches = [flipping.batch([0], train=True, generator=generator) for _ in range(20)]
    mirrored = [torch.equal(b, plain.flip(-1)) for b in batches]
    same = [torch.equal(b, plain) for b in batches]
    assert all(m or s for m, s in zip(mirrored, same)) and any(mirrored) and any(same)
    assert torch.equal(flipping.batch([0], train=False), plain)  # never at test time


@pytest.mark.parametrize("length,count,jitter", [(50, 10, 2), (30, 10, 3), (12, 8, 1), (10, 10, 2)])
def test_jittered_indices_stay_ordered_in_range_and_near_uniform(length, count, jitter):
    from meau.video import uniform_indices

    generator = torch.Generator().manual_seed(1)
    base = uniform_indices(length, count)
    seen_moves = set()
    for _ in range(200):
        indices = jittered_indices(length, count, jitter, generator)
        assert indices[0] == 0 and (np.diff(indices) >= 0).all()
        assert indices.min() >= 0 and indices.max() <= length - 1
        assert np.abs(np.sort(indices) - base).max() <= jitter
        seen_moves.update((indices - base).tolist())
    assert max(seen_moves) > 0 and min(seen_moves) < 0
    assert (jittered_indices(length, count, 0, generator) == base).all()


def test_batcher_samples_whole_tim_clips_at_test_time_like_the_sampled_clip():
    from meau.deep.data import sample_frames

    clip = np.random.default_rng(2).integers(0, 256, (30, 20, 20, 3), dtype=np.uint8)
    spec = ClipSpec(frames=10, crop=20, input="diff")
    whole = ClipBatcher([clip], "cpu", "hara2020", spec, augment=Augment(jitter=2)).batch([0], train=False)
    sampled = ClipBatcher([sample_frames(clip, 10, "uniform")], "cpu", "hara2020", spec).batch([0], train=False)
    assert torch.equal(whole, sampled)


def test_best_f1_thresholds_reach_the_best_f1_of_any_threshold():
    from sklearn.metrics import f1_score

    def f1_at_every_threshold(truth, probabilities):  # 2 TP / (2 TP + FP + FN) for "p >= t", t each value
        candidates = np.unique(probabilities)
        decided = probabilities[None, :] >= candidates[:, None]
        tp = (decided & (truth[None, :] == 1)).sum(axis=1)
        return 2 * tp / (decided.sum(axis=1) + truth.sum())

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 40))
        truth = rng.integers(0, 2, (n, 3))
        probabilities = np.round(rng.random((n, 3)), 2)
        thresholds = best_f1_thresholds(truth, probabilities)
        for j in range(3):
            if truth[:, j].sum() == 0:
                assert thresholds[j] == 0.5
                continue
            best = f1_at_every_threshold(truth[:, j], probabilities[:, j]).max()
            # scikit-learn scores the chosen threshold
            assert f1_score(truth[:, j], probabilities[:, j] >= thresholds[j]) == pytest.approx(best, abs=1e-12)


def test_best_f1_threshold_separates_separable_scores_between_the_classes():
    truth = np.array([[0], [0], [0], [1], [1]])
    probabilities = np.array([[0.1], [0.2], [0.3], [0.7], [0.9]])
    assert best_f1_thresholds(truth, probabilities) == [pytest.approx(0.5)]
    assert best_f1_thresholds(truth, probabilities * 0.5) == [pytest.approx(0.25)]


TINY = dict(backbone="res3d18", fusion="learn", widen_factor=1 / 16, reduced=8, batch_size=8, device="cpu",
            deterministic=True, epochs=2, threshold="validation",
            clip=ClipSpec(frames=8, tim_frames=12, short_side=32, crop=28, input="diff"))


def test_validation_thresholds_never_look_at_the_test_labels(tiny_dataset, tmp_path):
    """Shuffling the test fold's labels changes neither the chosen thresholds nor the decisions."""
    import copy
    import json

    import pandas as pd

    from meau.deep.train import DeepMethod, TrainConfig
    from meau.experiment import run_experiment
    from meau.protocols import assign_folds
    from meau.runs import RunDir

    folds = assign_folds(tiny_dataset.table, tiny_dataset.au_columns, "kfold", 4, 0)
    test = np.flatnonzero(folds == 0)
    shuffled = copy.copy(tiny_dataset)
    shuffled.table = tiny_dataset.table.copy()
    labels = np.array(shuffled.table[shuffled.au_columns])
    labels[test] = np.random.default_rng(5).permutation(labels[test])
    labels[test[:2]] = 1 - labels[test[:2]]  # a change that a permutation alone could undo
    shuffled.table[shuffled.au_columns] = labels
    results = []
    for name, dataset in (("original", tiny_dataset), ("shuffled", shuffled)):
        method = DeepMethod(TrainConfig(**TINY), cache=tmp_path / "cache", echo=lambda *_: None)
        run_experiment(method, dataset, RunDir(tmp_path / name), fold=0, echo=lambda *_: None)
        extras = json.loads((tmp_path / name / "folds" / "fold_0.json").read_text())
        predictions = pd.read_csv(tmp_path / name / "folds" / "fold_0.csv")
        outputs = [f"{c}_{s}" for c in dataset.au_columns for s in ("p", "c")]
        results.append((extras["thresholds"], predictions[outputs]))
    assert results[0][0] == results[1][0]
    pd.testing.assert_frame_equal(results[0][1], results[1][1])
    assert all(0 < t < 1 for t in results[0][0].values())
    assert not np.array_equal(labels[test], tiny_dataset.table[tiny_dataset.au_columns].to_numpy()[test])


def test_clips_decoded_on_every_core_are_those_one_worker_decodes(tiny_dataset):
    """train's --n-jobs defaults to every core: the clips it decodes (and so the training) do not depend on it."""
    from meau.deep.data import load_clips

    frames = list(tiny_dataset.table["frames"][:4])
    spec = ClipSpec(frames=8, short_side=32, crop=28, tim_frames=10)
    one, every = load_clips(frames, spec, n_jobs=1), load_clips(frames, spec, n_jobs=-1)
    assert len(one) == 4 and all(np.array_equal(a, b) for a, b in zip(one, every))
