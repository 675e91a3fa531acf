"""Shared fixtures for the project's own tests."""
from __future__ import annotations

import numpy as np
import pytest

BACKENDS = ["numpy", "reference"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Name of a built-in backend; tests using it run once per backend."""
    return request.param


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A numpy Generator seeded from the test id (stable under pytest-xdist)."""
    import zlib

    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
