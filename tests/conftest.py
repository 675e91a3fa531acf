"""Shared fixtures for the project's own tests."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from xgrad.registry import REGISTRY

_devices = sys.modules["xgrad.device"]  # the module (``xgrad.device`` is the class)

BACKENDS = ["numpy", "reference"]


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, one BLAS thread per worker: workers already fill the cores, and
    oversubscribed OpenBLAS threads spin-wait (a 0.2 ms matmul then takes 30 ms)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        config._xgrad_blas_limit = threadpool_limits(1, user_api="blas")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Name of a built-in backend; tests using it run once per backend."""
    return request.param


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A numpy Generator seeded from the test id (stable under pytest-xdist)."""
    import zlib

    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def _isolate_registry_and_device():
    """Every test starts from the registry and default device the previous one found, so the
    order tests run in does not matter (pytest-randomly shuffles it)."""
    state = REGISTRY.snapshot()
    dev = _devices.save_state()
    yield
    _devices.restore_state(dev)
    REGISTRY.restore(state)
