"""Compiled training steps equal eager ones on the backend under test (see
:mod:`xgrad.conformance.compiled`): MLP, CNN, LSTM and Transformer layer, each with an
optimizer, one with dropout (random draws inside the program)."""
from __future__ import annotations

from typing import Any

import pytest
from xgrad.conformance.compiled import COMPILED_PROGRAMS, check_compiled
from xgrad.conformance.selection import selection
from xgrad.conformance.tolerances import tolerance


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_compiled" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        metafunc.parametrize("xgrad_compiled", [
            pytest.param((be, "float32", "compiled." + name), id=f"{be}-float32-compiled.{name}")
            for be in sel.backends for name in COMPILED_PROGRAMS])


def test_compiled(xgrad_compiled: tuple) -> None:
    """``xgrad.compile`` of a training step: same losses, parameters, gradients and random
    state as eager mode (bit for bit unless the backend compiles programs itself)."""
    backend, dtype, op = xgrad_compiled
    rtol, atol = tolerance("forward", dtype)
    check_compiled(op[len("compiled."):], backend, dtype, rtol, atol)
