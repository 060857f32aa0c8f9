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
def easy_db(tmp_path_factory):
    """A larger, high-intensity database for known-answer tests of the methods."""
    from meau.databases.synth import generate

    root = tmp_path_factory.mktemp("easy_db")
    generate(root, subjects=12, samples=96, intensity=6.0, seed=7, n_jobs=2)
    return root
