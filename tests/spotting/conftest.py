"""The synthetic long recordings every spotting test reads."""

import pytest


@pytest.fixture(scope="session")
def long_db(tmp_path_factory):
    """CAS(ME)^2's format: 3 subjects, one 10 s recording each at 30 fps (the first with a second
    without a face), planted expressions at 8 px."""
    from meau.databases.synth import generate_long

    root = tmp_path_factory.mktemp("casmesq")
    generate_long(root, like="casmesq", subjects=3, videos=1, seconds=10, intensity=8.0, seed=4)
    return root
