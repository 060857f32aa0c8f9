import numpy as np
import pandas as pd
import pytest

from meau.errors import MeauError
from meau.protocols import assign_folds, balanced_subject_folds, read_splits, rotations, splits_frame


def _table(seed=0, subjects=26, samples=255, aus=4):
    rng = np.random.default_rng(seed)
    subject = rng.integers(0, subjects, size=samples)
    labels = (rng.random((samples, aus)) < [0.5, 0.15, 0.1, 0.2][:aus]).astype(int)
    table = pd.DataFrame({"database": "casme2", "subject": [f"{s:02d}" for s in subject],
                          "clip": [f"EP{i:03d}" for i in range(samples)], "onset": rng.integers(1, 100, samples)})
    columns = [f"AU{j:02d}" for j in range(aus)]
    for j, column in enumerate(columns):
        table[column] = labels[:, j]
    return table, columns


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kfold_no_subject_in_two_roles(seed):
    table, columns = _table(seed)
    folds = assign_folds(table, columns, "kfold", 4, seed)
    for rotation in rotations(table, folds, "kfold", seed):
        roles = [set(table["subject"].iloc[idx]) for idx in (rotation.train, rotation.validation, rotation.test)]
        assert not (roles[0] & roles[1]) and not (roles[0] & roles[2]) and not (roles[1] & roles[2])
        assert len(rotation.train) + len(rotation.validation) + len(rotation.test) == len(table)
        assert set(folds[rotation.validation]) == {(rotation.fold + 1) % 4}


def test_kfold_is_balanced_and_deterministic():
    table, columns = _table(5)
    folds = assign_folds(table, columns, "kfold", 4, 0)
    assert np.array_equal(folds, assign_folds(table, columns, "kfold", 4, 0))
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 0.15 * len(table) / 4 + 10
    for column in columns:
        positives = np.bincount(folds, weights=table[column])
        assert positives.max() - positives.min() <= max(4, 0.3 * positives.mean())
    # every subject in exactly one fold
    assert table.assign(fold=folds).groupby("subject")["fold"].nunique().max() == 1
    # better balanced than a random subject assignment, on average
    rng = np.random.default_rng(0)
    random_spread = []
    for _ in range(20):
        subject_fold = dict(zip(sorted(table["subject"].unique()), rng.integers(0, 4, table["subject"].nunique())))
        random_spread.append(np.ptp(np.bincount(table["subject"].map(subject_fold), minlength=4)))
    assert np.ptp(sizes) < np.mean(random_spread)


def test_too_few_subjects():
    table, columns = _table(0, subjects=3, samples=30)
    with pytest.raises(MeauError, match="at least 4 subjects"):
        balanced_subject_folds(table["subject"], table[columns], 4)


def test_loso_validation_is_whole_subjects():
    table, columns = _table(1, subjects=8, samples=60)
    folds = assign_folds(table, columns, "loso")
    plan = rotations(table, folds, "loso", seed=0)
    assert len(plan) == table["subject"].nunique()
    for rotation in plan:
        assert table["subject"].iloc[rotation.test].nunique() == 1
        validation_subjects = set(table["subject"].iloc[rotation.validation])
        assert validation_subjects and not validation_subjects & set(table["subject"].iloc[rotation.train])


def test_lodo_needs_two_databases():
    table, columns = _table(2)
    with pytest.raises(MeauError, match="two databases"):
        assign_folds(table, columns, "lodo")
    table.loc[table["subject"] < "10", "database"] = "samm"
    folds = assign_folds(table, columns, "lodo")
    for rotation in rotations(table, folds, "lodo"):
        assert table["database"].iloc[rotation.test].nunique() == 1


def test_split_file_round_trip(tmp_path):
    table, columns = _table(3)
    folds = assign_folds(table, columns, "kfold", 4, 0)
    splits_frame(table, folds).to_csv(tmp_path / "splits.csv", index=False)
    assert np.array_equal(read_splits(tmp_path / "splits.csv", table), folds)
    with pytest.raises(MeauError, match="not in the splits file"):
        read_splits(tmp_path / "splits.csv", pd.concat([table, table.iloc[:1].assign(clip="new")]))
