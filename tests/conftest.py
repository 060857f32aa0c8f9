"""Shared fixtures: tiny synthetic databases made by the tests themselves."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory):
    """6 subjects, 36 samples, strong motion: readable through the CASME II reader."""
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("tiny_db")
    generate(root, subjects=6, samples=36, intensity=6.0, seed=3)
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tiny_db):
    from meau.databases import load_dataset

    return load_dataset(tiny_db, "casme2", tiny_db / "CASME2-coding-synth.xlsx", aus="auto", min_count=3)


@pytest.fixture(scope="session")
def easy_db(tmp_path_factory):
    """16 subjects, 160 samples, strong motion (intensity 10): known-answer tests of the methods."""
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("easy_db")
    generate(root, subjects=16, samples=160, intensity=10.0, seed=7, n_jobs=2)
    return root


@pytest.fixture(scope="session")
def easy_dataset(easy_db):
    from meau.databases import load_dataset

    return load_dataset(easy_db, "casme2", easy_db / "CASME2-coding-synth.xlsx", aus="auto", min_count=20)


@pytest.fixture(scope="session")
def constant_run(easy_dataset, tmp_path_factory):
    """The constant baseline's run folder on the easy database (kfold, seed 0)."""
    from meau.experiment import ConstantBaseline, run_experiment
    from meau.runs import RunDir

    run = RunDir(tmp_path_factory.mktemp("constant_run") / "constant")
    run_experiment(ConstantBaseline(), easy_dataset, run, echo=lambda *_: None)
    return run.path


@pytest.fixture(scope="session")
def constant_f1(constant_run):
    import json

    return json.loads((constant_run / "metrics.json").read_text())["pooled"]["AVG"]["f1"]


@pytest.fixture(scope="session")
def deep_db(tmp_path_factory):
    """16 subjects, 160 samples, very strong motion (intensity 16): the deep known-answer test."""
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("deep_db")
    generate(root, subjects=16, samples=160, intensity=16.0, seed=7, n_jobs=2)
    return root
