"""Views and aliasing: every program of :mod:`xgrad.conformance.views` gives the same
results on the backend under test as on the reference backend (writes through views,
views of views, ``.data``/``detach()``, gradients through in-place ops on views, strides,
errors). A backend passes these only if its primitives never write into their inputs and
its ``assign`` (on a mutable backend) really writes."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgrad
from xgrad.conformance.checks import ConformanceFailure
from xgrad.conformance.selection import selection
from xgrad.conformance.views import VIEW_PROGRAMS


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_view" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        metafunc.parametrize("xgrad_view", [
            pytest.param((be, "float32", "view." + name), id=f"{be}-float32-view.{name}")
            for be in sel.backends for name in VIEW_PROGRAMS])


def _plain(v: Any) -> Any:
    if isinstance(v, xgrad.Tensor):
        return v.numpy()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _diff(got: Any, want: Any, path: str) -> str | None:
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{path}: got {got!r}, the reference gives an array {want.tolist()}"
        if got.shape != want.shape or got.dtype != want.dtype:
            return (f"{path}: {got.dtype}{list(got.shape)}, the reference gives "
                    f"{want.dtype}{list(want.shape)}")
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True):
            return f"{path}:\n    got  {got.tolist()}\n    want {want.tolist()}"
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: got {got!r}, the reference gives {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            msg = _diff(g, w, f"{path}[{i}]")
            if msg:
                return msg
        return None
    return None if got == want else f"{path}: got {got!r}, the reference gives {want!r}"


def test_view(xgrad_view: tuple) -> None:
    """One view/alias program: same results as the reference backend."""
    backend, _, op = xgrad_view
    name = op[len("view."):]
    program = VIEW_PROGRAMS[name]
    want = _plain(program(xgrad, "reference"))
    try:
        got = _plain(program(xgrad, backend))
    except Exception as exc:  # noqa: BLE001 - reported with the program's name
        raise ConformanceFailure(f"view program {name!r} raises on {backend!r}: "
                                 f"{type(exc).__name__}: {exc}") from exc
    msg = _diff(got, want, name)
    if msg:
        raise ConformanceFailure(
            f"view program {name!r} on backend {backend!r} differs from the reference "
            f"backend: {msg}\n\n--- reproducer ---\nimport xgrad\n"
            "from xgrad.conformance.views import VIEW_PROGRAMS\n"
            f"for dev in ({backend!r}, 'reference'):\n"
            f"    print(dev, VIEW_PROGRAMS[{name!r}](xgrad, dev))\n--- end reproducer ---")
