"""Op conformance: every case of the table x dtype x backend (see README.md for the checks).

Run with ``pytest --pyargs xgrad.conformance --xgrad-backend=NAME -n auto``.
"""
from __future__ import annotations

from typing import Any

import pytest
from xgrad.conformance.catalog import all_cases
from xgrad.conformance.checks import CHECKS, ConformanceSkip, Run
from xgrad.conformance.selection import op_params, selection


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_op" in metafunc.fixturenames:
        check = metafunc.function.__name__[len("test_"):]
        metafunc.parametrize("xgrad_op", op_params(metafunc.config, check))


def _run(request: Any, param: tuple, check: str) -> None:
    backend, dtype, name = param
    case = all_cases()[name]
    hook = getattr(request.config.hook, "pytest_xgrad_tolerance", None)

    def tol(which: str) -> Any:
        return hook(case=case, dtype=dtype, backend=backend, check=which) if hook else None

    run = Run(case, backend, dtype, mode=selection(request.config).mode, tol_hook=tol)
    try:
        CHECKS[check](run)
    except ConformanceSkip as exc:
        pytest.skip(str(exc))


def test_forward(request: Any, xgrad_op: tuple) -> None:
    """Forward values, dtype and shape vs the reference backend."""
    _run(request, xgrad_op, "forward")


def test_grad(request: Any, xgrad_op: tuple) -> None:
    """First-order gradients vs central finite differences."""
    _run(request, xgrad_op, "grad")


def test_gradgrad(request: Any, xgrad_op: tuple) -> None:
    """Second-order gradients vs finite differences of the first-order gradient."""
    _run(request, xgrad_op, "gradgrad")


def test_reentrant(request: Any, xgrad_op: tuple) -> None:
    """Two backward passes over one graph give identical gradients."""
    _run(request, xgrad_op, "reentrant")


def test_zero_grad(request: Any, xgrad_op: tuple) -> None:
    """A zero upstream gradient gives exact zeros of the right shape and dtype."""
    _run(request, xgrad_op, "zero_grad")


def test_no_mutation(request: Any, xgrad_op: tuple) -> None:
    """Forward and backward leave the inputs unchanged."""
    _run(request, xgrad_op, "no_mutation")


def test_fused(request: Any, xgrad_op: tuple) -> None:
    """The backend's fused kernel agrees with the frontend decomposition."""
    _run(request, xgrad_op, "fused")


def test_special(request: Any, xgrad_op: tuple) -> None:
    """Forward values on ±inf, NaN, ±0, huge and tiny inputs vs the reference backend."""
    _run(request, xgrad_op, "special")
