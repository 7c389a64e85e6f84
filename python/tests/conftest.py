"""Shared fixtures: small data and small, fast models."""

import pytest

import anila

FAST = dict(hidden=(16, 16), steps=5, batch_size=64, buffer_size=500, progress=False)


@pytest.fixture(scope="session")
def rings():
    return anila.datasets.rings(2000, seed=0)


@pytest.fixture(scope="session")
def small_model(rings):
    return anila.train(rings, iterations=20, seed=1, **FAST)
