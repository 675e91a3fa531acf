"""pytest hooks the conformance plugin adds; implement them in a backend's ``conftest.py``."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec(firstresult=True)
def pytest_xgrad_tolerance(case: Any, dtype: str, backend: str, check: str) -> Any:
    """Return ``(rtol, atol)`` to use for ``check`` (``forward``, ``grad``, ``gradgrad``,
    ``fused``) of ``case`` (an :class:`xgrad.conformance.OpCase`) in ``dtype`` on
    ``backend``, or ``None`` for the default from :mod:`xgrad.conformance.tolerances`."""


@pytest.hookspec(firstresult=True)
def pytest_xgrad_skip(case: Any, dtype: str, backend: str) -> Any:
    """Return a reason string to skip ``case`` in ``dtype`` on ``backend``, or ``None``."""
