"""Layers and optimizers: the backend under test agrees with the reference backend (layer
outputs, input and parameter gradients, buffers; three optimizer steps; fused optimizer
kernels vs their decomposition)."""
from __future__ import annotations

from typing import Any

import pytest
from xgrad.conformance.catalog import module_cases, optim_cases
from xgrad.conformance.checks import ConformanceSkip
from xgrad.conformance.checks_modules import check_module, check_optim, check_optim_fused
from xgrad.conformance.selection import op_params

_CHECKS = {"module": (module_cases, check_module), "optim": (optim_cases, check_optim),
           "optim_fused": (optim_cases, check_optim_fused)}


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_op" in metafunc.fixturenames:
        check = metafunc.function.__name__[len("test_"):]
        metafunc.parametrize("xgrad_op", op_params(metafunc.config, check, _CHECKS[check][0]()))


def _run(request: Any, param: tuple, check: str) -> None:
    backend, dtype, name = param
    cases, fn = _CHECKS[check]
    case = cases()[name]
    hook = getattr(request.config.hook, "pytest_xgrad_tolerance", None)

    def tol(which: str) -> Any:
        return hook(case=case, dtype=dtype, backend=backend, check=which) if hook else None

    try:
        fn(case, backend, dtype, tol)
    except ConformanceSkip as exc:
        pytest.skip(str(exc))


def test_module(request: Any, xgrad_op: tuple) -> None:
    """Layer outputs, input/parameter gradients and buffers vs the reference backend."""
    _run(request, xgrad_op, "module")


def test_optim(request: Any, xgrad_op: tuple) -> None:
    """Three optimizer steps vs the reference backend."""
    _run(request, xgrad_op, "optim")


def test_optim_fused(request: Any, xgrad_op: tuple) -> None:
    """The backend's fused optimizer kernel vs the frontend decomposition."""
    _run(request, xgrad_op, "optim_fused")
